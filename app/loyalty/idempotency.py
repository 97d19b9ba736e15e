"""The ledger's idempotency keys, in namespaces that cannot meet.

A key is unique per merchant, and three sources write keys:

- API clients: whatever the client sends (1 to CLIENT_KEY_MAX characters) is stored behind
  CLIENT_PREFIX, so a client can never write a key of another source, however it spells it;
- the dashboard's till forms: `till-` and the 32 hex digits the page was drawn with;
- the product itself, a purpose and its ids: `welcome:{member}`, `referral:{referee}:referee`,
  `referral:{referee}:referrer`, `birthday:{member}:{year}`, `expire:{member}:{date}`.

None of the product's own keys starts with CLIENT_PREFIX or TILL_PREFIX, so a squatted key
never blocks a welcome bonus, a referral or a birthday. Clients never see the stored form:
answers do not carry the key, and a retry is found by prefixing it again.
"""
from __future__ import annotations

CLIENT_PREFIX = "api:"
TILL_PREFIX = "till-"
CLIENT_KEY_MAX = 100  # what the API accepts; the column is wider by the prefix
KEY_COLUMN_WIDTH = len(CLIENT_PREFIX) + CLIENT_KEY_MAX


def client_key(raw: str) -> str:
    """The stored form of a key an API client sent."""
    return CLIENT_PREFIX + raw


def till_key(raw: str) -> str:
    """The stored form of a till form's one-time key (checked by the caller)."""
    return TILL_PREFIX + raw
