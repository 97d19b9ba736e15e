"""Per-address rate limiting of join submissions and Wallet logs (memory by default, Redis in production)."""
from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Storage comes from RATELIMIT_STORAGE_URI (config.py); nothing is limited unless a view says so.
limiter = Limiter(key_func=get_remote_address)


def join_rate() -> str:
    return str(current_app.config["JOIN_RATE_LIMIT"])


def passkit_log_rate() -> str:
    return str(current_app.config["PASSKIT_LOG_RATE_LIMIT"])
