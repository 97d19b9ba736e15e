"""When points expire, and how many.

Policies (`Program.expiry_policy`):
- "inactivity": the whole balance goes `expiry_days` after the member's last visit
  (`Member.last_activity_at`, else the day they joined);
- "fixed_date": every year on `expiry_date` ("MM-DD"), what was earned before that day goes;
- "never".

Dates are calendar days of the shop's time zone (app/loyalty/days.py): a deadline is the day the
points go, from its local midnight. Expiry never comes as a surprise:
no deadline falls sooner than `expiry_warning_days` after the program's rules last changed, so
switching expiry on cannot wipe balances before the cards have warned about it.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.formats import card_date, card_number_text, elide
from app.loyalty.days import day_start, local_date, shop_zone
from app.loyalty.ledger import totals
from app.models import LedgerEntry, Member, Program

WARNING = {"it": "{points} {label} scadono il {date}", "en": "{points} {label} expire on {date}"}
WARNING_LABEL = {"it": "Scadenza punti", "en": "Points expiry"}
CATCH_UP_DAYS = 30  # a fixed-date expiry missed by the schedule is still done this many days late


@dataclass(frozen=True)
class Expiry:
    points: int
    on: date  # the day the points go

    def warns_from(self, program: Program) -> date:
        return self.on - timedelta(days=program.expiry_warning_days)


def fixed_day(mm_dd: str, year: int) -> date:
    """This year's "MM-DD"; a day the month lacks (29 February, 31 April) becomes its last."""
    month, day = (int(part) for part in mm_dd.split("-"))
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def rules_settled(program: Program) -> date:
    """The first day points may expire under the rules as they stand."""
    return local_date(program.updated_at, shop_zone(program)) + timedelta(days=program.expiry_warning_days)


def last_activity(member: Member) -> datetime:
    return member.last_activity_at or member.created_at


def inactivity_deadline(program: Program, active_at: datetime) -> date:
    return max(local_date(active_at, shop_zone(program)) + timedelta(days=program.expiry_days or 0), rules_settled(program))


def fixed_periods(program: Program, today: date) -> list[tuple[date, date]]:
    """(period, deadline) for last year, this year and next: what was earned before the period's
    day goes on its deadline, the day itself unless the rules changed too recently to warn."""
    if not program.expiry_date:
        return []
    settled = rules_settled(program)
    days = (fixed_day(program.expiry_date, today.year + offset) for offset in (-1, 0, 1))
    return [(day, max(day, settled)) for day in days]


def fixed_period_due(program: Program, today: date) -> date | None:
    """The latest period whose deadline has come, while a late run may still catch up on it."""
    due = [period for period, deadline in fixed_periods(program, today)
           if deadline <= today and (today - deadline).days <= CATCH_UP_DAYS]
    return due[-1] if due else None


def fixed_next(program: Program, today: date) -> tuple[date, date] | None:
    ahead = [pair for pair in fixed_periods(program, today) if pair[1] > today]
    return ahead[0] if ahead else None


def balance_before(member_id: int, moment: datetime) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0))
        .where(LedgerEntry.member_id == member_id, LedgerEntry.created_at < moment)
    ) or 0)


def fixed_points(member: Member, balance: int, day: date) -> int:
    """Points earned before `day` (in the shop's calendar) and not yet spent (older points are spent first)."""
    return max(0, min(balance, balance_before(member.id, day_start(day, shop_zone(member.program)))))


def upcoming_expiry(member: Member, today: date, balance: int | None = None) -> Expiry | None:
    """The points that will expire next and when, while the card should warn about them."""
    program = member.program
    if program.expiry_policy not in ("inactivity", "fixed_date"):
        return None
    balance = totals(member.id).balance if balance is None else balance
    if balance <= 0:
        return None
    if program.expiry_policy == "inactivity":
        expiry = Expiry(balance, inactivity_deadline(program, last_activity(member)))
        if expiry.on < today:  # overdue: the schedule takes it, or it already did
            return None
    else:
        upcoming = fixed_next(program, today)
        if upcoming is None:
            return None
        expiry = Expiry(fixed_points(member, balance, upcoming[0]), upcoming[1])
    if expiry.points <= 0 or today < expiry.warns_from(program):
        return None
    return expiry


def warning_text(program: Program, expiry: Expiry) -> str:
    text = WARNING[program.locale].format(points=card_number_text(expiry.points, program.locale),
                                          label=program.points_label.lower(), date=card_date(expiry.on, program.locale))
    return elide(text, program.locale)
