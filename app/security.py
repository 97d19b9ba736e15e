"""Passwords (argon2 through passlib) and API keys (random, stored as SHA-256)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from passlib.context import CryptContext
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey
from app.models._common import utcnow

ROLES = ("owner", "cashier")
KEY_PREFIX = "tsk"


@lru_cache(maxsize=2)
def _context(cost: str) -> CryptContext:
    if cost == "cheap":  # tests: argon2 still, at the smallest allowed cost
        return CryptContext(
            schemes=["argon2"], argon2__time_cost=1, argon2__memory_cost=8, argon2__parallelism=1
        )
    return CryptContext(schemes=["argon2"])


def password_context() -> CryptContext:
    return _context(current_app.config.get("PASSWORD_HASH_COST", "normal"))


def hash_password(password: str) -> str:
    return password_context().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    context = password_context()
    if not password_hash:
        context.dummy_verify()  # same cost whether or not the login exists
        return False
    return bool(context.verify(password, password_hash))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    row: ApiKey
    plaintext: str


def issue_api_key(merchant_id: int, role: str, label: str = "") -> NewKey:
    """Create a key; the plaintext exists only in the returned value."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(merchant_id=merchant_id, prefix=prefix, key_hash=_digest(plaintext), role=role, label=label)
    db.session.add(row)
    db.session.flush()
    return NewKey(row, plaintext)


def find_api_key(presented: str) -> ApiKey | None:
    parts = presented.split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        return None
    row = db.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    expected = row.key_hash if row is not None else _digest("absent")
    matches = hmac.compare_digest(expected, _digest(presented))
    if row is None or not matches or row.revoked_at is not None:
        return None
    return row


def touch_api_key(row: ApiKey) -> bool:
    """Note when the key was last used, at most once a minute; True when that needs saving."""
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
        return True
    return False
