"""The dashboard's navigation: what the signed-in role may open, for the program in view.

Till, Members, Messages, Figures and QR poster follow one program: the one in view, else the one
this login chose last (`chosen_program`). With several programs the top bar has a switcher, a
plain form that works without JavaScript: it lands on the same section of the other program."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.dashboard import bp, chosen_program, login_required, merchant_programs, owned_program
from app.dashboard.forms import ActionForm
from app.models import Program

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
    """The program in view (set by `owned_program`), else the one chosen last, else the merchant's first."""
    program = g.get("program") or chosen_program(g.staff)
    return int(program.id) if program is not None else None


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


@dataclass(frozen=True)
class Switcher:
    programs: list[Program]
    current: int
    section: str  # where the switch lands: the same page of the other program


# Pages of one program that have no navigation item of their own (the program editor).
PROGRAM_PAGES = "dashboard.program"
# Pages without a program, where a switch stays.
PLAIN_PAGES = ("dashboard.home", "dashboard.staff", "dashboard.shop", "dashboard.api_keys", "dashboard.profile")
PROGRAM_SECTIONS = {endpoint for endpoint, _label, _roles, needs in ITEMS if needs} | {PROGRAM_PAGES}


def _section() -> str:
    """The navigation item of the page in view (the Members page of a member, say)."""
    for endpoint, _label, _roles, needs_program in ITEMS:
        if needs_program and _is_current(endpoint):
            return endpoint
    here = request.endpoint or ""
    if here.startswith(PROGRAM_PAGES) and "program_id" in (request.view_args or {}):
        return PROGRAM_PAGES
    return here if here in PLAIN_PAGES else ""


def program_switcher() -> Switcher | None:
    """The switcher's programs and choice, when the merchant has more than one program."""
    if g.get("staff") is None:
        return None
    programs = merchant_programs()
    current = current_program_id()
    if len(programs) < 2 or current is None:
        return None
    return Switcher(programs, current, _section())


def _may_open(endpoint: str) -> bool:
    roles = next((roles for e, _label, roles, _needs in ITEMS if e == endpoint), ("owner",))
    return g.staff.role in roles and endpoint in current_app.view_functions


def switch_target(section: str, program_id: int) -> str:
    """The page of `section` for `program_id`; a section the login may not open: the till."""
    if section == "dashboard.profile" or (section in PLAIN_PAGES and _may_open(section)):
        return url_for(section)
    if section not in PROGRAM_SECTIONS or not _may_open(section):
        section = "dashboard.till"
    return url_for(section, program_id=program_id)


@bp.post("/switch-program")
@login_required
def switch_program() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = request.form.get("program_id", "")
    if not raw.isdigit():
        abort(400)
    program = owned_program(int(raw))  # another merchant's program: 404; makes it the chosen one
    return redirect(switch_target(request.form.get("section", ""), program.id))


@bp.app_context_processor
def inject_nav() -> dict[str, Any]:
    if request.blueprint != "dashboard":
        return {}
    return {"dashboard_nav": nav_items, "program_switcher": program_switcher, "get_locale": get_locale}
