"""Stamp cards: a program of kind "stamps" counts visits, one ledger point a stamp.

A full card (balance >= stamps_required) is redeemed like any reward: the program's stamp reward
is a Reward row costing `stamps_required` stamps, created the first time it is needed, so the
catalogue, the codes, the till's check and the figures treat both kinds alike.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.loyalty.errors import Conflict, InsufficientPoints
from app.loyalty.ledger import totals
from app.loyalty.rewards import Redemption, redeem_reward
from app.models import Member, Program, Reward

DEFAULT_REWARD = {"it": "Premio", "en": "Reward"}


class NotAStampCard(Conflict):
    code = "not_a_stamp_card"


class CardNotFull(Conflict):
    code = "card_not_full"


def is_stamp_card(program: Program) -> bool:
    return program.kind == "stamps" and bool(program.stamps_required)


def stamp_reward_name(program: Program) -> str:
    return (program.stamp_reward or "").strip() or DEFAULT_REWARD.get(program.locale, "Reward")


def _find(program: Program, name: str) -> Reward | None:
    return db.session.scalar(
        select(Reward).where(Reward.program_id == program.id, Reward.name == name,
                             Reward.cost == program.stamps_required, Reward.active.is_(True))
        .order_by(Reward.id).limit(1)
    )


def stamp_reward(program: Program) -> Reward:
    """The program's reward for a full card as it stands now (name and size of the card); a
    change of either makes a new row, so codes issued before keep what they were issued for."""
    name = stamp_reward_name(program)
    found = _find(program, name)
    if found is not None:
        return found
    # Two tills filling two cards at once must not create the reward twice: the program row
    # serialises the creation (once per program and card size, so the lock is rarely taken).
    db.session.execute(select(Program.id).where(Program.id == program.id).with_for_update())
    found = _find(program, name)
    if found is not None:
        return found
    reward = Reward(program_id=program.id, name=name, description="", cost=program.stamps_required, active=True)
    db.session.add(reward)
    db.session.flush()
    return reward


def redeem_stamps(member: Member, *, idempotency_key: str | None = None, now: datetime | None = None) -> Redemption:
    """Spend a full card's stamps on its reward; what is left over starts the next card."""
    program = member.program
    if not is_stamp_card(program):
        raise NotAStampCard("this member's program collects points, not stamps", field="member_id")
    try:
        return redeem_reward(member, stamp_reward(program), idempotency_key=idempotency_key, now=now)
    except InsufficientPoints:
        have = totals(member.id).balance
        raise CardNotFull(f"the card has {have} of {program.stamps_required} stamps", field="stamps") from None
