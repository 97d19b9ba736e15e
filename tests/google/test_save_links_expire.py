"""Google Wallet save links expire like pass links: an old one offers a fresh link by e-mail, to
the card's own address; a fresh one goes on to Google with a JWT signed at the click."""
from __future__ import annotations

import queue
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import Card
from app.wallet.google import LINK_SALT, UNTIMED_LINK_SALT
from tests.enrollment.helpers import EN, IT
from tests.enrollment.smtp import smtp_server
from tests.google.conftest import SA_EMAIL
from tests.google.standin import GoogleStandIn
from tests.google.test_save_and_updates import verify_rs256

SAVE = "https://pay.google.com/gp/v/save/"


class _MonthAgo(TimestampSigner):
    """Signs as if a month had passed since: a genuine link past PASS_URL_MAX_AGE (a week)."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 30 * 24 * 3600


def _old_link(app: Flask, serial: str) -> str:
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=LINK_SALT, signer=_MonthAgo).dumps(serial)
    return f"/google/save/{token}"


def _serial(member: dict[str, Any]) -> str:
    card = db.session.scalar(select(Card).where(Card.member_id == member["id"]))
    assert card is not None
    return card.serial_number


def _use_smtp(app: Flask, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="carte@rossi.example")


def _google_link(text: str) -> str:
    found = re.search(r"http://tessera\.test/google/save/\S+", text)
    assert found, text
    return urlsplit(found.group(0)).path


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _token_field(html: str) -> str:
    found = re.search(r'name="token" type="hidden" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_a_fresh_link_goes_to_google_with_a_jwt_signed_at_the_click(
        client: FlaskClient, member: dict[str, Any], service_account_key: rsa.RSAPrivateKey) -> None:
    response = client.get(urlsplit(member["google_save_url"]).path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(SAVE)
    _header, claims = verify_rs256(location.removeprefix(SAVE), service_account_key)
    assert claims["iss"] == SA_EMAIL and abs(claims["iat"] - time.time()) < 60


def test_an_expired_link_offers_a_fresh_one_in_the_browsers_language(
        app: Flask, client: FlaskClient, google: GoogleStandIn, member: dict[str, Any]) -> None:
    page = client.get(_old_link(app, _serial(member)), headers=IT)
    assert page.status_code == 410 and page.mimetype == "text/html"
    assert "Questo link è scaduto" in page.text and "Inviami un nuovo link" in page.text
    assert "pay.google.com" not in page.text and member["email"] not in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert not google.calls("POST", "/loyaltyObject")  # nothing was created for an old link
    english = client.get(_old_link(app, _serial(member)), headers=EN)
    assert english.status_code == 410 and "This link has expired" in english.text


def test_the_fresh_link_goes_by_email_to_the_cards_own_address_and_opens_google(
        app: Flask, client: FlaskClient, member: dict[str, Any], program: dict[str, Any],
        service_account_key: rsa.RSAPrivateKey) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(_old_link(app, _serial(member)), headers=EN)
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        sent = client.post(f"/join/{program['slug']}/fresh-link", headers=EN,
                           data={"csrf_token": _csrf(page.text), "token": _token_field(page.text),
                                 "email": "attacker@example.com"})
        recipients, message = inbox.next()
    assert sent.status_code == 200 and "a fresh link is on its way" in sent.text
    assert recipients == [member["email"]]
    fresh = client.get(_google_link(message.get_body(("plain",)).get_content()))
    assert fresh.status_code == 302 and fresh.headers["Location"].startswith(SAVE)
    _header, claims = verify_rs256(fresh.headers["Location"].removeprefix(SAVE), service_account_key)
    assert abs(claims["iat"] - time.time()) < 60


def test_a_link_from_before_links_expired_counts_as_expired(app: Flask, client: FlaskClient,
                                                            member: dict[str, Any]) -> None:
    token = URLSafeSerializer(app.config["SECRET_KEY"], salt=UNTIMED_LINK_SALT).dumps(_serial(member))
    page = client.get(f"/google/save/{token}", headers=EN)
    assert page.status_code == 410 and "Send me a fresh link" in page.text


def test_a_tampered_link_gets_a_friendly_page_and_no_form(client: FlaskClient, member: dict[str, Any]) -> None:
    path = urlsplit(member["google_save_url"]).path
    page = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"), headers=IT)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Questo link non è valido" in page.text and "<form" not in page.text


def test_a_forged_token_sends_nothing(app: Flask, client: FlaskClient, member: dict[str, Any],
                                      program: dict[str, Any]) -> None:
    forged = URLSafeTimedSerializer("not the key", salt=LINK_SALT).dumps(_serial(member))
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        response = client.post(f"/join/{program['slug']}/fresh-link", data={"token": forged}, headers=EN)
        with pytest.raises(queue.Empty):
            inbox.next(timeout=1.5)
    assert response.status_code == 404


def test_fresh_link_requests_are_rate_limited(app: Flask, client: FlaskClient, member: dict[str, Any],
                                             program: dict[str, Any]) -> None:
    token = _token_field(client.get(_old_link(app, _serial(member)), headers=EN).text)
    for _ in range(5):
        assert client.post(f"/join/{program['slug']}/fresh-link", data={"token": token}).status_code == 200
    limited = client.post(f"/join/{program['slug']}/fresh-link", data={"token": token}, headers=IT)
    assert limited.status_code == 429 and "Troppi tentativi" in limited.text


def test_joining_with_a_known_address_shows_no_google_link(client: FlaskClient, google: GoogleStandIn,
                                                           member: dict[str, Any], program: dict[str, Any]) -> None:
    fresh = client.post(f"/join/{program['slug']}", headers=EN,
                        data={"name": "Paolo Neri", "email": "paolo@example.com", "terms": "y"})
    assert fresh.status_code == 303
    assert "/google/save/" in client.get(fresh.headers["Location"], headers=EN).text  # a newcomer's page has it
    known = client.post(f"/join/{program['slug']}", headers=EN,
                        data={"name": "Not Giulia", "email": member["email"], "terms": "y"})
    assert known.status_code == 200
    assert "/google/save/" not in known.text and "pay.google.com" not in known.text
    assert _serial(member) not in known.text
