"""Tiers are reached by points earned (redemptions never cost a member their status)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from typing import TYPE_CHECKING

from app.loyalty.errors import InvalidValue

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from datetime import datetime

    from app.models import Member, Program

MAX_TIERS = 10


@dataclass(frozen=True)
class TierRule:
    name: str
    min_points: int


def tier_for(earned: int, tiers: Sequence[TierRule]) -> TierRule | None:
    reached = None
    for tier in sorted(tiers, key=lambda t: t.min_points):
        if earned >= tier.min_points:
            reached = tier
    return reached


def next_tier(earned: int, tiers: Sequence[TierRule]) -> TierRule | None:
    for tier in sorted(tiers, key=lambda t: t.min_points):
        if earned < tier.min_points:
            return tier
    return None


def check_tiers(tiers: Sequence[TierRule]) -> list[TierRule]:
    """Sorted tiers, or InvalidValue naming the first problem."""
    if len(tiers) > MAX_TIERS:
        raise InvalidValue(f"tiers: at most {MAX_TIERS} tiers are allowed", field="tiers")
    names: set[str] = set()
    thresholds: set[int] = set()
    for tier in tiers:
        if tier.name.casefold() in names:
            raise InvalidValue(f"tiers: the name {tier.name!r} appears twice", field="tiers")
        if tier.min_points in thresholds:
            raise InvalidValue(f"tiers: two tiers start at {tier.min_points} points", field="tiers")
        names.add(tier.name.casefold())
        thresholds.add(tier.min_points)
    return sorted(tiers, key=lambda t: t.min_points)


def set_tier(member: Member, tier: str | None, locked: bool) -> None:
    """Put a member in a tier by hand. Locked, the tier stays whatever the member earns or
    spends until unlocked; unlocked, the normal rules take over again from the next change."""
    from app.events import emit
    from app.models._common import utcnow
    from app.wallet.changes import card_changed

    names = [t.name for t in member.program.tiers]
    if tier is not None and tier not in names:
        raise InvalidValue(f"tier must be one of the program's tiers: {', '.join(names) or 'none defined'}",
                           field="tier")
    previous = member.tier
    member.tier, member.tier_locked = tier, locked
    if tier != previous:
        member.tier_changed_at = utcnow()
        emit("tier.changed", member.merchant_id, {"member_id": member.id, "program_id": member.program_id,
                                                  "from": previous, "to": tier, "locked": locked})
    card_changed(member.id)


def follow_tier_changes(program: Program, renamed: Mapping[str, str], gone: Collection[str], now: datetime) -> int:
    """Members and rewards after the program's tiers were replaced (flushed). A renamed tier keeps
    its members and the rewards it opens, under the new name. Members of a tier that is `gone`
    (or that the program no longer has at all) are placed in the tier their points now reach, as
    earning would place them (a lock on a tier that is gone is lifted); returns how many. Their
    cards change with the program's own sweep."""
    from sqlalchemy import case, or_, select, update

    from app.events import emit_each
    from app.extensions import db
    from app.loyalty.ledger import tier_points, totals
    from app.models import Member, Reward

    rules = [TierRule(t.name, t.min_points) for t in program.tiers]
    placed = db.session.scalars(select(Member.id).where(  # before a rename may reuse a gone tier's name
        Member.program_id == program.id, Member.erased_at.is_(None), Member.tier.is_not(None),
        or_(Member.tier.in_(list(gone)), Member.tier.not_in([*(r.name for r in rules), *renamed]))
    ).order_by(Member.id)).all()
    if renamed:  # one statement each, so that swapping two names works
        db.session.execute(update(Member).where(Member.program_id == program.id, Member.tier.in_(list(renamed)),
                                                Member.id.not_in(placed))
                           .values(tier=case(dict(renamed), value=Member.tier))
                           .execution_options(synchronize_session=False))
        db.session.execute(update(Reward).where(Reward.program_id == program.id, Reward.min_tier.in_(list(renamed)))
                           .values(min_tier=case(dict(renamed), value=Reward.min_tier))
                           .execution_options(synchronize_session=False))
        db.session.expire_all()
    events = []
    for member_id in placed:
        member = db.session.get_one(Member, member_id)
        reached = tier_for(tier_points(member, totals(member.id).earned, now), rules)
        previous = member.tier
        member.tier, member.tier_locked, member.tier_changed_at = reached.name if reached else None, False, now
        events.append((member.merchant_id, {"member_id": member.id, "program_id": member.program_id,
                                            "from": previous, "to": member.tier}))
    emit_each("tier.changed", events)
    return len(placed)
