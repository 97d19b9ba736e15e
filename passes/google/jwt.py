"""The "Save to Google Wallet" link: an RS256 JWT signed with the service account's key.

The payload only names an object already created by REST (a "skinny" JWT), so the link stays
under the 1,800 characters Google allows in a URL."""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SAVE_URL = "https://pay.google.com/gp/v/save/"
MAX_LINK_LENGTH = 1800


class LinkTooLong(ValueError):
    """The save link would be cut by browsers: its payload must only reference objects."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the service account's private_key is not an RSA key")
    return key


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey, key_id: str | None = None) -> str:
    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def save_claims(issuer_email: str, object_ids: Sequence[str], origins: Sequence[str],
                now: float | None = None) -> dict[str, Any]:
    return {
        "iss": issuer_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time() if now is None else now),
        "origins": list(origins),
        "payload": {"loyaltyObjects": [{"id": object_id} for object_id in object_ids]},
    }


def save_link(issuer_email: str, key: rsa.RSAPrivateKey, object_ids: Sequence[str], origins: Sequence[str],
              key_id: str | None = None, now: float | None = None) -> str:
    link = SAVE_URL + sign_jwt(save_claims(issuer_email, object_ids, origins, now), key, key_id)
    if len(link) >= MAX_LINK_LENGTH:
        raise LinkTooLong(f"the save link is {len(link)} characters, Google allows under {MAX_LINK_LENGTH}")
    return link
