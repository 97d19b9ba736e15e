"""An address that already has a card gets it by e-mail, never on the page: joining again and
"Lost your card?" answer in the same words whether or not the address is known."""
from __future__ import annotations

import queue
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Card
from tests.enrollment.helpers import EN, IT, join, links, path, serial_of
from tests.enrollment.smtp import smtp_server


def _use_smtp(app: Flask, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="carte@rossi.example")


def _pass_link(text: str) -> str:
    found = re.search(r"http://tessera\.test/p/\S+\.pkpass", text)
    assert found, text
    return found.group(0)


def _lost(client: FlaskClient, slug: str, email: str, headers: dict[str, str] | None = None, **extra: str) -> Any:
    return client.post(f"/join/{slug}/lost", data={"email": email, **extra}, headers=headers or EN)


def _answer(html: str) -> str:
    found = re.search(r"<main>(.*)</main>", html, re.S)
    assert found, html
    return found.group(1)


def test_a_stranger_typing_a_known_address_gets_no_card_and_the_owner_gets_an_email(
        app: Flask, program: dict[str, Any], member: dict[str, Any], client: FlaskClient) -> None:
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        stranger = join(client, program["slug"], IT, email=member["email"], name="Not Giulia")
        recipients, message = inbox.next()
    assert stranger.status_code == 200 and "Location" not in stranger.headers
    card = db.session.scalar(select(Card))
    assert card is not None
    for secret in ("/p/", "/card/", "/google/save", "pay.google.com", ".pkpass", card.serial_number, "Bianchi"):
        assert secret not in stranger.text
    assert not links(stranger.text)
    assert "Se giulia@example.com ha già una carta, te l'abbiamo inviata lì." in stranger.text
    assert recipients == ["giulia@example.com"]
    assert serial_of(client, _pass_link(message.get_body(("plain",)).get_content())) == card.serial_number


def test_a_new_address_still_gets_its_card_on_the_spot(program: dict[str, Any], client: FlaskClient) -> None:
    response = join(client, program["slug"], EN, email="paolo@example.com", name="Paolo Neri")
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=EN).text
    card = db.session.scalar(select(Card))
    assert card is not None and serial_of(client, links(page)[0]) == card.serial_number


def test_the_join_page_links_to_the_lost_card_form_in_both_languages(program: dict[str, Any],
                                                                     client: FlaskClient) -> None:
    assert f'href="/join/{program["slug"]}/lost">Hai perso la carta?' in client.get(f"/join/{program['slug']}", headers=IT).text
    form = client.get(f"/join/{program['slug']}/lost", headers=EN)
    assert form.status_code == 200 and "Lost your card?" in form.text and 'name="email"' in form.text


def test_the_lost_card_answer_is_the_same_for_known_and_unknown_addresses(
        app: Flask, program: dict[str, Any], member: dict[str, Any], client: FlaskClient) -> None:
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        known = _lost(client, program["slug"], "Giulia@Example.com", IT)
        recipients, message = inbox.next()
        unknown = _lost(client, program["slug"], "giulia@example.com".replace("giulia", "nobody"), IT)
        with pytest.raises(queue.Empty):
            inbox.next(timeout=1.5)
    assert known.status_code == unknown.status_code == 200
    assert _answer(known.text).replace("giulia@", "nobody@") == _answer(unknown.text)
    assert "Se giulia@example.com ha già una carta" in known.text
    assert recipients == ["giulia@example.com"]
    link = _pass_link(message.get_body(("plain",)).get_content())
    assert client.get(path(link)).status_code == 200


def test_one_card_gets_at_most_one_email_per_few_minutes(app: Flask, program: dict[str, Any], member: dict[str, Any],
                                                         client: FlaskClient) -> None:
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        first = _lost(client, program["slug"], member["email"])
        second = client.post(f"/join/{program['slug']}/lost", data={"email": member["email"]}, headers=EN,
                        environ_base={"REMOTE_ADDR": "192.0.2.9"})
        inbox.next()
        with pytest.raises(queue.Empty):
            inbox.next(timeout=1.5)
    assert first.status_code == second.status_code == 200
    assert _answer(first.text) == _answer(second.text)


def test_the_lost_card_form_is_rate_limited_per_connection(program: dict[str, Any], client: FlaskClient) -> None:
    for number in range(5):
        assert _lost(client, program["slug"], f"someone{number}@example.com").status_code == 200
    limited = _lost(client, program["slug"], "someone9@example.com", IT)
    assert limited.status_code == 429 and "Troppi tentativi" in limited.text
    assert client.get(f"/join/{program['slug']}/lost").status_code == 200  # reading the form is not limited


def test_the_lost_card_form_checks_the_address_beside_the_field(program: dict[str, Any], client: FlaskClient) -> None:
    response = _lost(client, program["slug"], "not an address", IT)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text and 'id="email-error"' in response.text


def test_the_lost_card_form_needs_its_csrf_token(app: Flask, program: dict[str, Any], member: dict[str, Any],
                                                 client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        refused = _lost(client, program["slug"], member["email"], csrf_token="stale")
        with pytest.raises(queue.Empty):
            inbox.next(timeout=1.5)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', refused.text)
        assert refused.status_code == 400 and token, refused.text
        accepted = _lost(client, program["slug"], member["email"], csrf_token=token.group(1))
        recipients, _message = inbox.next()
    assert accepted.status_code == 200 and recipients == [member["email"]]
