"""Saving a card to Google Wallet and keeping its object current, against the loopback stand-in."""
from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import CardEvent, OutboxJob, PushAttempt
from app.wallet.worker import PushWorker
from tests.conftest import Api
from tests.google.conftest import ISSUER_ID, SA_EMAIL, SA_KEY_ID, signed_callback
from tests.google.standin import GoogleStandIn


def _part(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def verify_rs256(token: str, key: rsa.RSAPrivateKey) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of `token`, after checking its signature with the key's public half."""
    header, claims, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    key.public_key().verify(raw, f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return _part(header), _part(claims)


def _object_id(member: dict[str, Any]) -> str:
    return f"{ISSUER_ID}.tessera_card_{member['serial_number']}"


def _save(client: FlaskClient, member: dict[str, Any]) -> str:
    link = urlsplit(member["google_save_url"])
    response = client.get(link.path)
    assert response.status_code == 302, response.data[:300]
    return str(response.headers["Location"])


def test_save_link_creates_class_and_object_then_redirects_to_a_signed_jwt(
        client: FlaskClient, google: GoogleStandIn, member: dict[str, Any], program: dict[str, Any],
        service_account_key: rsa.RSAPrivateKey) -> None:
    assert member["google_save_url"].startswith("http://tessera.test/google/save/")
    location = _save(client, member)

    assert location.startswith("https://pay.google.com/gp/v/save/")
    assert len(location) < 1800
    header, claims = verify_rs256(location.removeprefix("https://pay.google.com/gp/v/save/"), service_account_key)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": SA_KEY_ID}
    assert claims["iss"] == SA_EMAIL
    assert claims["aud"] == "google"
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["http://tessera.test"]
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["payload"] == {"loyaltyObjects": [{"id": _object_id(member)}]}

    (inserted_class,) = [r.json() for r in google.calls("POST", "/loyaltyClass")]
    assert inserted_class["id"] == f"{ISSUER_ID}.tessera_program_{program['id']}"
    assert inserted_class["programName"] == "Rossi Club"
    assert inserted_class["reviewStatus"] == "UNDER_REVIEW"
    assert inserted_class["programLogo"] == {"sourceUri": {"uri": f"http://tessera.test/google/logo/{program['id']}.png"}}
    assert inserted_class["hexBackgroundColor"] == program["colors"]["background"]
    assert inserted_class["callbackOptions"] == {"url": "http://tessera.test/google/callback"}
    (inserted,) = [r.json() for r in google.calls("POST", "/loyaltyObject")]
    assert inserted["id"] == _object_id(member)
    assert inserted["classId"] == inserted_class["id"]
    assert inserted["state"] == "ACTIVE"
    assert inserted["accountId"] == member["card_number"]
    assert inserted["accountName"] == "Giulia Bianchi"
    assert inserted["loyaltyPoints"] == {"label": program["points_label"], "balance": {"int": member["points"]}}
    assert inserted["barcode"] == {"type": "QR_CODE", "value": member["card_number"], "alternateText": member["card_number"]}
    tier = next(m for m in inserted["textModulesData"] if m["id"] == "tier")
    assert tier["body"] == "Bronze"
    goal = next(m for m in inserted["textModulesData"] if m["id"] == "next_goal")
    assert goal["body"] == "Gold: mancano 1.000 punti"  # the tier opens the text, the figure grouped the Italian way
    assert "notifyPreference" not in inserted  # silent: Google's 3 notifications a day stay unused


def test_the_token_is_a_jwt_bearer_grant_signed_by_the_service_account_and_cached(
        client: FlaskClient, google: GoogleStandIn, member: dict[str, Any],
        service_account_key: rsa.RSAPrivateKey) -> None:
    _save(client, member)
    _save(client, member)  # the class and object exist now: insert answers 409, then PATCH

    (token_call,) = google.calls("POST", "/token")
    form = token_call.form()
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    header, claims = verify_rs256(form["assertion"], service_account_key)
    assert header["alg"] == "RS256" and header["kid"] == SA_KEY_ID
    assert claims["iss"] == SA_EMAIL
    assert claims["scope"] == "https://www.googleapis.com/auth/wallet_object.issuer"
    # google-auth posts to the configured token URL but always names Google's endpoint as audience.
    assert token_call.path == "/token"
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert claims["exp"] - claims["iat"] == 3600
    api_calls = [r for r in google.state.requests if r.path.startswith("/walletobjects/")]
    assert {r.headers["authorization"] for r in api_calls} == {"Bearer ya29.test-1"}
    assert len(google.calls("PATCH", "/loyaltyClass/")) == 1
    assert len(google.calls("PATCH", "/loyaltyObject/")) == 1


def test_a_forged_jwt_signature_does_not_verify(client: FlaskClient, member: dict[str, Any],
                                                service_account_key: rsa.RSAPrivateKey) -> None:
    token = _save(client, member).removeprefix("https://pay.google.com/gp/v/save/")
    header, claims, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({**_part(claims), "iss": "x@y"}).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verify_rs256(f"{header}.{forged}.{signature}", service_account_key)


def _saved(client: FlaskClient, member: dict[str, Any]) -> None:
    _save(client, member)
    response = client.post("/google/callback", json=signed_callback(_object_id(member)))
    assert response.status_code == 200, response.get_json()


def _run_worker(app: Flask) -> int:
    worker = PushWorker(app, name="google-test-worker")
    try:
        return worker.run_once()
    finally:
        worker.close()


def test_a_transaction_patches_the_object_through_the_worker(
        app: Flask, client: FlaskClient, google: GoogleStandIn, owner: Api, member: dict[str, Any]) -> None:
    _saved(client, member)
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 1200}).status_code == 201
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 5}).status_code == 201
    (job,) = db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "google")).all()  # folded into one
    assert job.dedupe_key == str(job.card_id)
    db.session.rollback()

    assert _run_worker(app) == 1
    (patch,) = google.calls("PATCH", "/loyaltyObject/")
    body = patch.json()
    assert patch.path.endswith("/loyaltyObject/" + _object_id(member))
    assert body["loyaltyPoints"]["balance"] == {"int": member["points"] + 1205}
    assert next(m for m in body["textModulesData"] if m["id"] == "tier")["body"] == "Gold"
    attempt = db.session.scalars(select(PushAttempt)).one()
    assert (attempt.device_id, attempt.outcome, attempt.status) == (None, "delivered", 200)
    assert not db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "google")).all()


def test_a_card_never_saved_to_google_queues_nothing(owner: Api, member: dict[str, Any]) -> None:
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 10}).status_code == 201
    assert not db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "google")).all()


def test_google_unavailable_is_retried_and_a_refusal_is_dropped(
        app: Flask, client: FlaskClient, google: GoogleStandIn, owner: Api, member: dict[str, Any]) -> None:
    _saved(client, member)
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 3}).status_code == 201
    google.state.failures.append(503)
    assert _run_worker(app) == 1
    job = db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "google")).one()
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error is not None and "503" in job.last_error
    db.session.rollback()

    db.session.execute(OutboxJob.__table__.update().values(available_at=job.created_at))
    db.session.commit()
    google.state.failures.append(400)
    assert _run_worker(app) == 1
    assert not db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "google")).all()
    outcomes = [(a.status, a.outcome) for a in db.session.scalars(select(PushAttempt).order_by(PushAttempt.id))]
    assert outcomes == [(503, "retry"), (400, "failed")]


def test_the_callback_records_installs_and_removals_once(client: FlaskClient, member: dict[str, Any]) -> None:
    object_id = _object_id(member)
    for body in (signed_callback(object_id), signed_callback(object_id),  # Google retries a callback
                 signed_callback(object_id, "del", nonce="n-2")):
        assert client.post("/google/callback", json=body).status_code == 200
    events = [(e.kind, e.reason, e.device_id) for e in db.session.scalars(select(CardEvent).order_by(CardEvent.id))]
    assert events == [("installed", "google", None), ("removed", "google", None)]


@pytest.mark.parametrize("tamper", ["message", "signature", "root", "recipient", "expired", "key_expired", "protocol"])
def test_a_callback_not_signed_as_google_signs_is_refused(client: FlaskClient, member: dict[str, Any], tamper: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    object_id = _object_id(member)
    body: dict[str, Any] = {
        "message": lambda: {**signed_callback(object_id), "signedMessage": json.dumps({"objectId": object_id,
                                                                                      "eventType": "save"})},
        "signature": lambda: {**signed_callback(object_id), "signature": signed_callback(object_id)["signature"]},
        "root": lambda: signed_callback(object_id, root=ec.generate_private_key(ec.SECP256R1())),
        "recipient": lambda: signed_callback(object_id, issuer_id="3388000000099999999"),
        "expired": lambda: signed_callback(object_id, expires_in=-1),
        "key_expired": lambda: signed_callback(object_id, key_expires_in=-1),
        "protocol": lambda: {**signed_callback(object_id), "protocolVersion": "ECv2"},
    }[tamper]()
    response = client.post("/google/callback", json=body)
    assert response.status_code == 400
    assert not db.session.scalars(select(CardEvent)).all()


def test_the_logo_google_fetches_is_a_png(client: FlaskClient, program: dict[str, Any]) -> None:
    response = client.get(f"/google/logo/{program['id']}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"protocolVersion": "ECv2SigningOnly"}',
                                  (b'{"protocolVersion": "ECv2SigningOnly", "intermediateSigningKey": '
                                   b'{"signedKey": "{\\"keyExpiration\\": \\"soon\\"}", "signatures": ["%%%"]}}')])
def test_a_malformed_callback_gets_400(client: FlaskClient, body: bytes) -> None:
    response = client.post("/google/callback", data=body, content_type="application/json")
    assert response.status_code == 400
