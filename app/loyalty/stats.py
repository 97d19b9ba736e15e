"""The figures a merchant steers a program by, each from an aggregate query.

A fixed handful of statements whatever the number of members: sums and counts are done by the
database (CASE inside SUM, GROUP BY), never by looping over members in Python. They reach rows
through `members (program_id, created_at)` and `ledger_entries (member_id, id)`.

Member figures (members, active, tiers) count current members: erased ones are left out. Ledger
figures (points, spend, visits) keep an erased member's anonymised history, so the liability and
the totals stay right.

The enrolments are counted per calendar day of the shop's time zone (the merchant's, else TIMEZONE; see
app/loyalty/days.py); the other period figures (spend, visits, active members) look back a
rolling number of days from now.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, select

from app.extensions import db
from app.loyalty.days import LocalDays, key, local_days, shop_zone
from app.loyalty.ledger import ACTIVITY_KINDS, EARNING_KINDS
from app.models import Card, CardEvent, Device, LedgerEntry, Member, Program, Registration, Reward, RewardCode
from app.models._common import utcnow

SPENDING_KINDS = ("redeem", "reward")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class TierCount:
    name: str | None
    members: int


@dataclass(frozen=True)
class DayCount:
    date: str
    members: int


@dataclass(frozen=True)
class ProgramStats:
    program_id: int
    days: int
    as_of: datetime
    members: int
    active_members_30d: int
    active_members_90d: int
    cards_installed: int
    installations: int
    cards_removed: int
    repeat_visit_rate: float
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_adjusted: int
    points_outstanding: int
    reward_codes_issued: int
    rewards_redeemed: int
    tiers: list[TierCount]
    currency: str
    period_active_members: int
    average_spend: Decimal
    average_visits: float
    enrolments: list[DayCount]


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], value: Any) -> Any:
    return func.coalesce(func.sum(case((condition, value))), 0)


def _current(program: Program) -> list[ColumnElement[bool]]:
    return [Member.program_id == program.id, Member.erased_at.is_(None)]


def _member_counts(program: Program, now: datetime) -> tuple[int, int, int]:
    row = db.session.execute(
        select(
            func.count(),
            _count_if(Member.last_activity_at >= now - timedelta(days=30)),
            _count_if(Member.last_activity_at >= now - timedelta(days=90)),
        ).where(*_current(program))
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _tiers(program: Program) -> list[TierCount]:
    counts = dict(db.session.execute(
        select(Member.tier, func.count()).where(*_current(program)).group_by(Member.tier)
    ).all())
    ordered = [t.name for t in program.tiers]  # lowest first, as the program lists them
    names: list[str | None] = [*ordered, *sorted(n for n in counts if n is not None and n not in ordered)]
    if None in counts:
        names.append(None)
    return [TierCount(name, int(counts.get(name, 0))) for name in names]


def _program_ledger(*columns: Any) -> Select[Any]:
    return select(*columns).select_from(LedgerEntry).join(Member, Member.id == LedgerEntry.member_id)


def _ledger(program: Program, since: datetime) -> dict[str, Any]:
    kind, points = LedgerEntry.kind, LedgerEntry.points
    in_period = LedgerEntry.created_at >= since
    visit = and_(kind.in_(ACTIVITY_KINDS), in_period)
    row = db.session.execute(
        _program_ledger(
            _sum_if(kind.in_(EARNING_KINDS), points).label("issued"),
            _sum_if(kind.in_(SPENDING_KINDS), -points).label("redeemed"),
            _sum_if(kind == "expire", -points).label("expired"),
            _sum_if(kind == "adjust", points).label("adjusted"),
            func.coalesce(func.sum(points), 0).label("outstanding"),
            func.sum(case((and_(kind == "earn", in_period), LedgerEntry.amount))).label("spend"),
            _count_if(visit).label("visits"),
            func.count(distinct(case((visit, LedgerEntry.member_id)))).label("visitors"),
        ).where(Member.program_id == program.id)
    ).one()
    return dict(row._mapping)


def _repeat_rate(program: Program) -> float:
    per_member = (
        _program_ledger(LedgerEntry.member_id, func.count().label("earns"))
        .where(Member.program_id == program.id, LedgerEntry.kind == "earn")
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    once, repeat = db.session.execute(
        select(func.count(), _count_if(per_member.c.earns >= 2)).select_from(per_member)
    ).one()
    return round(int(repeat) / int(once), 4) if once else 0.0


def _rewards(program: Program) -> tuple[int, int]:
    issued, used = db.session.execute(
        select(func.count(), _count_if(RewardCode.status == "used"))
        .select_from(RewardCode).join(Reward, Reward.id == RewardCode.reward_id)
        .where(Reward.program_id == program.id)
    ).one()
    return int(issued), int(used)


def _cards(program: Program) -> tuple[int, int, int]:
    """Cards on at least one phone, registrations in all, and removals from phones ever (the
    phone's own unregistering, APNs reporting a device gone, or an erasure)."""
    removed = (
        select(func.count()).select_from(CardEvent)
        .where(CardEvent.program_id == program.id, CardEvent.kind == "removed")
        .scalar_subquery()
    )
    cards, registrations, gone = db.session.execute(
        select(func.count(distinct(Registration.card_id)), func.count(Registration.id), removed)
        .select_from(Registration)
        .join(Device, Device.id == Registration.device_id)
        .join(Card, Card.id == Registration.card_id)
        .where(Card.program_id == program.id)
    ).one()
    return int(cards), int(registrations), int(gone)


def _enrolments(program: Program, period: LocalDays) -> list[DayCount]:
    """Members enrolled on each local day of the period (erased ones too: they came)."""
    day = period.day(Member.created_at)
    rows = db.session.execute(
        select(day, func.count())
        .where(Member.program_id == program.id, Member.created_at >= period.start, Member.created_at < period.end)
        .group_by(day)
    ).all()
    counts = {key(d): int(n) for d, n in rows}
    return [DayCount(d.isoformat(), counts.get(d.isoformat(), 0)) for d in period.days]


def _per(total: Any, count: int) -> Decimal:
    return (Decimal(str(total or 0)) / count).quantize(CENT, ROUND_HALF_UP) if count else Decimal("0.00")


def program_stats(program: Program, days: int = 30, now: datetime | None = None) -> ProgramStats:
    """Every figure of the program; `days` is the period of enrolments, spend and visits."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    members, active_30, active_90 = _member_counts(program, now)
    ledger = _ledger(program, since)
    cards, registrations, removed = _cards(program)
    codes_issued, codes_used = _rewards(program)
    visitors = int(ledger["visitors"])
    return ProgramStats(
        program_id=program.id,
        days=days,
        as_of=now,
        members=members,
        active_members_30d=active_30,
        active_members_90d=active_90,
        cards_installed=cards,
        installations=registrations,
        cards_removed=removed,
        repeat_visit_rate=_repeat_rate(program),
        points_issued=int(ledger["issued"]),
        points_redeemed=int(ledger["redeemed"]),
        points_expired=int(ledger["expired"]),
        points_adjusted=int(ledger["adjusted"]),
        points_outstanding=int(ledger["outstanding"]),
        reward_codes_issued=codes_issued,
        rewards_redeemed=codes_used,
        tiers=_tiers(program),
        currency=program.currency,
        period_active_members=visitors,
        average_spend=_per(ledger["spend"], visitors),
        average_visits=round(int(ledger["visits"]) / visitors, 2) if visitors else 0.0,
        enrolments=_enrolments(program, local_days(days, now, shop_zone(program))),
    )
