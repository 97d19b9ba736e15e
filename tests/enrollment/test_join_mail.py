from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Member
from tests.enrollment.helpers import EN, IT, join, links, path, serial_of
from tests.enrollment.smtp import silent_server, smtp_server
from tests.support.phone import check_pkpass_like_a_phone


def _use_smtp(app: Flask, port: int, **extra: Any) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                      MAIL_FROM="Caffè Rossi <carte@rossi.example>", **extra)


def _pass_link(text: str) -> str:
    found = re.search(r"http://tessera\.test/p/\S+\.pkpass", text)
    assert found, text
    return found.group(0)


def test_the_card_arrives_by_email_and_its_link_downloads_a_valid_pass(app: Flask, program: dict[str, Any],
                                                                     client: FlaskClient) -> None:
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        response = join(client, program["slug"], IT, email="Marta@Example.com")
        assert response.status_code == 303
        recipients, message = inbox.next()
    assert recipients == ["marta@example.com"]
    assert message["Subject"] == "La tua carta Caffè Rossi" and "carte@rossi.example" in message["From"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Aggiungi ad Apple Wallet" in text and "Salva in Google Wallet" not in text
    link = _pass_link(text)
    assert f'href="{link}"' in html
    page = client.get(response.headers["Location"], headers=IT).text
    download = client.get(path(link))
    assert serial_of(client, link) == serial_of(client, links(page)[0])
    pass_json = check_pkpass_like_a_phone(download.data, pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    member = db.session.scalar(select(Member))
    assert member is not None and pass_json["serialNumber"] == member.card.serial_number


def test_joining_again_sends_the_same_card_by_email_only(app: Flask, program: dict[str, Any],
                                                          client: FlaskClient) -> None:
    with smtp_server() as (port, inbox):
        _use_smtp(app, port)
        assert join(client, program["slug"], EN).status_code == 303
        again = join(client, program["slug"], EN, name="A Stranger")
        first, second = inbox.next(), inbox.next()
    assert again.status_code == 200 and not links(again.text) and "/p/" not in again.text
    assert first[0] == second[0] == ["marta@example.com"]
    serials = [serial_of(client, _pass_link(m.get_body(("plain",)).get_content())) for m in (first[1], second[1])]
    # the member reads the shop's language, not the language of whoever typed the address
    assert serials[0] == serials[1] and second[1]["Subject"] == "La tua carta Caffè Rossi"
    assert db.session.scalar(select(func.count(Member.id))) == 1


def test_a_hanging_mail_server_delays_the_page_only_briefly(app: Flask, program: dict[str, Any], client: FlaskClient,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    with silent_server() as port:
        _use_smtp(app, port, SMTP_TIMEOUT=0.5)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="app.mail"):
            response = join(client, program["slug"], EN)
        elapsed = time.monotonic() - started
    assert response.status_code == 303 and elapsed < 3
    assert db.session.scalar(select(func.count(Member.id))) == 1
    assert any("not sent" in r.getMessage() and "m***@example.com" in r.getMessage() for r in caplog.records)


def test_a_refusing_mail_server_is_logged_and_the_member_kept(app: Flask, program: dict[str, Any], client: FlaskClient,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with smtp_server() as (port, _inbox):
        pass  # stopped: the port now refuses connections
    _use_smtp(app, port)
    with caplog.at_level(logging.WARNING, logger="app.mail"):
        assert join(client, program["slug"], EN).status_code == 303
    assert db.session.scalar(select(func.count(Member.id))) == 1
    assert any("not sent" in r.getMessage() for r in caplog.records)


def test_without_smtp_host_no_mail_is_sent_and_that_is_logged(program: dict[str, Any], client: FlaskClient,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="app.mail"):
        assert join(client, program["slug"], EN).status_code == 303
    assert any("SMTP_HOST is not set" in r.getMessage() for r in caplog.records)

