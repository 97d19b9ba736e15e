"""What the till shows about a card: finding it, its balance, tier, goal, visits and rewards."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.extensions import db
from app.formats import grouped
from app.loyalty.ledger import Totals, totals
from app.loyalty.rewards import next_reward, open_codes, rewards_of, tier_allows
from app.loyalty.stamps import is_stamp_card, stamp_reward_name
from app.models import Card, LedgerEntry, Member, Program, Reward, RewardCode
from app.models._common import utcnow
from app.wallet.apple import card_state

VISITS_SHOWN = 5
RECENT_SHOWN = 6


@dataclass(frozen=True)
class CardView:
    card: Card
    member: Member
    program: Program
    balance: int
    tier: str | None
    goal: str
    visits: list[LedgerEntry]
    affordable: list[Reward] = field(default_factory=list)
    codes: list[RewardCode] = field(default_factory=list)
    stamps_required: int | None = None
    refused: str | None = None  # why nothing can be done on this card, if so

    @property
    def is_stamps(self) -> bool:
        return self.stamps_required is not None

    @property
    def stamps_full(self) -> bool:
        return self.stamps_required is not None and self.balance >= self.stamps_required


def entry_kinds() -> dict[str, str]:
    return {"earn": _("Earned"), "redeem": _("Redeemed"), "bonus": _("Bonus"), "reward": _("Reward"),
            "expire": _("Expired"), "adjust": _("Correction")}


def find_card(merchant_id: int, number: str) -> Card | None:
    """The merchant's card with this number; another merchant's card is as good as none."""
    if not number:
        return None
    return db.session.scalar(
        select(Card).join(Member, Member.id == Card.member_id)
        .where(Card.card_number == number, Member.merchant_id == merchant_id)
    )


def refusal(card: Card) -> str | None:
    if card.member.erased_at is not None:
        return _("This card was cancelled at the member's request: nothing can be added or redeemed on it.")
    if card.voided:
        return _("This card was cancelled: nothing can be added or redeemed on it.")
    return None


def _goal(member: Member, program: Program, sums: Totals, tier: str | None) -> str:
    if is_stamp_card(program):
        missing = (program.stamps_required or 0) - sums.balance
        if missing <= 0:
            return _("Card full. Reward to give: %(reward)s", reward=stamp_reward_name(program))
        return ngettext("Next reward: %(reward)s, %(num)s more stamp", "Next reward: %(reward)s, %(num)s more stamps",
                        missing, reward=stamp_reward_name(program))
    upcoming = next_reward(member, sums.balance, tier)
    if upcoming is None:
        return _("No reward to aim at yet.")
    reward, missing = upcoming
    if missing == 0:
        return _("Reward available now: %(reward)s", reward=reward.name)
    return _("Next reward: %(reward)s, %(missing)s more %(label)s", missing=grouped(missing),
             label=program.points_label.lower(), reward=reward.name)


def _affordable(program: Program, balance: int, tier: str | None) -> list[Reward]:
    """Rewards the member could take right now: offered, in stock, at their tier, within balance."""
    return [r for r in rewards_of(program)
            if r.active and (r.stock is None or r.stock > 0) and r.cost <= balance
            and tier_allows(program, tier, r.min_tier)]


def last_visits(member_id: int, limit: int = VISITS_SHOWN) -> list[LedgerEntry]:
    return list(db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member_id).order_by(LedgerEntry.id.desc()).limit(limit)
    ))


def card_view(card: Card) -> CardView:
    member, program = card.member, card.program
    sums = totals(member.id)
    state = card_state(card, sums)
    stamps_required = program.stamps_required if is_stamp_card(program) else None
    return CardView(
        card=card, member=member, program=program, balance=state.balance, tier=state.tier,
        goal=_goal(member, program, sums, state.tier), visits=last_visits(member.id),
        affordable=[] if stamps_required else _affordable(program, state.balance, state.tier),
        codes=list(open_codes(member.id, utcnow())), stamps_required=stamps_required, refused=refusal(card),
    )


def served_today(program: Program, now: datetime | None = None) -> list[dict[str, Any]]:
    """The cards served in the last hours, newest first, one row a card: a second visit is one tap."""
    since = (now or utcnow()) - timedelta(hours=12)
    rows = db.session.execute(
        select(LedgerEntry, Card.card_number, Member.name)
        .join(Member, Member.id == LedgerEntry.member_id)
        .join(Card, Card.member_id == Member.id)
        .where(Member.program_id == program.id, LedgerEntry.created_at >= since,
               LedgerEntry.kind.in_(("earn", "reward")), Member.erased_at.is_(None))
        .order_by(LedgerEntry.id.desc()).limit(50)
    )
    seen: dict[str, dict[str, Any]] = {}
    for entry, number, name in rows:
        if number not in seen:
            seen[number] = {"number": number, "name": name, "points": entry.points, "at": entry.created_at}
    return list(seen.values())[:RECENT_SHOWN]
