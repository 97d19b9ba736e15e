"""Verifying Google Wallet save/delete callbacks: the ECv2SigningOnly protocol (what Tink's
`PaymentMethodTokenRecipient` does for the sender "GooglePayPasses").

1. Google's root signing keys (ECDSA P-256, from the keys URL) sign an intermediate key: one of
   `intermediateSigningKey.signatures` must verify over
   length-value("GooglePayPasses", "ECv2SigningOnly", signedKey) with a root key that has not
   expired, and the intermediate's own `keyExpiration` must be in the future.
2. The intermediate key signs the message: `signature` over
   length-value("GooglePayPasses", <issuer id>, "ECv2SigningOnly", signedMessage).
3. The message's `expTimeMillis` must be in the future.
Length-value is each part's UTF-8 bytes preceded by its length as 4 bytes little-endian;
signatures are DER ECDSA with SHA-256; keys are base64 X.509 SubjectPublicKeyInfo.
"""
from __future__ import annotations

import base64
import binascii
import json
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SENDER_ID = "GooglePayPasses"
PROTOCOL = "ECv2SigningOnly"


class CallbackInvalid(ValueError):
    """The callback is malformed, badly signed or expired; the message says which."""


@dataclass(frozen=True)
class CallbackEvent:
    class_id: str
    object_id: str
    event_type: str  # "save" or "del"
    nonce: str
    exp_time_millis: int


def length_value(*parts: str) -> bytes:
    return b"".join(struct.pack("<I", len(raw)) + raw for raw in (part.encode("utf-8") for part in parts))


def public_key(key_value: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(base64.b64decode(key_value, validate=True))
    except (ValueError, binascii.Error):
        raise CallbackInvalid("a signing key is not a base64 public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CallbackInvalid("a signing key is not an ECDSA P-256 key")
    return key


def root_keys(document: Any, now_ms: int) -> list[ec.EllipticCurvePublicKey]:
    """The unexpired ECv2SigningOnly keys of Google's key document `{"keys": [...]}`."""
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise CallbackInvalid("the root key document has no keys")
    usable = []
    for entry in keys:
        if not isinstance(entry, dict) or entry.get("protocolVersion") != PROTOCOL:
            continue
        if _millis(entry.get("keyExpiration")) <= now_ms:
            continue
        usable.append(public_key(str(entry.get("keyValue", ""))))
    return usable


def _millis(value: Any) -> int:
    """A time in milliseconds, sent as a number or a string of digits; 0 (long past) otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def _verifies(keys: Iterable[ec.EllipticCurvePublicKey], signatures: Sequence[str], data: bytes) -> bool:
    for signature in signatures:
        try:
            raw = base64.b64decode(signature, validate=True)
        except (ValueError, binascii.Error):
            continue
        for key in keys:
            try:
                key.verify(raw, data, ec.ECDSA(hashes.SHA256()))
                return True
            except InvalidSignature:
                continue
    return False


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind):
        raise CallbackInvalid(f"{name} is missing or not a {kind.__name__}")
    return value


def _intermediate_key(body: dict[str, Any], roots: list[ec.EllipticCurvePublicKey], now_ms: int) -> ec.EllipticCurvePublicKey:
    intermediate = _field(body, "intermediateSigningKey", dict)
    signed_key = _field(intermediate, "signedKey", str)
    signatures = _field(intermediate, "signatures", list)
    if not _verifies(roots, [str(s) for s in signatures], length_value(SENDER_ID, PROTOCOL, signed_key)):
        raise CallbackInvalid("the intermediate signing key is not signed by a Google root key")
    key = _json(signed_key, "signedKey")
    if _millis(key.get("keyExpiration")) <= now_ms:
        raise CallbackInvalid("the intermediate signing key has expired")
    return public_key(str(key.get("keyValue", "")))


def _json(text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise CallbackInvalid(f"{name} is not JSON") from None
    if not isinstance(value, dict):
        raise CallbackInvalid(f"{name} is not a JSON object")
    return value


def verify_callback(body: Any, root_document: Any, issuer_id: str, now: float | None = None) -> CallbackEvent:
    """The event a genuine callback carries; `CallbackInvalid` for anything else."""
    now_ms = int((time.time() if now is None else now) * 1000)
    if not isinstance(body, dict):
        raise CallbackInvalid("the body is not a JSON object")
    if body.get("protocolVersion") != PROTOCOL:
        raise CallbackInvalid(f"protocolVersion must be {PROTOCOL}")
    key = _intermediate_key(body, root_keys(root_document, now_ms), now_ms)
    signed_message = _field(body, "signedMessage", str)
    signed = length_value(SENDER_ID, issuer_id, PROTOCOL, signed_message)
    if not _verifies([key], [_field(body, "signature", str)], signed):
        raise CallbackInvalid("the message signature does not verify")
    message = _json(signed_message, "signedMessage")
    event = CallbackEvent(str(message.get("classId", "")), str(message.get("objectId", "")),
                          str(message.get("eventType", "")), str(message.get("nonce", "")),
                          _millis(message.get("expTimeMillis")))
    if event.exp_time_millis <= now_ms:
        raise CallbackInvalid("the message has expired")
    if event.event_type not in {"save", "del"}:
        raise CallbackInvalid(f"unknown eventType {event.event_type!r}")
    return event
