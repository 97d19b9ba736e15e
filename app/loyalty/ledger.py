"""The points ledger: append-only rows whose sum is the balance."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from app.events import emit
from app.extensions import db
from app.loyalty.errors import IdempotencyKeyReused, InsufficientPoints, InvalidAmount
from app.loyalty.tiers import TierRule, tier_for
from app.models import LedgerEntry, Member
from app.models._common import utcnow
from app.wallet.changes import card_changed

MAX_POINTS_PER_ENTRY = 1_000_000
EARNING_KINDS = ("earn", "bonus")  # what counts towards a tier
ACTIVITY_KINDS = ("earn", "redeem", "reward")  # what counts as a visit
KINDS = ("earn", "redeem", "bonus", "reward", "expire", "adjust")


@dataclass(frozen=True)
class Totals:
    balance: int
    earned: int


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    replayed: bool


def totals(member_id: int) -> Totals:
    earned = func.coalesce(func.sum(case((LedgerEntry.kind.in_(EARNING_KINDS), LedgerEntry.points))), 0)
    row = db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.points), 0), earned).where(LedgerEntry.member_id == member_id)
    ).one()
    return Totals(balance=int(row[0]), earned=int(row[1]))


def earned_since(member_id: int, since: datetime) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.member_id == member_id, LedgerEntry.kind.in_(EARNING_KINDS), LedgerEntry.created_at >= since)
    ) or 0)


def tier_rules(member: Member) -> list[TierRule]:
    return [TierRule(t.name, t.min_points) for t in member.program.tiers]


def current_tier(member: Member, earned: int) -> str | None:
    """The tier the member holds: the stored one (upgrades are immediate, downgrades scheduled,
    a lock keeps it), or for a member never evaluated, the one their points reach."""
    if member.tier is not None or member.tier_locked:
        return member.tier
    tier = tier_for(earned, tier_rules(member))
    return tier.name if tier else None


def tier_points(member: Member, earned: int, now: datetime, pending: int = 0) -> int:
    """Points that count for the tier: everything earned (`earned` includes the entry being
    written), or what was earned within the rolling window plus the `pending` entry."""
    program = member.program
    if program.tier_basis == "rolling" and program.tier_window_days:
        return earned_since(member.id, now - timedelta(days=program.tier_window_days)) + pending
    return earned


def _upgrade(member: Member, earned: int, now: datetime, pending: int) -> None:
    if member.tier_locked:
        return
    reached = tier_for(tier_points(member, earned, now, pending), tier_rules(member))
    if reached is None:
        return
    held = next((r for r in tier_rules(member) if r.name == member.tier), None)
    if held is None or reached.min_points > held.min_points:
        previous, member.tier, member.tier_changed_at = member.tier, reached.name, now
        emit("tier.changed", member.merchant_id,
             {"member_id": member.id, "program_id": member.program_id, "from": previous, "to": reached.name})


def _check_points(points: object) -> int:
    if isinstance(points, bool) or not isinstance(points, int):
        raise InvalidAmount("points must be a whole number", field="points")
    if points == 0:
        raise InvalidAmount("points must not be zero", field="points")
    if abs(points) > MAX_POINTS_PER_ENTRY:
        raise InvalidAmount(f"points must be between -{MAX_POINTS_PER_ENTRY} and {MAX_POINTS_PER_ENTRY}", field="points")
    return points


def _replay(member: Member, points: int | None, key: str) -> Posting | None:
    entry = db.session.scalar(
        select(LedgerEntry).where(LedgerEntry.merchant_id == member.merchant_id, LedgerEntry.idempotency_key == key)
    )
    if entry is None:
        return None
    if entry.member_id != member.id or (points is not None and entry.points != points):
        raise IdempotencyKeyReused("this idempotency_key was already used for a different transaction",
                                   field="idempotency_key")
    return Posting(entry, replayed=True)


def _kind(points: int, kind: str | None) -> str:
    if kind is None:
        return "earn" if points > 0 else "redeem"
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    return kind


def post(member: Member, points: int, *, kind: str | None = None, reason: str = "",
         idempotency_key: str | None = None, amount: Decimal | None = None, now: datetime | None = None) -> Posting:
    """Add a ledger row for `member`. Flushes; the caller commits.

    Positive points earn (or are a bonus), negative ones redeem; a redemption past the balance
    raises InsufficientPoints. Earning may lift the member's tier at once.
    """
    points = _check_points(points)
    kind = _kind(points, kind)
    now = now or utcnow()
    if idempotency_key and (replay := _replay(member, points, idempotency_key)):
        return replay
    card_changed(member.id)  # row lock first: the sum below then sees every committed entry
    if idempotency_key and (replay := _replay(member, points, idempotency_key)):
        return replay
    before = totals(member.id)
    if points < 0 and before.balance + points < 0:
        raise InsufficientPoints(f"the balance is {before.balance} points, {-points} cannot be redeemed",
                                 field="points")
    earned = before.earned + (points if kind in EARNING_KINDS else 0)
    if kind in ACTIVITY_KINDS:
        member.last_activity_at = now
    if kind in EARNING_KINDS:
        _upgrade(member, earned, now, points)
    entry = LedgerEntry(merchant_id=member.merchant_id, member_id=member.id, kind=kind, points=points, amount=amount,
                        reason=reason, idempotency_key=idempotency_key, balance_after=before.balance + points,
                        tier_after=current_tier(member, earned), created_at=now)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        raise IdempotencyKeyReused("this idempotency_key was used at the same moment by another transaction",
                                   field="idempotency_key") from None
    if kind == "earn":
        from app.loyalty.referrals import reward_first_purchase

        reward_first_purchase(member, now)
    emit("transaction.created", member.merchant_id, {
        "id": entry.id, "member_id": member.id, "program_id": member.program_id, "kind": kind, "points": points,
        "amount": str(amount) if amount is not None else None, "balance": entry.balance_after, "tier": entry.tier_after,
    })
    return Posting(entry, replayed=False)


def earn_amount(member: Member, amount: Decimal, *, reason: str = "", idempotency_key: str | None = None,
                now: datetime | None = None) -> Posting:
    """Earn on money spent: the program's rate, rounding and multipliers decide the points."""
    from app.loyalty.earning import points_for

    if member.program.kind == "stamps":  # a stamp is a visit, whatever was spent
        raise InvalidAmount("a stamp card takes points (one a stamp), not an amount", field="amount")
    now = now or utcnow()
    if idempotency_key and (replay := _replay(member, None, idempotency_key)):
        if replay.entry.amount is None or Decimal(replay.entry.amount) != amount:
            raise IdempotencyKeyReused("this idempotency_key was already used for a different transaction",
                                       field="idempotency_key")
        return replay
    points, _ = points_for(member, amount, now)
    if points <= 0:
        raise InvalidAmount(f"an amount of {amount} earns no points at this program's rate", field="amount")
    return post(member, points, kind="earn", reason=reason, idempotency_key=idempotency_key, amount=amount, now=now)
