"""Password reset by e-mail, received on a real SMTP server and followed like a person would."""
from __future__ import annotations

import queue
import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models._common import utcnow
from tests.conftest import Api
from tests.dashboard.accounts_support import OWNER, PASSWORD, add_login, link_in, login, mail_to_inbox, staff
from tests.enrollment.smtp import silent_server

NEW = "a brand new secret"


def _ask(client: FlaskClient, email: str) -> str:
    response = client.post("/dashboard/forgot", data={"email": email})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_reset_link_arrives_and_sets_a_new_password(app: Flask, owner: Api, client: FlaskClient) -> None:
    with mail_to_inbox(app) as inbox:
        page = _ask(client, "Owner@Rossi.example ")
        recipients, message = inbox.next()
    assert "Check your e-mail" in page and "one hour" in page
    assert recipients == [OWNER] and message["Subject"] == "Reset your Tessera password"
    path = link_in(message, "reset")

    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200  # signed in
    assert staff(OWNER).password_changed_at is not None

    client.post("/dashboard/logout")
    assert "not right" in login(client, OWNER, PASSWORD).get_data(as_text=True)
    assert login(client, OWNER, NEW).status_code == 302


def test_the_link_works_once(app: Flask, owner: Api, client: FlaskClient) -> None:
    with mail_to_inbox(app) as inbox:
        _ask(client, OWNER)
        path = link_in(inbox.next()[1], "reset")
    client.post(path, data={"password": NEW, "confirm": NEW})
    again = client.get(path)
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert "This link cannot be used" in page and "already used" in page and 'href="/dashboard/forgot"' in page
    assert client.post(path, data={"password": "yet another one", "confirm": "yet another one"}).status_code == 400


def test_a_link_dies_when_the_password_changes_another_way(app: Flask, owner: Api, client: FlaskClient) -> None:
    with mail_to_inbox(app) as inbox:
        _ask(client, OWNER)
        _ask(client, OWNER)
        first, second = (link_in(inbox.next()[1], "reset") for _ in range(2))
    assert client.post(second, data={"password": NEW, "confirm": NEW}).status_code == 302
    assert client.get(first).status_code == 400


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app: Flask, owner: Api, client: FlaskClient) -> None:
    add_login("gone@rossi.example", active=False)
    add_login("pending@rossi.example", invited_at=utcnow())
    with mail_to_inbox(app) as inbox:
        known = _ask(client, OWNER)
        inbox.next()
        for email in ("nobody@rossi.example", "gone@rossi.example", "pending@rossi.example"):
            assert _ask(client, email) == known.replace(OWNER, email)
        with pytest.raises(queue.Empty):
            inbox.next(timeout=0.5)


def test_tampered_and_expired_links_say_so(app: Flask, owner: Api, client: FlaskClient,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with mail_to_inbox(app) as inbox:
        _ask(client, OWNER)
        path = link_in(inbox.next()[1], "reset")
    tampered = client.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400 and "not valid" in tampered.get_data(as_text=True)
    assert client.get("/dashboard/reset/nonsense").status_code == 400
    monkeypatch.setattr("app.dashboard.accounts.RESET_MAX_AGE", -1)  # an hour has gone by
    expired = client.get(path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_the_new_password_is_checked_beside_the_fields(app: Flask, owner: Api, client: FlaskClient) -> None:
    with mail_to_inbox(app) as inbox:
        _ask(client, OWNER)
        path = link_in(inbox.next()[1], "reset")
    short = client.post(path, data={"password": "short", "confirm": "short"}).get_data(as_text=True)
    assert 'id="password-error"' in short and "between 10 and 200 characters" in short
    differ = client.post(path, data={"password": NEW, "confirm": NEW + "!"}).get_data(as_text=True)
    assert 'id="confirm-error"' in differ and "not the same" in differ
    assert client.get("/dashboard/").status_code == 302  # nothing changed, nobody signed in
    assert login(client, OWNER).status_code == 302


def test_a_reset_lifts_the_lockout(app: Flask, owner: Api, client: FlaskClient) -> None:
    row = staff(OWNER)
    row.locked_until, row.failed_logins = utcnow() + timedelta(minutes=10), 0
    db.session.commit()
    with mail_to_inbox(app) as inbox:
        _ask(client, OWNER)
        path = link_in(inbox.next()[1], "reset")
    client.post(path, data={"password": NEW, "confirm": NEW})
    assert staff(OWNER).locked_until is None
    client.post("/dashboard/logout")
    assert login(client, OWNER, NEW).status_code == 302


def test_a_bad_email_is_told_beside_the_field(owner: Api, client: FlaskClient) -> None:
    page = client.post("/dashboard/forgot", data={"email": "not-an-address"}).get_data(as_text=True)
    assert 'id="email-error"' in page and 'value="not-an-address"' in page


def test_one_address_cannot_flood_inboxes_with_reset_links(owner: Api, client: FlaskClient) -> None:
    for _ in range(10):
        assert client.post("/dashboard/forgot", data={"email": OWNER}).status_code == 200
    assert client.post("/dashboard/forgot", data={"email": OWNER}).status_code == 429
    assert client.get("/dashboard/forgot").status_code == 200  # the page itself stays open


def test_the_answer_does_not_wait_for_the_mail_server(app: Flask, owner: Api, client: FlaskClient) -> None:
    """A known address must not answer slower than an unknown one: the e-mail goes out afterwards."""
    with silent_server() as port:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_TIMEOUT=2.0,
                          MAIL_FROM="Tessera <noreply@tessera.test>")
        started = time.monotonic()
        _ask(client, OWNER)
        assert time.monotonic() - started < 1.0
        for thread in threading.enumerate():  # the delivery gives up on its own time-out
            if thread.name == "reset-mail":
                thread.join(timeout=5)
                assert not thread.is_alive()
