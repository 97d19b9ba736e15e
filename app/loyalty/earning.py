"""Turning money spent into points: the program's rate and rounding, times the member's tier
multiplier and any running campaign's."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select

from app.extensions import db
from app.loyalty.errors import InvalidAmount
from app.models import Campaign, Member, Program

ROUNDING = {"down": ROUND_FLOOR, "nearest": ROUND_HALF_UP, "up": ROUND_CEILING}
MAX_AMOUNT = Decimal("1000000")


def parse_amount(raw: object) -> Decimal:
    """A positive amount of money with at most two decimals, given as a string or a number."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InvalidAmount("amount must be a decimal string such as \"12.50\"", field="amount")
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidAmount("amount must be a decimal string such as \"12.50\"", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidAmount(f"amount must be more than 0 and at most {MAX_AMOUNT}", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount("amount has at most two decimals", field="amount")
    return amount


def campaign_multiplier(program: Program, at: datetime) -> Decimal:
    """The best multiplier among the program's campaigns running at `at` (they do not stack)."""
    best = db.session.scalar(
        select(Campaign.multiplier)
        .where(Campaign.program_id == program.id, Campaign.starts_at <= at, Campaign.ends_at > at)
        .order_by(Campaign.multiplier.desc())
        .limit(1)
    )
    return Decimal(best) if best is not None else Decimal(1)


def tier_multiplier(member: Member) -> Decimal:
    for tier in member.program.tiers:
        if tier.name == member.tier:
            return Decimal(tier.multiplier)
    return Decimal(1)


def points_for(member: Member, amount: Decimal, at: datetime) -> tuple[int, Decimal]:
    """Points earned by spending `amount`, and the multiplier applied."""
    program = member.program
    multiplier = tier_multiplier(member) * campaign_multiplier(program, at)
    raw = amount * Decimal(program.earn_rate) * multiplier
    return int(raw.quantize(Decimal(1), rounding=ROUNDING.get(program.rounding, ROUND_FLOOR))), multiplier
