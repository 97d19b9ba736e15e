"""The dashboard's navigation: what the signed-in role may open, for the program in view."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.dashboard import bp, merchant_programs

# (endpoint, label, roles, needs a program). Endpoints not (yet) registered are left out.
ITEMS: tuple[tuple[str, Any, tuple[str, ...], bool], ...] = (
    ("dashboard.home", _l("Programs"), ("owner",), False),
    ("dashboard.till", _l("Till"), ("owner", "cashier"), True),
    ("dashboard.members", _l("Members"), ("owner", "cashier"), True),
    ("dashboard.messages", _l("Messages"), ("owner",), True),
    ("dashboard.figures", _l("Figures"), ("owner",), True),
    ("dashboard.poster", _l("QR poster"), ("owner",), True),
    ("dashboard.staff", _l("Staff"), ("owner",), False),
    ("dashboard.shop", _l("Shop"), ("owner",), False),
    ("dashboard.api_keys", _l("API keys"), ("owner",), False),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def current_program_id() -> int | None:
    """The program in view (set by `owned_program`), else the merchant's first one."""
    program = g.get("program")
    if program is not None:
        return int(program.id)
    programs = merchant_programs()
    return programs[0].id if programs else None


def nav_items() -> list[NavItem]:
    staff = g.get("staff")
    if staff is None:
        return []
    items = []
    program_id: int | None = None
    for endpoint, label, roles, needs_program in ITEMS:
        if staff.role not in roles or endpoint not in current_app.view_functions:
            continue
        if needs_program:
            program_id = program_id or current_program_id()
            if program_id is None:
                continue
            url = url_for(endpoint, program_id=program_id)
        else:
            url = url_for(endpoint)
        items.append(NavItem(str(label), url, _is_current(endpoint)))
    return items


# Pages that belong to a navigation item without sharing its endpoint's name.
SECTIONS = {"dashboard.member": "dashboard.members", "dashboard.program": "dashboard.home",
            "dashboard.program_new": "dashboard.home", "dashboard.device_log": "dashboard.figures",
            "dashboard.adjust_points": "dashboard.members", "dashboard.resend_card": "dashboard.members",
            "dashboard.export_member_data": "dashboard.members", "dashboard.erase": "dashboard.members",
            "dashboard.location_rename": "dashboard.poster", "dashboard.location_delete": "dashboard.poster"}


def _is_current(endpoint: str) -> bool:
    here = request.endpoint or ""
    section = SECTIONS.get(here) or next((v for k, v in SECTIONS.items() if here.startswith(k + "_")), None)
    return here == endpoint or here.startswith(endpoint + "_") or section == endpoint


@bp.app_context_processor
def inject_nav() -> dict[str, Any]:
    if request.blueprint != "dashboard":
        return {}
    return {"dashboard_nav": nav_items, "get_locale": get_locale}
