"""The `Tessera-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

The key is the endpoint's whole secret (`whsec_…`) as UTF-8, the message the timestamp, a dot
and the exact body bytes. The timestamp is signed too, so a captured delivery cannot be replayed
later than `tolerance` seconds. `verify` uses only the standard library: merchants can copy it.
"""
from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "v1"


def _bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def signature(secret: str, body: bytes | str, ts: int) -> str:
    """The hex HMAC-SHA256 of `<ts>.<body>` under `secret`."""
    message = str(ts).encode() + b"." + _bytes(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes | str, ts: int | None = None) -> str:
    """The value of the Tessera-Signature header for `body` sent at `ts` (now by default)."""
    ts = int(time.time()) if ts is None else int(ts)
    return f"t={ts},{SCHEME}={signature(secret, body, ts)}"


def verify(secret: str, body: bytes | str, header: str, tolerance: int = 300, now: float | None = None) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance`
    seconds of `now`. Several `v1=` values are accepted (any one may match)."""
    ts: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 18:
            ts = int(value)
        elif key == SCHEME and value:
            candidates.append(value)
    if ts is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    expected = signature(secret, body, ts)
    return any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates)
