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

from app.events import emit_each
from app.extensions import db
from app.loyalty.batches import each_id_batch
from app.models import Member, Reward, RewardCode
from app.wallet.changes import among, member_cards_changed

EVENT = "reward.expired"


@dataclass(frozen=True)
class CodesExpired:
    codes: int
    cards: int


def _past_date(now: datetime) -> ColumnElement[bool]:
    """The same test as `effective_status` and the till's: issued, and its moment has come."""
    return and_(RewardCode.status == "issued", RewardCode.expires_at.is_not(None), RewardCode.expires_at <= now)


def _expire_batch(member_ids: Sequence[int], now: datetime) -> tuple[int, int]:
    """Compare-and-set every code of these members still issued and past its date (a code the till
    used, or another run expired, meanwhile is left as it is), change their cards, and queue one
    `reward.expired` event per code. The same few statements whatever the batch's size. Returns
    (codes expired, cards changed) by this run."""
    expired = db.session.execute(
        update(RewardCode).where(among(RewardCode.member_id, member_ids), _past_date(now))
        .values(status="expired")
        .returning(RewardCode.id, RewardCode.member_id, RewardCode.code, RewardCode.reward_id, RewardCode.expires_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not expired:
        return 0, 0
    owners = sorted({row.member_id for row in expired})
    cards = member_cards_changed(owners)  # the rebuilt passes list only the codes still open
    members = {row.id: row for row in db.session.execute(
        select(Member.id, Member.merchant_id, Member.program_id).where(among(Member.id, owners)))}
    names = dict(db.session.execute(
        select(Reward.id, Reward.name).where(Reward.id.in_({row.reward_id for row in expired}))).all())
    emit_each(EVENT, [
        (members[row.member_id].merchant_id, {
            "member_id": row.member_id, "program_id": members[row.member_id].program_id, "reward_id": row.reward_id,
            "reward": names.get(row.reward_id), "code": row.code, "expires_at": row.expires_at.isoformat()})
        for row in sorted(expired, key=lambda r: r.id)
    ])
    return len(expired), cards


def expire_codes(now: datetime) -> CodesExpired:
    """Mark the issued codes whose `expires_at` has passed as `expired` and change their members'
    cards, a batch of members per transaction. Idempotent: a second run finds no issued code past
    its date."""
    codes: dict[int, int] = {}  # by the batch's first member, so a batch worked again is not counted twice

    def select_ids(after: int, n: int) -> Sequence[int]:
        return db.session.scalars(
            select(RewardCode.member_id).join(Member, Member.id == RewardCode.member_id)
            .where(RewardCode.member_id > after, Member.erased_at.is_(None), _past_date(now))
            .group_by(RewardCode.member_id).order_by(RewardCode.member_id).limit(n)
        ).all()

    def work(member_ids: Sequence[int]) -> int:
        codes[member_ids[0]], cards = _expire_batch(member_ids, now)
        return cards

    cards = each_id_batch(select_ids, work)
    return CodesExpired(codes=sum(codes.values()), cards=cards)
