"""The profile: name, language, and a password change that signs other sessions out."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Api
from tests.dashboard.accounts_support import OWNER, PASSWORD, add_login, login, staff

NEW = "a brand new secret"


def test_the_top_bar_links_the_name_to_the_profile(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    page = client.get("/dashboard/profile").get_data(as_text=True)
    assert '<a href="/dashboard/profile" aria-current="page">' in page
    assert 'value="owner@rossi.example"' in page and "Caffè Rossi" in page


def test_name_and_language_are_saved(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    response = client.post("/dashboard/profile", data={"name": "Mario Rossi", "locale": "it"})
    assert response.status_code == 302
    assert staff(OWNER).name == "Mario Rossi" and staff(OWNER).locale == "it"
    page = client.get("/dashboard/profile").get_data(as_text=True)
    assert 'lang="it"' in page and "Mario Rossi" in page
    client.post("/dashboard/profile", data={"name": "Mario Rossi", "locale": ""})
    assert staff(OWNER).locale is None


def test_profile_mistakes_are_told_beside_the_fields(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    page = client.post("/dashboard/profile", data={"name": "", "locale": "fr"}).get_data(as_text=True)
    assert 'id="name-error"' in page and 'id="locale-error"' in page
    assert staff(OWNER).locale is None


def test_changing_the_password_needs_the_current_one(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    page = client.post("/dashboard/profile/password",
                       data={"current": "wrong", "password": NEW, "confirm": NEW}).get_data(as_text=True)
    assert 'id="current-error"' in page and "not your current password" in page
    short = client.post("/dashboard/profile/password",
                        data={"current": PASSWORD, "password": "short", "confirm": "short"}).get_data(as_text=True)
    assert 'id="password-error"' in short
    assert login(client, OWNER).status_code == 302  # unchanged


def test_a_new_password_signs_every_other_session_out(app: Flask, owner: Api, client: FlaskClient) -> None:
    other = app.test_client()
    login(client, OWNER)
    login(other, OWNER)
    assert other.get("/dashboard/profile").status_code == 200
    response = client.post("/dashboard/profile/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert client.get("/dashboard/profile").status_code == 200  # this one carries on
    assert other.get("/dashboard/profile").status_code == 302  # the other is signed out
    assert login(other, OWNER, NEW).status_code == 302
    assert staff(OWNER).password_changed_at is not None


def test_a_cashier_has_a_profile_too(owner: Api, client: FlaskClient) -> None:
    add_login("cassa@rossi.example")
    login(client, "cassa@rossi.example")
    assert client.get("/dashboard/profile").status_code == 200
    assert client.post("/dashboard/profile", data={"name": "Luca", "locale": "en"}).status_code == 302
    assert staff("cassa@rossi.example").locale == "en"


def test_signed_out_the_profile_asks_to_sign_in(owner: Api, client: FlaskClient) -> None:
    assert client.get("/dashboard/profile").headers["Location"] == "/dashboard/login?next=/dashboard/profile"
