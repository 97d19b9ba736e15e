"""What a cashier types at the till, read strictly, and the loyalty errors said in their words.

The domain's messages are English sentences for API clients; the till speaks the staff member's
language, so each error code gets its own translated sentence here."""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

from app.dashboard.numbers import read_number
from app.digits import digits
from app.loyalty import rewards, stamps
from app.loyalty.earning import parse_amount
from app.loyalty.errors import IdempotencyKeyReused, InsufficientPoints, InvalidAmount, LoyaltyError
from app.loyalty.idempotency import till_key
from app.loyalty.ledger import MAX_POINTS_PER_ENTRY
from app.loyalty.privacy import MemberErased

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_STAMPS_AT_ONCE = 50
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


class TillInputError(Exception):
    """A value the cashier must correct; shown beside `field`, the typed text kept."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status  # 422 for a value to correct, 409 for what the card's state refuses


def card_number(raw: str) -> str:
    """Spaces and dashes are how people group digits when they read a number out: ignore them."""
    return re.sub(r"[\s-]+", "", raw or "")


def currency_sign(currency: str) -> str:
    return CURRENCY_SIGNS.get(currency, currency)


def money(raw: str, currency: str, locale: str) -> Decimal:
    """12,50 or 12.50 or € 1.234,50, read the way the shop's language (`locale`, the program's)
    writes money: a till in an Italian shop reads "1.234" as a thousand and more, and "12,345" as
    a mistake, whatever language the cashier's screen speaks."""
    text = (raw or "").replace(currency_sign(currency), "").replace(currency, "")
    if not text.strip():
        raise TillInputError("amount", _("Enter the amount spent, such as 12,50."))
    number = read_number(text, locale)
    try:
        return parse_amount(str(number) if number is not None else text)
    except InvalidAmount:
        raise TillInputError("amount", _("Enter an amount above zero with at most two decimals, such as 12,50.")) \
            from None


def whole_number(raw: str, field: str, high: int) -> int:
    text = (raw or "").strip().lstrip("+")
    if not digits(text) or not 1 <= int(text) <= high:
        raise TillInputError(field, _("Enter a whole number from 1 to %(high)s.", high=high))
    return int(text)


def points(raw: str) -> int:
    return whole_number(raw, "points", MAX_POINTS_PER_ENTRY)


def stamp_count(raw: str) -> int:
    return whole_number(raw, "stamps", MAX_STAMPS_AT_ONCE)


def reason(raw: str) -> str:
    text = " ".join((raw or "").split())
    if not text:
        raise TillInputError("reason", _("Say why these points are given, such as a refund or a gift."))
    if len(text) > 200:
        raise TillInputError("reason", _("Keep the reason under 200 characters."))
    return text


def idempotency_key(raw: str) -> str:
    """The one-time key the page was rendered with; a form without one is stale or forged."""
    if not KEY_RE.match(raw or ""):
        raise TillInputError("form", _("This form has expired. It has been reloaded: please try again."))
    return till_key(raw)


def refusal(exc: LoyaltyError, field: str) -> TillInputError:
    """A domain error in the cashier's language, beside the form that caused it."""
    return TillInputError(field, _message(exc), 422 if isinstance(exc, InvalidAmount) else 409)


def _message(exc: LoyaltyError) -> str:
    if isinstance(exc, stamps.CardNotFull):
        return _("The card is not full yet.")
    if isinstance(exc, InsufficientPoints):
        return _("Not enough points for this reward.")
    if isinstance(exc, InvalidAmount) and exc.field == "amount":
        return _("This amount earns no points at the program's rate.")
    if isinstance(exc, IdempotencyKeyReused):
        return _("This form was already used for another action. It has been reloaded: please try again.")
    if isinstance(exc, MemberErased):
        return _("This card was cancelled: nothing can be added or redeemed on it.")
    known = _CODE_MESSAGES.get(exc.code)
    return known() if known else _("This could not be done: %(reason)s", reason=exc.message)


_CODE_MESSAGES = {
    rewards.OutOfStock.code: lambda: _("This reward is out of stock."),
    rewards.TierTooLow.code: lambda: _("This reward needs a higher tier."),
    rewards.RewardInactive.code: lambda: _("This reward is not offered any more."),
    rewards.CodeUsed.code: lambda: _("This code was already used."),
    rewards.CodeExpired.code: lambda: _("This code has expired."),
    rewards.CodeVoid.code: lambda: _("This code was cancelled."),
    rewards.CodeNotFound.code: lambda: _("No reward code of this shop matches. A code looks like ABCD-2345."),
    stamps.NotAStampCard.code: lambda: _("This program collects points, not stamps."),
}
