"""The session cookie's flags and lifetime, and the CSRF token on every account form."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from app.dashboard.account_tokens import INVITE_SALT, RESET_SALT, make_token
from app.extensions import db
from app.models import ApiKey
from app.models._common import utcnow
from tests.conftest import Api, make_config
from tests.dashboard.accounts_support import OWNER, PASSWORD, add_login, csrf_of, login, staff


def _session_cookie(response: TestResponse) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(headers) == 1, headers
    return str(headers[0])


def test_the_session_cookie_is_http_only_lax_and_lasts_12_hours(owner: Api, client: FlaskClient) -> None:
    cookie = _session_cookie(login(client, OWNER))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on a developer's machine: a Secure cookie would never return
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))  # type: ignore[union-attr]
    assert timedelta(hours=11, minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)


@pytest.fixture
def https_app(database_url: str, owner: Api) -> Iterator[Flask]:
    application = create_app(make_config(database_url, PUBLIC_URL="https://cards.rossi.example"))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_under_https_the_cookie_is_secure(https_app: Flask) -> None:
    client = https_app.test_client()
    response = login(client, OWNER, base_url="https://cards.rossi.example")
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _forms(app: Flask) -> list[tuple[str, dict[str, str]]]:
    """Every account form, as (path, a body that would be accepted with the token)."""
    me, cashier = staff(OWNER), add_login("cassa@rossi.example", invited_at=utcnow())
    key = db.session.scalar(select(ApiKey))
    assert key is not None
    with app.test_request_context():
        reset, invite = make_token(me, RESET_SALT), make_token(cashier, INVITE_SALT)
    new = {"password": "a brand new secret", "confirm": "a brand new secret"}
    return [
        ("/dashboard/login", {"email": OWNER, "password": PASSWORD}),
        ("/dashboard/logout", {}),
        ("/dashboard/forgot", {"email": OWNER}),
        (f"/dashboard/reset/{reset}", new),
        (f"/dashboard/invite/{invite}", {"name": "Luca", **new}),
        ("/dashboard/setup", {"shop": "X", "name": "Y", "email": "y@x.example", **new}),
        ("/dashboard/profile", {"name": "Mario", "locale": "it"}),
        ("/dashboard/profile/password", {"current": PASSWORD, **new}),
        ("/dashboard/staff", {"email": "new@rossi.example", "name": "New", "role": "cashier"}),
        (f"/dashboard/staff/{cashier.id}/resend", {}),
        (f"/dashboard/staff/{cashier.id}/role", {"role": "owner"}),
        (f"/dashboard/staff/{cashier.id}/deactivate", {}),
        (f"/dashboard/staff/{cashier.id}/reactivate", {}),
        ("/dashboard/api-keys", {"label": "Till", "role": "cashier"}),
        (f"/dashboard/api-keys/{key.id}/revoke", {}),
    ]


def test_every_account_form_refuses_a_post_without_its_token(app: Flask, owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)  # signed in, so a refusal is the token's doing and not a redirect to sign in
    forms = _forms(app)
    app.config["WTF_CSRF_ENABLED"] = True
    for path, body in forms:
        response = client.post(path, data=body)
        assert response.status_code == 400, path
    db.session.expire_all()
    assert staff(OWNER).name == "" and staff(OWNER).locale is None
    assert staff("cassa@rossi.example").role == "cashier" and staff("cassa@rossi.example").active
    assert len(db.session.scalars(select(ApiKey)).all()) == 1
    assert db.session.scalar(select(ApiKey)).revoked_at is None  # type: ignore[union-attr]
    # With the token from the page, the same profile form goes through.
    token = csrf_of(client.get("/dashboard/profile").get_data(as_text=True))
    saved = client.post("/dashboard/profile", data={"name": "Mario", "locale": "", "csrf_token": token})
    assert saved.status_code == 302 and staff(OWNER).name == "Mario"
