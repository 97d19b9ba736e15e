"""A program's figures over a period, day by day, for the dashboard's charts.

Every number comes from an aggregate query (GROUP BY in the database, never a loop over
members), so the page costs the same handful of statements for ten members or a hundred
thousand. Days are calendar days of the shop's time zone (the merchant's, else TIMEZONE; see
app/loyalty/days.py): a period of N days is today there and the N-1 before it, starting at local
midnight, and a day of a clock change has 23 or 25 hours.

Like app/loyalty/stats.py, member counts (members now, tiers) leave erased members out, while
enrolments and the ledger keep their anonymised history: they did join and did spend.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select

from app.extensions import db
from app.loyalty.days import LocalDays, key, local_days, shop_zone
from app.loyalty.ledger import EARNING_KINDS
from app.loyalty.stats import SPENDING_KINDS, TierCount, _count_if, _sum_if, _tiers
from app.models import Card, CardEvent, LedgerEntry, Location, Member, Program, Registration, Reward, RewardCode
from app.models._common import utcnow

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
# An expiry is written by the system, not by a customer: it does not make a member active.
NOT_ACTIVITY = ("expire",)


@dataclass(frozen=True)
class Day:
    """One local calendar day of the period with its counts."""

    day: date
    enrolments: int = 0
    installed: int = 0
    removed: int = 0
    active: int = 0
    issued: int = 0
    redeemed: int = 0


@dataclass(frozen=True)
class Named:
    """A labelled count for a bar: a tier, a reward, a location (`name` None: none of them)."""

    name: str | None
    count: int
    other: int = 0  # a second count where one is drawn (a reward's codes used at the till)


@dataclass(frozen=True)
class Figures:
    program_id: int
    days: int
    first: date
    last: date
    as_of: datetime
    timezone: str  # the zone whose calendar days the series counts (IANA name)
    series: list[Day]
    members: int  # current members, whenever they joined
    cards_on_phones: int  # cards on at least one phone now
    points_outstanding: int  # every point ever issued and not yet spent or expired
    active_members: int  # members with a ledger entry in the period
    repeat_members: int  # of those, members with earn entries on two or more distinct days
    tiers: list[TierCount]
    rewards: list[Named]  # per reward: codes issued (redeemed with points), codes used at the till
    locations: list[Named]  # enrolments per QR location, then those with none (name None)

    @property
    def enrolments(self) -> int:
        return sum(d.enrolments for d in self.series)

    @property
    def installed(self) -> int:
        return sum(d.installed for d in self.series)

    @property
    def removed(self) -> int:
        return sum(d.removed for d in self.series)

    @property
    def points_issued(self) -> int:
        return sum(d.issued for d in self.series)

    @property
    def points_redeemed(self) -> int:
        return sum(d.redeemed for d in self.series)

    @property
    def repeat_rate(self) -> float:
        """Share of the period's active members who came back on another day (0.0 to 1.0)."""
        return self.repeat_members / self.active_members if self.active_members else 0.0


def period_days(value: Any) -> int:
    """The period asked for, when it is one the page offers; else the default."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def _enrolments(program: Program, period: LocalDays) -> dict[str, int]:
    day = period.day(Member.created_at)
    rows = db.session.execute(
        select(day, func.count())
        .where(Member.program_id == program.id, Member.created_at >= period.start, Member.created_at < period.end)
        .group_by(day)
    )
    return {key(d): int(n) for d, n in rows}


def _card_events(program: Program, period: LocalDays) -> dict[str, tuple[int, int]]:
    day = period.day(CardEvent.created_at)
    rows = db.session.execute(
        select(day, _count_if(CardEvent.kind == "installed"), _count_if(CardEvent.kind == "removed"))
        .where(CardEvent.program_id == program.id, CardEvent.created_at >= period.start,
               CardEvent.created_at < period.end)
        .group_by(day)
    )
    return {key(d): (int(i), int(r)) for d, i, r in rows}


def _program_ledger(program: Program, period: LocalDays) -> list[ColumnElement[bool]]:
    return [Member.program_id == program.id, LedgerEntry.created_at >= period.start,
            LedgerEntry.created_at < period.end]


def _ledger_days(program: Program, period: LocalDays) -> dict[str, tuple[int, int, int]]:
    """Per day: distinct active members, points issued, points redeemed."""
    kind, points = LedgerEntry.kind, LedgerEntry.points
    day = period.day(LedgerEntry.created_at)
    active = func.count(distinct(case((kind.not_in(NOT_ACTIVITY), LedgerEntry.member_id))))
    rows = db.session.execute(
        select(day, active, _sum_if(kind.in_(EARNING_KINDS), points), _sum_if(kind.in_(SPENDING_KINDS), -points))
        .select_from(LedgerEntry).join(Member, Member.id == LedgerEntry.member_id)
        .where(*_program_ledger(program, period))
        .group_by(day)
    )
    return {key(d): (int(a), int(i), int(r)) for d, a, i, r in rows}


def _repeat(program: Program, period: LocalDays) -> tuple[int, int]:
    """Members active in the period, and those of them who earned on two or more distinct (local) days."""
    visit_day = case((LedgerEntry.kind == "earn", period.day(LedgerEntry.created_at)))
    per_member = (
        select(LedgerEntry.member_id, func.count(distinct(visit_day)).label("visit_days"))
        .select_from(LedgerEntry).join(Member, Member.id == LedgerEntry.member_id)
        .where(*_program_ledger(program, period), LedgerEntry.kind.not_in(NOT_ACTIVITY))
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    active, repeat = db.session.execute(
        select(func.count(), _count_if(per_member.c.visit_days >= 2)).select_from(per_member)
    ).one()
    return int(active), int(repeat)


def _now_counts(program: Program) -> tuple[int, int, int]:
    """Members now, cards on at least one phone now, points outstanding: one statement."""
    members = select(func.count()).select_from(Member).where(
        Member.program_id == program.id, Member.erased_at.is_(None)).scalar_subquery()
    on_phones = (
        select(func.count(distinct(Registration.card_id))).select_from(Registration)
        .join(Card, Card.id == Registration.card_id).where(Card.program_id == program.id).scalar_subquery()
    )
    outstanding = (
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).select_from(LedgerEntry)
        .join(Member, Member.id == LedgerEntry.member_id).where(Member.program_id == program.id).scalar_subquery()
    )
    row = db.session.execute(select(members, on_phones, outstanding)).one()
    return int(row[0]), int(row[1]), int(row[2])


def _within(column: Any, period: LocalDays) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _rewards(program: Program, period: LocalDays) -> list[Named]:
    """Every reward of the catalogue: codes issued for points, and used at the till, in the period."""
    rows = db.session.execute(
        select(Reward.name, _count_if(_within(RewardCode.issued_at, period)),
               _count_if(_within(RewardCode.used_at, period)))
        .select_from(Reward).outerjoin(RewardCode, RewardCode.reward_id == Reward.id)
        .where(Reward.program_id == program.id)
        .group_by(Reward.id, Reward.name)
        .order_by(Reward.id)
    )
    return [Named(name, int(issued), int(used)) for name, issued, used in rows]


def _locations(program: Program, period: LocalDays, enrolled: int) -> list[Named]:
    """Enrolments per location in the period (every location, even at 0), then the rest."""
    joined = and_(Member.location_id == Location.id, _within(Member.created_at, period))
    rows = db.session.execute(
        select(Location.name, func.count(Member.id))
        .select_from(Location).outerjoin(Member, joined)
        .where(Location.program_id == program.id)
        .group_by(Location.id, Location.name)
        .order_by(Location.name, Location.id)
    ).all()
    named = [Named(name, int(n)) for name, n in rows]
    return [*named, Named(None, enrolled - sum(n.count for n in named))]


def program_figures(program: Program, days: int = DEFAULT_PERIOD, now: datetime | None = None) -> Figures:
    """The figures of the `days` local calendar days ending today (the day of `now` in the shop's zone)."""
    now = now or utcnow()
    period = local_days(days, now, shop_zone(program))
    enrolments = _enrolments(program, period)
    events = _card_events(program, period)
    ledger = _ledger_days(program, period)
    series = []
    for day in period.days:
        day_key = day.isoformat()
        installed, removed = events.get(day_key, (0, 0))
        active, issued, redeemed = ledger.get(day_key, (0, 0, 0))
        series.append(Day(day, enrolments.get(day_key, 0), installed, removed, active, issued, redeemed))
    members, on_phones, outstanding = _now_counts(program)
    active, repeat = _repeat(program, period)
    return Figures(
        program_id=program.id, days=days, first=period.first, last=period.last, as_of=now,
        timezone=period.zone_name, series=series,
        members=members, cards_on_phones=on_phones, points_outstanding=outstanding,
        active_members=active, repeat_members=repeat,
        tiers=_tiers(program),
        rewards=_rewards(program, period),
        locations=_locations(program, period, sum(enrolments.values())),
    )
