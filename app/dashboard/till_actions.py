"""The till's actions: each reads its form, calls the loyalty function that changes the card (and
queues its push in the same transaction) and says what was done, for the confirmation panel."""
from __future__ import annotations

from typing import TypedDict

from flask import g, request
from flask_babel import gettext as _
from flask_babel import format_currency, ngettext
from sqlalchemy import select

from app.dashboard import till_input as read
from app.dashboard.till_input import TillInputError
from app.extensions import db
from app.formats import grouped
from app.digits import digits
from app.loyalty.errors import InvalidAmount
from app.loyalty.ledger import Posting, current_tier, earn_amount, post, totals
from app.loyalty.rewards import Redemption, redeem_reward, use_code
from app.loyalty.stamps import redeem_stamps
from app.models import Card, Member, Reward


class Done(TypedDict, total=False):
    title: str
    detail: str
    code: str
    card: str
    name: str
    replayed: bool


def _standing(card: Card, balance: int, tier: str | None) -> str:
    program = card.program
    if program.kind == "stamps" and program.stamps_required:
        return _("%(have)s of %(need)s stamps", have=grouped(balance), need=program.stamps_required)
    if tier:
        return _("Balance %(balance)s · %(tier)s", balance=grouped(balance), tier=tier)
    return _("Balance %(balance)s", balance=grouped(balance))


def _earned(card: Card, posting: Posting, detail: str | None = None) -> Done:
    entry, program = posting.entry, card.program
    title = _("+%(points)s %(label)s for %(name)s", points=grouped(entry.points), label=program.points_label.lower(),
              name=card.member.name)
    standing = _standing(card, entry.balance_after, entry.tier_after)
    return Done(title=title, detail=f"{detail} · {standing}" if detail else standing, card=card.card_number,
                name=card.member.name, replayed=posting.replayed)


def purchase_added(card: Card, key: str) -> Done:
    program = card.program
    amount = read.money(request.form.get("amount", ""), program.currency, program.locale)
    try:
        posting = earn_amount(card.member, amount, idempotency_key=key)
    except InvalidAmount as exc:
        raise read.refusal(exc, "amount") from None
    spent = _("%(amount)s spent", amount=format_currency(amount, program.currency))
    return _earned(card, posting, spent)


def points_added(card: Card, key: str) -> Done:
    points = read.points(request.form.get("points", ""))
    reason = read.reason(request.form.get("reason", ""))
    return _earned(card, post(card.member, points, kind="earn", reason=reason, idempotency_key=key), reason)


def stamps_added(card: Card, key: str) -> Done:
    count = read.stamp_count(request.form.get("stamps", "1"))
    posting = post(card.member, count, kind="earn", idempotency_key=key)
    title = ngettext("+%(num)s stamp for %(name)s", "+%(num)s stamps for %(name)s", count, name=card.member.name)
    return Done(title=title, detail=_standing(card, posting.entry.balance_after, posting.entry.tier_after),
                card=card.card_number, name=card.member.name, replayed=posting.replayed)


def _given(card: Card, redemption: Redemption) -> Done:
    """The reward is handed over now (its code used at once) or its code kept for a later visit."""
    code, reward = redemption.code, redemption.code.reward
    now = request.form.get("hand_over", "now") != "later"
    if now and code.status == "issued":
        use_code(g.staff.merchant_id, code.code)
    if now:
        detail = _("Hand it over now")
    else:
        detail = _("Code %(code)s, for a later visit", code=code.code)
    standing = _standing(card, redemption.balance, current_tier(card.member, totals(card.member_id).earned))
    return Done(title=_("%(reward)s for %(name)s", reward=reward.name, name=card.member.name),
                detail=f"{detail} · {standing}", code="" if now else code.code, card=card.card_number,
                name=card.member.name, replayed=redemption.replayed)


def reward_given(card: Card, key: str) -> Done:
    raw = request.form.get("reward_id", "")
    reward = db.session.scalar(select(Reward).where(Reward.id == int(raw), Reward.program_id == card.program_id)) \
        if digits(raw, 9) else None
    if reward is None:
        raise TillInputError("reward", _("This reward is not offered any more."), 409)
    return _given(card, redeem_reward(card.member, reward, idempotency_key=key))


def stamps_redeemed(card: Card, key: str) -> Done:
    return _given(card, redeem_stamps(card.member, idempotency_key=key))


def code_used(card: Card, key: str) -> Done:
    typed = request.form.get("code", "")
    if not typed.strip():
        raise TillInputError("code", _("Type the reward code, such as ABCD-2345."))
    code = use_code(g.staff.merchant_id, typed)
    owner = db.session.get_one(Member, code.member_id)
    return Done(title=_("Code %(code)s used: %(reward)s", code=code.code, reward=code.reward.name),
                detail=_("For %(name)s · hand it over now", name=owner.name), card=card.card_number,
                name=card.member.name)
