"""Per-address rate limiting of join submissions and Wallet logs (memory by default, Redis in production)."""
from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

# Storage comes from RATELIMIT_STORAGE_URI (config.py); nothing is limited unless a view says so.
limiter = Limiter(key_func=get_remote_address)


def join_rate() -> str:
    return str(current_app.config["JOIN_RATE_LIMIT"])


def passkit_log_rate() -> str:
    return str(current_app.config["PASSKIT_LOG_RATE_LIMIT"])


def resend_rate() -> str:
    return str(current_app.config["CARD_RESEND_RATE_LIMIT"])


def card_mail_allowed(card_id: int) -> bool:
    """Counts one card e-mail asked for by a visitor; False past CARD_MAIL_RATE_LIMIT for this card.

    Kept in the limiter's own storage (memory, or Redis shared by every worker), keyed by the card
    rather than the connection: however many addresses a visitor uses, the member's inbox gets at
    most that many messages."""
    rate = parse(str(current_app.config["CARD_MAIL_RATE_LIMIT"]))
    return bool(limiter.limiter.hit(rate, "card-mail", str(card_id)))
