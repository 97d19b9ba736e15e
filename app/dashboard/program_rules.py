"""The rules tab: earning, bonuses, tiers, expiry, referrals and the stamp card, all passed to
update_program as the API passes them (only what changed, so an untouched save pushes nothing)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.dashboard import bp, owned_program, owner_required
from app.dashboard.numbers import input_number
from app.dashboard.program_forms import BLANK_ROWS, MORE_ROWS, Form, row_count, wants_more_rows
from app.extensions import db
from app.formats import grouped
from app.loyalty.errors import LoyaltyError
from app.loyalty.programs import CARD_FIELDS, update_program
from app.loyalty.tiers import MAX_TIERS
from app.models import Card, Program

NUMBER_FIELDS = {  # name: (lowest, highest), as the API's schema allows
    "welcome_bonus": (0, 1_000_000), "birthday_bonus": (0, 1_000_000), "downgrade_grace_days": (0, 3650),
    "expiry_warning_days": (0, 365), "referrer_bonus": (0, 1_000_000), "referee_bonus": (0, 1_000_000),
    "referral_monthly_limit": (0, 1000),
}
CHOICES = {
    "kind": ("points", "stamps"), "rounding": ("down", "nearest", "up"), "tier_basis": ("lifetime", "rolling"),
    "downgrade_policy": ("never", "scheduled"), "expiry_policy": ("never", "inactivity", "fixed_date"),
}
COLOR_KEYS = ("background", "foreground", "label")
MAX_ROWS = MAX_TIERS + 5  # room to add tiers while ticking others off
INTEGER_FIELDS = (*NUMBER_FIELDS, "tier_window_days", "expiry_days", "stamps_required")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def tier_spec(tier: Any) -> dict[str, Any]:
    colors = {c: getattr(tier, f"{c}_color") for c in COLOR_KEYS if getattr(tier, f"{c}_color")}
    spec: dict[str, Any] = {"name": tier.name, "min_points": tier.min_points,
                            "multiplier": format(Decimal(tier.multiplier).normalize(), "f")}
    if colors:
        spec["colors"] = colors
    return spec


def current_values(program: Program) -> dict[str, str]:
    """The saved rules as the page's language types them (an earning rate of 1.2 is `1,2` in Italian)."""
    values = {name: _text(getattr(program, name)) for name in (*CHOICES, "expiry_date", "stamp_reward")}
    values.update({name: input_number(getattr(program, name)) for name in INTEGER_FIELDS})
    values["earn_rate"] = input_number(Decimal(program.earn_rate).normalize())
    for i, tier in enumerate(program.tiers):
        spec = tier_spec(tier)
        values.update({f"tier-{i}-name": tier.name, f"tier-{i}-was": tier.name,
                       f"tier-{i}-min_points": input_number(tier.min_points),
                       f"tier-{i}-multiplier": input_number(spec["multiplier"])})
        values.update({f"tier-{i}-{c}": v for c, v in spec.get("colors", {}).items()})
    values["tier_count"] = str(len(program.tiers) + BLANK_ROWS)  # empty rows to add tiers
    return values


def _read_tiers(form: Form) -> list[dict[str, Any]]:
    tiers: list[dict[str, Any]] = []
    count = row_count(form, "tier_count", MAX_ROWS)
    names: set[str] = set()
    starts: set[int] = set()
    for i in range(count):
        prefix = f"tier-{i}-"
        if form.get(prefix + "remove") or not (form.get(prefix + "name") or form.get(prefix + "min_points")):
            continue  # removed, or the blank row left blank
        name = form.text(prefix + "name", max_length=40, required=True)
        start = form.integer(prefix + "min_points", 0, 100_000_000)
        multiplier = form.decimal(prefix + "multiplier", Decimal("0.1"), Decimal(10)) if form.get(prefix + "multiplier") else "1"
        colors = {c: v for c in COLOR_KEYS if (v := form.color(prefix + c, optional=True))}
        if name and name.casefold() in names:
            form.fail(prefix + "name", _("Two tiers cannot have the same name."))
        if start is not None and start in starts:
            form.fail(prefix + "min_points", _("Two tiers cannot start at the same number of points."))
        names.add((name or "").casefold())
        if start is not None:
            starts.add(start)
        was = form.get(prefix + "was")
        tiers.append({"name": name, "min_points": start, "multiplier": multiplier, **({"colors": colors} if colors else {}),
                      **({"renamed_from": was} if was and name and was != name else {})})
    if len(tiers) > MAX_TIERS:
        form.fail("tiers", _("At most %(count)d tiers, please.", count=MAX_TIERS))
    return sorted(tiers, key=lambda t: t["min_points"] or 0)


def _read_rules(form: Form) -> dict[str, Any]:
    fields: dict[str, Any] = {name: form.choice(name, options) for name, options in CHOICES.items()}
    fields["earn_rate"] = form.decimal("earn_rate", Decimal("0.0001"), Decimal(10000))
    fields.update({name: form.integer(name, low, high) for name, (low, high) in NUMBER_FIELDS.items()})
    rolling, stamps = fields["tier_basis"] == "rolling", fields["kind"] == "stamps"
    fields["tier_window_days"] = form.integer("tier_window_days", 1, 3650, optional=not rolling)
    fields["expiry_days"] = form.integer("expiry_days", 1, 3650, optional=fields["expiry_policy"] != "inactivity")
    fields["expiry_date"] = form.month_day("expiry_date") if fields["expiry_policy"] == "fixed_date" or form.get("expiry_date") else None
    fields["stamps_required"] = form.integer("stamps_required", 2, 50, optional=not stamps)
    fields["stamp_reward"] = form.text("stamp_reward", max_length=80, required=stamps) or None
    fields["tiers"] = _read_tiers(form)
    return fields


def _changes(program: Program, fields: dict[str, Any]) -> dict[str, Any]:
    now: dict[str, Any] = {name: getattr(program, name) for name in fields if name not in ("tiers", "earn_rate")}
    now["earn_rate"] = format(Decimal(program.earn_rate).normalize(), "f")
    now["tiers"] = [tier_spec(t) for t in program.tiers]
    return {name: value for name, value in fields.items() if value != now[name]}


@bp.route("/programs/<int:program_id>/rules", methods=["GET", "POST"])
@owner_required
def program_rules(program_id: int) -> ResponseReturnValue:
    program = owned_program(program_id)
    if request.method == "GET":
        return _render(program, Form(current_values(program)))
    form = Form(request.form)
    if wants_more_rows(form):
        return _render(program, form, more=MORE_ROWS)
    fields = _read_rules(form)
    if form.errors:
        return _render(program, form), 422
    changes = _changes(program, fields)
    try:
        if changes:
            update_program(program, changes)
    except LoyaltyError as exc:
        db.session.rollback()
        form.domain_error(exc, {"tiers": "tiers"} | {f"tiers.{i}.multiplier": "tiers" for i in range(MAX_TIERS)})
        return _render(owned_program(program_id), form), 422
    cards = db.session.scalar(select(func.count(Card.id)).where(Card.program_id == program.id)) or 0
    db.session.commit()
    if cards and any(name in CARD_FIELDS for name in changes):
        flash(ngettext("Rules saved. %(count)s card will update on members' phones in a moment.",
                       "Rules saved. %(count)s cards will update on members' phones in a moment.", cards,
                       count=grouped(cards)), "message")
    else:
        flash(_("Rules saved.") if changes else _("Nothing to save: the rules are as they were."), "message")
    return redirect(url_for("dashboard.program_rules", program_id=program.id))


def _render(program: Program, form: Form, more: int = 0) -> str:
    rows = max(row_count(form, "tier_count", MAX_ROWS) + more, 1)
    return render_template("dashboard/programs/rules.html", program=program, form=form, tab="rules",
                           tier_rows=range(min(rows, MAX_ROWS)), max_rows=MAX_ROWS)
