"""API keys in the dashboard: the secret is shown once, the list never shows it, revoking is immediate."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey
from tests.conftest import Api, new_merchant
from tests.dashboard.accounts_support import OWNER, add_login, login, staff


def _create(client: FlaskClient, label: str = "Till app", role: str = "cashier") -> str:
    response = client.post("/dashboard/api-keys", data={"label": label, "role": role})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _secret(page: str) -> str:
    found = re.search(r'id="new-key" value="(tsk_[^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_new_key_is_shown_once_and_works_through_the_api(app: Flask, owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    response = client.post("/dashboard/api-keys", data={"label": "Till app", "role": "cashier"})
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = _secret(page)
    assert "shown only this once" in page and 'data-copy="new-key"' in page and "dashboard/keys.js" in page

    api = Api(app.test_client(), secret)
    assert api.get("/programs").status_code == 200
    assert api.post("/programs", {"name": "Not for cashiers"}).status_code == 403  # the role chosen
    listing = client.get("/dashboard/api-keys").get_data(as_text=True)
    assert secret not in listing and secret.split("_", 2)[2] not in listing  # the secret part may hold "_" itself
    row = re.search(r"<tr>(?:(?!</tr>).)*Till app(?:(?!</tr>).)*</tr>", listing, re.S)
    assert row and "Cashier" in row.group(0) and "working" in row.group(0)
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d</td>", row.group(0))  # created: day and time
    key = db.session.scalar(select(ApiKey).where(ApiKey.label == "Till app"))
    assert key is not None and key.role == "cashier"
    assert secret not in key.key_hash


def test_revoking_stops_the_key_at_once(app: Flask, owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    secret = _secret(_create(client, "Website", "owner"))
    api = Api(app.test_client(), secret)
    assert api.get("/programs").status_code == 200
    key = db.session.scalar(select(ApiKey).where(ApiKey.label == "Website"))
    assert key is not None
    response = client.post(f"/dashboard/api-keys/{key.id}/revoke", follow_redirects=True)
    assert "is revoked" in response.get_data(as_text=True)
    assert api.get("/programs").status_code == 401
    db.session.expire_all()
    assert key.revoked_at is not None
    row = re.search(r"<tr>(?:(?!</tr>).)*Website(?:(?!</tr>).)*</tr>", client.get("/dashboard/api-keys").text, re.S)
    assert row and "revoked on" in row.group(0) and "Revoke" not in row.group(0)
    assert owner.get("/programs").status_code == 200  # the other key still works


def test_a_label_is_needed_and_the_role_checked(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    before = db.session.scalars(select(ApiKey)).all()
    page = client.post("/dashboard/api-keys", data={"label": "", "role": "admin"}).get_data(as_text=True)
    assert 'id="label-error"' in page and 'id="role-error"' in page and "tsk_" not in page.split("<tbody>")[0]
    assert 'id="new-key"' not in page
    assert len(db.session.scalars(select(ApiKey)).all()) == len(before)


def test_another_merchants_key_cannot_be_revoked(app: Flask, owner: Api, client: FlaskClient,
                                                 runner: FlaskCliRunner) -> None:
    theirs = new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    their_key = db.session.scalar(select(ApiKey).where(ApiKey.merchant_id == staff("boss@verdi.example").merchant_id))
    assert their_key is not None
    login(client, OWNER)
    assert client.post(f"/dashboard/api-keys/{their_key.id}/revoke").status_code == 404
    assert client.post("/dashboard/api-keys/999999/revoke").status_code == 404
    assert Api(app.test_client(), theirs).get("/programs").status_code == 200
    assert their_key.prefix not in client.get("/dashboard/api-keys").get_data(as_text=True)


def test_a_cashier_is_refused_the_api_keys(owner: Api, client: FlaskClient) -> None:
    add_login("cassa@rossi.example")
    login(client, "cassa@rossi.example")
    mine = db.session.scalar(select(ApiKey))
    assert mine is not None
    assert client.get("/dashboard/api-keys").status_code == 403
    assert client.post("/dashboard/api-keys", data={"label": "x", "role": "owner"}).status_code == 403
    assert client.post(f"/dashboard/api-keys/{mine.id}/revoke").status_code == 403
    assert owner.get("/programs").status_code == 200


def test_the_list_says_when_a_key_was_last_used(owner: Api, client: FlaskClient) -> None:
    key = db.session.scalar(select(ApiKey))
    assert key is not None
    key.last_used_at = key.created_at.replace(year=2030, month=1, day=2, hour=3, minute=4)
    db.session.commit()
    login(client, OWNER)
    page = client.get("/dashboard/api-keys").get_data(as_text=True)
    assert "2 Jan 2030, 03:04" in page and "Times are in the shop's time zone, UTC." in page
