"""The points ledger: append-only rows whose sum is the balance."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.loyalty.errors import IdempotencyKeyReused, InsufficientPoints, InvalidAmount
from app.loyalty.tiers import TierRule, tier_for
from app.models import LedgerEntry, Member
from app.wallet.changes import card_changed

MAX_POINTS_PER_ENTRY = 1_000_000


@dataclass(frozen=True)
class Totals:
    balance: int
    earned: int


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    replayed: bool


def totals(member_id: int) -> Totals:
    earned = func.coalesce(func.sum(case((LedgerEntry.kind == "earn", LedgerEntry.points))), 0)
    row = db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.points), 0), earned).where(
            LedgerEntry.member_id == member_id
        )
    ).one()
    return Totals(balance=int(row[0]), earned=int(row[1]))


def tier_rules(member: Member) -> list[TierRule]:
    return [TierRule(t.name, t.min_points) for t in member.program.tiers]


def current_tier(member: Member, earned: int) -> str | None:
    tier = tier_for(earned, tier_rules(member))
    return tier.name if tier else None


def _check_points(points: object) -> int:
    if isinstance(points, bool) or not isinstance(points, int):
        raise InvalidAmount("points must be a whole number", field="points")
    if points == 0:
        raise InvalidAmount("points must not be zero", field="points")
    if abs(points) > MAX_POINTS_PER_ENTRY:
        raise InvalidAmount(
            f"points must be between -{MAX_POINTS_PER_ENTRY} and {MAX_POINTS_PER_ENTRY}",
            field="points",
        )
    return points


def _replay(member: Member, points: int, key: str) -> Posting | None:
    entry = db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.merchant_id == member.merchant_id, LedgerEntry.idempotency_key == key
        )
    )
    if entry is None:
        return None
    if entry.member_id != member.id or entry.points != points:
        raise IdempotencyKeyReused(
            "this idempotency_key was already used for a different transaction",
            field="idempotency_key",
        )
    return Posting(entry, replayed=True)


def post(
    member: Member, points: int, *, reason: str = "", idempotency_key: str | None = None
) -> Posting:
    """Credit (points > 0) or redeem (points < 0). Flushes; the caller commits."""
    points = _check_points(points)
    if idempotency_key and (replay := _replay(member, points, idempotency_key)):
        return replay
    card_changed(member.id)  # row lock first: the sum below then sees every committed entry
    if idempotency_key and (replay := _replay(member, points, idempotency_key)):
        return replay
    before = totals(member.id)
    if before.balance + points < 0:
        raise InsufficientPoints(
            f"the balance is {before.balance} points, {-points} cannot be redeemed", field="points"
        )
    kind = "earn" if points > 0 else "redeem"
    earned = before.earned + (points if kind == "earn" else 0)
    entry = LedgerEntry(
        merchant_id=member.merchant_id,
        member_id=member.id,
        kind=kind,
        points=points,
        reason=reason,
        idempotency_key=idempotency_key,
        balance_after=before.balance + points,
        tier_after=current_tier(member, earned),
    )
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        raise IdempotencyKeyReused(
            "this idempotency_key was used at the same moment by another transaction",
            field="idempotency_key",
        ) from None
    return Posting(entry, replayed=False)
