"""What rewards and stamps put on a card: the next reward on the front, the stamps of a stamp
card, and the member's unused reward codes on the back."""
from __future__ import annotations

from datetime import datetime

from app.formats import card_date, card_number_text, elide
from app.loyalty.days import local_date, shop_zone
from app.loyalty.rewards import next_reward, open_codes
from app.loyalty.stamps import is_stamp_card, stamp_reward_name
from app.models import Card, Program, RewardCode
from app.models._common import utcnow
from app.wallet.strings import (
    CODE_EXPIRES,
    CODE_VALUE,
    NEXT_REWARD,
    ONE_STAMP_TO_GO,
    REWARD_READY,
    STAMPS_CHANGED,
    STAMPS_FULL,
    STAMPS_TO_GO,
)
from passes.apple.pkpass import PassField

CODES_SHOWN = 3
FILLED, EMPTY = "●", "○"


def reward_goal(card: Card, balance: int, tier: str | None) -> str | None:
    """The front's "next goal" in reward terms, or None to keep the tier goal (no catalogue)."""
    program = card.program
    lang = program.locale
    if is_stamp_card(program):
        name, missing = stamp_reward_name(program), (program.stamps_required or 0) - balance
        if missing <= 0:
            return STAMPS_FULL[lang].format(reward=name)
        return (ONE_STAMP_TO_GO if missing == 1 else STAMPS_TO_GO)[lang].format(count=missing, reward=name)
    upcoming = next_reward(card.member, balance, tier)
    if upcoming is None:
        return None
    reward, missing = upcoming
    if missing == 0:
        return REWARD_READY[lang].format(reward=reward.name)
    return NEXT_REWARD[lang].format(points=card_number_text(missing, lang), label=program.points_label.lower(),
                                    reward=reward.name)


def stamp_header(card: Card, balance: int) -> tuple[PassField, ...] | None:
    """"3/8" in the header of a stamp card, said on the lock screen when a stamp is added."""
    program = card.program
    if not is_stamp_card(program):
        return None
    value = f"{max(balance, 0)}/{program.stamps_required}"
    return (PassField("stamps", "stamps", value, change_message=STAMPS_CHANGED[program.locale]),)


def stamp_row(card: Card, balance: int) -> tuple[PassField, ...]:
    """The stamps drawn as ●●●○○○○○ on the front; a card past full shows full."""
    program = card.program
    if not is_stamp_card(program):
        return ()
    required = program.stamps_required or 0
    filled = min(max(balance, 0), required)
    return (PassField("stamp_row", "stamp_card", FILLED * filled + EMPTY * (required - filled)),)


def _code_text(code: RewardCode, program: Program) -> str:
    if code.expires_at is None:
        return CODE_VALUE.format(code=code.code, reward=code.reward.name)
    day = local_date(code.expires_at, shop_zone(program))  # the day it runs out, in the shop's calendar
    text = CODE_EXPIRES[program.locale].format(code=code.code, reward=code.reward.name,
                                               date=card_date(day, program.locale))
    return elide(text, program.locale)


def code_fields(card: Card, now: datetime | None = None) -> tuple[PassField, ...]:
    """One back field per unused code, newest first; keys by position so the pass keeps its shape."""
    codes = open_codes(card.member_id, now or utcnow(), CODES_SHOWN)
    return tuple(PassField(f"reward_code_{i}", "reward_code", _code_text(c, card.program))
                 for i, c in enumerate(codes, 1))
