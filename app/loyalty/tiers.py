"""Tiers are reached by points earned (redemptions never cost a member their status)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.loyalty.errors import InvalidValue

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
