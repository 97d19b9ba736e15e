"""Reward codes past their date: marked `expired`, and taken off the back of the card.

A code stops being good at `expires_at` whatever its row says (the till, the API and the pages
all check the date), but the pass on the phone is only rebuilt when the card changes. This job
writes the state down and changes the card, so the phone stops showing a code the till refuses.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select, update

from app.events import emit
from app.extensions import db
from app.loyalty.batches import each_batch
from app.models import Member, Reward, RewardCode
from app.wallet.changes import card_changed


@dataclass(frozen=True)
class CodesExpired:
    codes: int
    cards: int


def _past_date(now: datetime) -> ColumnElement[bool]:
    """The same test as `effective_status` and the till's: issued, and its moment has come."""
    return and_(RewardCode.status == "issued", RewardCode.expires_at.is_not(None), RewardCode.expires_at <= now)


def _expire_member_codes(member_id: int, now: datetime) -> int:
    """Compare-and-set every code of the member still issued and past its date; a code the till
    used, or another run expired, meanwhile is left as it is. Returns how many this run expired."""
    expired = db.session.execute(
        update(RewardCode).where(RewardCode.member_id == member_id, _past_date(now))
        .values(status="expired")
        .returning(RewardCode.id, RewardCode.code, RewardCode.reward_id, RewardCode.expires_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not expired:
        return 0
    member = db.session.get_one(Member, member_id)
    card_changed(member_id)  # the rebuilt pass lists only the codes still open
    reward_ids = {row.reward_id for row in expired}
    rewards = db.session.execute(select(Reward.id, Reward.name).where(Reward.id.in_(reward_ids)))
    names = {reward_id: name for reward_id, name in rewards}
    for row in sorted(expired, key=lambda r: r.id):
        emit("reward.expired", member.merchant_id, {
            "member_id": member_id, "program_id": member.program_id, "reward_id": row.reward_id,
            "reward": names.get(row.reward_id), "code": row.code, "expires_at": row.expires_at.isoformat(),
        })
    return len(expired)


def expire_codes(now: datetime) -> CodesExpired:
    """Mark the issued codes whose `expires_at` has passed as `expired` and change their members'
    cards, batch by batch. Idempotent: a second run finds no issued code past its date."""
    per_member: dict[int, int] = {}  # by member, so a batch worked again is not counted twice

    def select_ids(after: int, n: int) -> Sequence[int]:
        return db.session.scalars(
            select(RewardCode.member_id).join(Member, Member.id == RewardCode.member_id)
            .where(RewardCode.member_id > after, Member.erased_at.is_(None), _past_date(now))
            .group_by(RewardCode.member_id).order_by(RewardCode.member_id).limit(n)
        ).all()

    def work(member_id: int) -> bool:
        per_member[member_id] = _expire_member_codes(member_id, now)
        return per_member[member_id] > 0

    cards = each_batch(select_ids, work)
    return CodesExpired(codes=sum(per_member.values()), cards=cards)
