"""Google Wallet tests: the app configured for Google, talking to the loopback stand-in."""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask

from app import create_app
from app.extensions import db
from passes.google.callbacks import PROTOCOL, SENDER_ID, length_value
from tests.conftest import _empty_tables, _migrate_once, make_config
from tests.google.standin import GoogleStandIn
from tests.support.openapi_check import OpenApiRecorder

ISSUER_ID = "3388000000022222222"
SA_EMAIL = "tessera-wallet@tessera-test.iam.gserviceaccount.com"
SA_KEY_ID = "0123456789abcdef"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_ROOT = ec.generate_private_key(ec.SECP256R1())


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def spki(key: ec.EllipticCurvePrivateKey) -> str:
    return b64(key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


@pytest.fixture(scope="session")
def service_account_key() -> rsa.RSAPrivateKey:
    return _KEY


@pytest.fixture(scope="session")
def service_account_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pem = _KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "tessera-test", "private_key_id": SA_KEY_ID,
        "private_key": pem.decode(), "client_email": SA_EMAIL, "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    return path


def root_keys_document(*keys: ec.EllipticCurvePrivateKey, expires_ms: int | None = None) -> dict[str, object]:
    expiration = str(expires_ms or int((time.time() + 86400) * 1000))
    return {"keys": [{"keyValue": spki(k), "protocolVersion": PROTOCOL, "keyExpiration": expiration} for k in keys]}


@pytest.fixture
def google() -> Iterator[GoogleStandIn]:
    with GoogleStandIn() as standin:
        standin.state.root_keys = root_keys_document(_ROOT)
        yield standin


@pytest.fixture
def app(database_url: str, google: GoogleStandIn, service_account_file: Path) -> Iterator[Flask]:
    _migrate_once(database_url)
    config = make_config(database_url, GOOGLE_ISSUER_ID=ISSUER_ID, GOOGLE_SERVICE_ACCOUNT_FILE=str(service_account_file),
                         GOOGLE_WALLET_API_URL=google.url + "/walletobjects/v1", GOOGLE_TOKEN_URL=google.url + "/token",
                         GOOGLE_CALLBACK_KEYS_URL=google.url + "/keys")
    application = create_app(config)
    recorder = OpenApiRecorder(application)
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    recorder.assert_clean()


def signed_callback(object_id: str, event_type: str = "save", *, root: ec.EllipticCurvePrivateKey = _ROOT,
                    issuer_id: str = ISSUER_ID, expires_in: float = 60.0, key_expires_in: float = 3600.0,
                    nonce: str = "nonce-1") -> dict[str, object]:
    """A callback body exactly as Google signs one (ECv2SigningOnly)."""
    intermediate = ec.generate_private_key(ec.SECP256R1())
    signed_key = json.dumps({"keyValue": spki(intermediate), "keyExpiration": str(int((time.time() + key_expires_in) * 1000))})
    message = json.dumps({"classId": f"{ISSUER_ID}.class", "objectId": object_id, "eventType": event_type,
                          "expTimeMillis": int((time.time() + expires_in) * 1000), "count": 1, "nonce": nonce})
    key_signature = root.sign(length_value(SENDER_ID, PROTOCOL, signed_key), ec.ECDSA(hashes.SHA256()))
    signature = intermediate.sign(length_value(SENDER_ID, issuer_id, PROTOCOL, message), ec.ECDSA(hashes.SHA256()))
    return {"signature": b64(signature), "protocolVersion": PROTOCOL, "signedMessage": message,
            "intermediateSigningKey": {"signedKey": signed_key, "signatures": [b64(key_signature)]}}
