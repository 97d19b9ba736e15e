"""Charts of a program's figures and the devices' Wallet log."""
from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.dashboard import bp, owned_program, owner_required
from app.dashboard.charts import COLOURS, Chart, Series, bar_chart, column_chart
from app.extensions import db
from app.formats import grouped, page_date
from app.loyalty.figures import PERIODS, Figures, period_days, program_figures
from app.models import Card, DeviceLog, PushAttempt

LOG_PAGE = 50
FAILURES_SHOWN = 20
MAX_PAGE = 10_000


def short_day(day: date) -> str:
    """'3 nov' in Italian, '3 Nov' in English: a tick under a column, in the pages' date style."""
    return format_date(day, "d MMM")


def _day_charts(f: Figures) -> list[Chart]:
    labels = [short_day(d.day) for d in f.series]
    x_label = _("Day (%(zone)s)", zone=f.timezone)

    def values(attribute: str) -> list[int]:
        return [getattr(d, attribute) for d in f.series]

    return [
        column_chart("enrolments", _("New members per day"),
                     ngettext("%(count)s new member in the last %(days)s days.",
                              "%(count)s new members in the last %(days)s days.", f.enrolments, days=f.days,
                              count=grouped(f.enrolments)),
                     labels, [Series(_("New members"), values("enrolments"))], _("Members"), x_label, grouped),
        column_chart("cards", _("Cards added to and removed from phones per day"),
                     _("In the last %(days)s days: added to a phone %(installed)s, removed %(removed)s.",
                       installed=grouped(f.installed), removed=grouped(f.removed), days=f.days),
                     labels, [Series(_("Added"), values("installed")),
                              Series(_("Removed"), values("removed"), COLOURS[1])], _("Cards"), x_label, grouped),
        column_chart("active", _("Active members per day"),
                     ngettext("%(count)s member collected or spent points in the last %(days)s days.",
                              "%(count)s different members collected or spent points in the last %(days)s days.",
                              f.active_members, days=f.days, count=grouped(f.active_members)),
                     labels, [Series(_("Active members"), values("active"))], _("Members"), x_label, grouped),
        column_chart("points", _("Points issued and redeemed per day"),
                     _("In the last %(days)s days: points issued %(issued)s, redeemed %(redeemed)s. "
                       "Outstanding now: %(outstanding)s.", issued=grouped(f.points_issued),
                       redeemed=grouped(f.points_redeemed), days=f.days, outstanding=grouped(f.points_outstanding)),
                     labels, [Series(_("Points issued"), values("issued")),
                              Series(_("Points redeemed"), values("redeemed"), COLOURS[1])], _("Points"), x_label, grouped),
    ]


def _tier_chart(f: Figures) -> Chart:
    names = [t.name or _("No tier") for t in f.tiers]
    counts = [t.members for t in f.tiers]
    return bar_chart("tiers", _("Members per tier"), _("How many members hold each tier now."),
                     names, [Series(_("Members"), counts)], grouped)


def _reward_chart(f: Figures) -> Chart:
    names = [r.name or "" for r in f.rewards]
    return bar_chart("rewards", _("Rewards redeemed"),
                     _("Per reward: codes members took for their points, and codes used at the till, "
                       "in the last %(days)s days.", days=f.days), names,
                     [Series(_("Redeemed for points"), [r.count for r in f.rewards]),
                      Series(_("Used at the till"), [r.other for r in f.rewards], COLOURS[1])], grouped)


def _location_chart(f: Figures) -> Chart:
    names = [loc.name if loc.name is not None else _("No location") for loc in f.locations]
    return bar_chart("locations", _("New members per QR location"),
                     _("Where the members who joined in the last %(days)s days scanned the code.", days=f.days), names,
                     [Series(_("New members"), [loc.count for loc in f.locations])], grouped)


def charts(f: Figures) -> dict[str, Chart | list[Chart]]:
    return {"days": _day_charts(f), "tiers": _tier_chart(f), "rewards": _reward_chart(f),
            "locations": _location_chart(f)}


@bp.get("/programs/<int:program_id>/figures")
@owner_required
def figures(program_id: int) -> str:
    program = owned_program(program_id)
    days = period_days(request.args.get("days"))
    data = program_figures(program, days)
    return render_template(
        "dashboard/figures/index.html", program=program, f=data, charts=charts(data), periods=PERIODS,
        days=days, long_day=page_date,
    )


def _page_number(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@bp.get("/programs/<int:program_id>/device-log")
@owner_required
def device_log(program_id: int) -> str:
    """What the phones' Wallet said about this program's cards: only rows whose serial number is
    one of its cards, so another merchant's devices never show here."""
    program = owned_program(program_id)
    page = _page_number(request.args.get("page"))
    rows = db.session.execute(
        select(DeviceLog, Card.card_number)
        .join(Card, Card.serial_number == DeviceLog.serial_number)
        .where(Card.program_id == program.id)
        .order_by(DeviceLog.id.desc())
        .offset((page - 1) * LOG_PAGE).limit(LOG_PAGE + 1)
    ).all()
    failures = db.session.execute(
        select(PushAttempt, Card.card_number)
        .join(Card, Card.id == PushAttempt.card_id)
        .where(Card.program_id == program.id, PushAttempt.outcome != "delivered")
        .order_by(PushAttempt.id.desc()).limit(FAILURES_SHOWN)
    ).all()
    return render_template(
        "dashboard/figures/device_log.html", program=program, rows=rows[:LOG_PAGE], page=page,
        more=len(rows) > LOG_PAGE, failures=failures, outcomes=_outcomes(),
    )


def _outcomes() -> dict[str, str]:
    return {"unregistered": _("Card no longer on the phone"), "retry": _("To be retried"), "failed": _("Failed")}
