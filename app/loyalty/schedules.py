"""The daily schedules: birthday bonuses, points expiry (and its warnings), tier downgrades,
reward codes past their date.

`run_schedules` is safe to run as often as wanted and on several machines at once: every
ledger entry it writes carries an idempotency key naming what it is for (`birthday:{member}:{year}`,
`expire:{member}:{deadline or period}`), and every other change is a compare-and-set on the row,
so a second run finds nothing left to do. On PostgreSQL each job also takes an advisory lock,
so two machines do not walk the same members at the same time.

"Today" is the calendar day of `now` in the shop's time zone (the merchant's, else TIMEZONE),
whatever offset `now` is written in, and deadlines start at its local midnight (app/loyalty/days.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, or_, select, update

from app.events import emit
from app.extensions import db
from app.formats import card_date
from app.loyalty import expiry as ex
from app.loyalty.batches import SelectIds, each_batch
from app.loyalty.code_expiry import expire_codes
from app.loyalty.days import day_start, local_date, shop_zone
from app.loyalty.ledger import post, tier_points, tier_rules, totals
from app.loyalty.tiers import tier_for
from app.models import Card, LedgerEntry, Member, Program
from app.models._common import utcnow
from app.wallet.changes import card_changed

JOBS = ("birthdays", "expiry", "tiers", "codes")  # append only: the position is the job's lock key
LOCK_SPACE = 0x7E55  # first key of pg_try_advisory_xact_lock(int, int); the second is the job


@dataclass
class JobResult:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return f"{self.name}: skipped, another run is doing it now"
        return f"{self.name}: " + ", ".join(f"{value} {label}" for label, value in self.counts.items())


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """True when this run may do the job. On PostgreSQL, a transaction on a connection of its
    own holds an advisory lock for the whole job; it ends with the job, or with the process."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as conn:
        try:
            yield bool(conn.execute(select(func.pg_try_advisory_xact_lock(LOCK_SPACE, JOBS.index(name)))).scalar())
        finally:
            conn.rollback()


def _programs(condition: ColumnElement[bool]) -> list[int]:
    ids = list(db.session.scalars(select(Program.id).where(condition).order_by(Program.id)))
    db.session.rollback()
    return ids


def _key_used(member: Member, key: str) -> bool:
    return db.session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.merchant_id == member.merchant_id, LedgerEntry.idempotency_key == key)) is not None


def _post_once(member: Member, points: int, *, kind: str, reason: str, key: str, now: datetime) -> bool:
    if points == 0 or _key_used(member, key):
        return False
    return not post(member, points, kind=kind, reason=reason, idempotency_key=key, now=now).replayed


# Birthdays ---------------------------------------------------------------------------------

def _birthday_filter(today: date) -> ColumnElement[bool]:
    same_day = and_(extract("month", Member.birthday) == today.month, extract("day", Member.birthday) == today.day)
    if today.month == 2 and today.day == 28 and not _is_leap(today.year):
        return or_(same_day, and_(extract("month", Member.birthday) == 2, extract("day", Member.birthday) == 29))
    return same_day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def give_birthday_bonuses(now: datetime) -> JobResult:
    """A `bonus` of the program's birthday_bonus on the member's birthday (the day of `now` in the
    shop's calendar), once a year (29 February birthdays are kept on 28 February in other years)."""
    given = 0
    for program_id in _programs(Program.birthday_bonus > 0):
        today = local_date(now, shop_zone(db.session.get_one(Program, program_id)))

        def select_ids(after: int, n: int, program_id: int = program_id, today: date = today) -> Sequence[int]:
            return db.session.scalars(select(Member.id).where(
                Member.program_id == program_id, Member.id > after, Member.erased_at.is_(None),
                Member.birthday.is_not(None), _birthday_filter(today)).order_by(Member.id).limit(n)).all()

        def give(member_id: int, today: date = today) -> bool:
            member = db.session.get_one(Member, member_id)
            return _post_once(member, member.program.birthday_bonus, kind="bonus", reason="Birthday bonus",
                              key=f"birthday:{member.id}:{today.year}", now=now)

        given += each_batch(select_ids, give)
    return JobResult("birthdays", {"bonuses given": given})


# Tiers ----------------------------------------------------------------------------------------

def _qualified(member: Member, now: datetime) -> str | None:
    reached = tier_for(tier_points(member, totals(member.id).earned, now), tier_rules(member))
    return reached.name if reached else None


def _move_down(member: Member, now: datetime) -> bool:
    rules = {rule.name: rule.min_points for rule in tier_rules(member)}
    held = member.tier
    if held not in rules:
        return False
    target = _qualified(member, now)
    if target is not None and rules[target] >= rules[held]:
        return False
    moved = db.session.execute(  # compare-and-set: a concurrent run or a lock set meanwhile wins
        update(Member).where(Member.id == member.id, Member.tier == held, Member.tier_locked.is_(False))
        .values(tier=target, tier_changed_at=now).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not moved:
        return False
    card_changed(member.id)
    emit("tier.changed", member.merchant_id,
         {"member_id": member.id, "program_id": member.program_id, "from": held, "to": target})
    return True


def downgrade_tiers(now: datetime) -> JobResult:
    """Members of programs with downgrade_policy "scheduled" who no longer earn their tier move
    down to the one they qualify for, once downgrade_grace_days have passed since their last
    tier change. Locked tiers are never touched."""
    moved = 0
    for program_id in _programs(Program.downgrade_policy == "scheduled"):
        program = db.session.get_one(Program, program_id)
        settled = now - timedelta(days=program.downgrade_grace_days)

        def select_ids(after: int, n: int, program_id: int = program_id, settled: datetime = settled) -> Sequence[int]:
            return db.session.scalars(select(Member.id).where(
                Member.program_id == program_id, Member.id > after, Member.erased_at.is_(None),
                Member.tier.is_not(None), Member.tier_locked.is_(False),
                or_(Member.tier_changed_at <= settled, and_(Member.tier_changed_at.is_(None), Member.created_at <= settled)),
            ).order_by(Member.id).limit(n)).all()

        moved += each_batch(select_ids, lambda member_id: _move_down(db.session.get_one(Member, member_id), now))
    return JobResult("tiers", {"members moved down": moved})


# Expiry ---------------------------------------------------------------------------------------

def _with_points(query: Select[Any], before: datetime | None) -> Select[Any]:
    """Members with a positive balance (and points from before `before`, when given)."""
    query = query.join(LedgerEntry, LedgerEntry.member_id == Member.id).group_by(Member.id)
    having = [func.sum(LedgerEntry.points) > 0]
    if before is not None:
        having.append(func.sum(case((LedgerEntry.created_at < before, LedgerEntry.points), else_=0)) > 0)
    return query.having(*having)


def _candidates(program_id: int, conditions: Sequence[ColumnElement[bool]], before: datetime | None = None,
                join_card: bool = False) -> SelectIds:
    def select_ids(after: int, n: int) -> Sequence[int]:
        query = select(Member.id).where(Member.program_id == program_id, Member.id > after,
                                        Member.erased_at.is_(None), *conditions)
        if join_card:
            query = query.join(Card, Card.member_id == Member.id)
        return db.session.scalars(_with_points(query, before).order_by(Member.id).limit(n)).all()
    return select_ids


def _active_before(moment: datetime) -> ColumnElement[bool]:
    return or_(Member.last_activity_at < moment, and_(Member.last_activity_at.is_(None), Member.created_at < moment))


def _expire_inactive(program: Program, now: datetime, today: date) -> int:
    days = program.expiry_days or 0
    settled = ex.rules_settled(program)
    if settled > today:
        return 0
    # Deadline on or before today; members emptied by earlier runs drop out on their balance.
    conditions = [_active_before(day_start(today - timedelta(days=days - 1), shop_zone(program)))]

    def expire(member_id: int) -> bool:
        member = db.session.get_one(Member, member_id)
        deadline = ex.inactivity_deadline(program, ex.last_activity(member))
        if deadline > today:
            return False
        return _post_once(member, -totals(member.id).balance, kind="expire",
                          reason=f"Points expired after {days} days without activity",
                          key=f"expire:{member.id}:{deadline.isoformat()}", now=now)

    return each_batch(_candidates(program.id, conditions), expire)


def _expire_fixed(program: Program, now: datetime, today: date) -> int:
    period = ex.fixed_period_due(program, today)
    if period is None:
        return 0
    start = day_start(period, shop_zone(program))

    def expire(member_id: int) -> bool:
        member = db.session.get_one(Member, member_id)
        points = ex.fixed_points(member, totals(member.id).balance, period)
        return _post_once(member, -points, kind="expire",
                          reason=f"Points earned before {card_date(period, 'en')} expired",  # reasons are kept in English
                          key=f"expire:{member.id}:{period.isoformat()}", now=now)

    return each_batch(_candidates(program.id, [Member.created_at < start], before=start), expire)


def _bump_warned(member: Member, today: date, stamp: datetime) -> bool:
    """Bump the card if its warning window opened after the card last changed, so the phone
    fetches the pass that shows it; the card's updated_at then records that it was done."""
    upcoming = ex.upcoming_expiry(member, today)
    if upcoming is None:
        return False
    opened = day_start(upcoming.warns_from(member.program), shop_zone(member.program))
    bumped = db.session.execute(
        update(Card).where(Card.member_id == member.id, Card.updated_at < opened)
        .values(updated_at=stamp).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if bumped:
        card_changed(member.id)
        db.session.execute(update(Card).where(Card.member_id == member.id).values(updated_at=stamp)
                           .execution_options(synchronize_session=False))
    return bool(bumped)


def _warn(program: Program, now: datetime, today: date) -> int:
    stamp = max(now, utcnow())  # a run dated ahead (--now) must still see its own mark
    tz = shop_zone(program)
    if program.expiry_policy == "inactivity":
        horizon = today + timedelta(days=program.expiry_warning_days - (program.expiry_days or 0) + 1)
        select_ids = _candidates(program.id, [_active_before(day_start(horizon, tz))])
    else:
        upcoming = ex.fixed_next(program, today)
        if upcoming is None or today < upcoming[1] - timedelta(days=program.expiry_warning_days):
            return 0
        opened = day_start(upcoming[1] - timedelta(days=program.expiry_warning_days), tz)
        select_ids = _candidates(program.id, [Member.created_at < day_start(upcoming[0], tz), Card.updated_at < opened],
                                 join_card=True)
    return each_batch(select_ids, lambda member_id: _bump_warned(db.session.get_one(Member, member_id), today, stamp))


def expire_points(now: datetime) -> JobResult:
    """Expire what the programs' policies say is due, as `expire` ledger entries, then warn
    the cards whose points go within expiry_warning_days; "today" is each shop's own."""
    expired = warned = 0
    for program_id in _programs(Program.expiry_policy.in_(("inactivity", "fixed_date"))):
        program = db.session.get_one(Program, program_id)
        today = local_date(now, shop_zone(program))
        expire = _expire_inactive if program.expiry_policy == "inactivity" else _expire_fixed
        expired += expire(program, now, today)
        warned += _warn(program, now, today)
    return JobResult("expiry", {"balances expired": expired, "cards warned": warned})


# Reward codes ---------------------------------------------------------------------------------

def expire_reward_codes(now: datetime) -> JobResult:
    """Issued codes past their `expires_at` become `expired`, and leave the back of the card."""
    done = expire_codes(now)
    return JobResult("codes", {"codes expired": done.codes, "cards updated": done.cards})


def run_schedules(now: datetime | None = None, only: Sequence[str] = JOBS) -> list[JobResult]:
    """Run the jobs named in `only` (all by default) as of `now`; commits batch by batch."""
    now = now or utcnow()
    moment = now.astimezone(timezone.utc)  # each shop's "today" is the day of it in its own zone
    work: dict[str, Callable[[], JobResult]] = {
        "birthdays": lambda: give_birthday_bonuses(moment),
        "expiry": lambda: expire_points(moment),
        "tiers": lambda: downgrade_tiers(moment),
        "codes": lambda: expire_reward_codes(moment),
    }
    results = []
    for name in (job for job in JOBS if job in only):
        with job_lock(name) as mine:
            results.append(work[name]() if mine else JobResult(name, skipped=True))
    return results
