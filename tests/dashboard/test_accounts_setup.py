"""The first-run page: open only while there is no merchant, it creates the shop and its owner."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Merchant
from tests.conftest import Api
from tests.dashboard.accounts_support import PASSWORD, login, staff

FIRST = {"shop": "Forno Bianchi", "name": "Anna Bianchi", "email": "Anna@Forno.example", "password": PASSWORD,
         "confirm": PASSWORD}


def test_an_empty_database_sends_sign_in_to_the_first_run_page(client: FlaskClient) -> None:
    page = client.get("/dashboard/login").get_data(as_text=True)
    assert 'href="/dashboard/setup"' in page and "No shop is set up yet" in page
    assert client.get("/").headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").headers["Location"].startswith("/dashboard/login")


def test_the_first_run_creates_the_shop_and_signs_its_owner_in(app: Flask, client: FlaskClient) -> None:
    form = client.get("/dashboard/setup")
    assert form.status_code == 200 and "Set up your shop" in form.get_data(as_text=True)
    response = client.post("/dashboard/setup", data=FIRST)
    assert response.status_code == 302
    expected = "/dashboard/programs/new" if "dashboard.program_new" in app.view_functions else "/dashboard/"
    assert response.headers["Location"] == expected
    owner = staff("anna@forno.example")
    assert owner.role == "owner" and owner.name == "Anna Bianchi" and owner.merchant.name == "Forno Bianchi"
    assert owner.active and owner.invited_at is None
    assert client.get("/dashboard/profile").status_code == 200  # signed in
    # From now on the page is gone, for everyone.
    assert client.get("/dashboard/setup").headers["Location"] == "/dashboard/login"
    client.post("/dashboard/logout")
    assert client.post("/dashboard/setup", data={**FIRST, "email": "x@y.example"}).status_code == 302
    assert db.session.scalar(select(func.count(Merchant.id))) == 1
    assert 'href="/dashboard/setup"' not in client.get("/dashboard/login").get_data(as_text=True)
    assert login(client, "anna@forno.example").status_code == 302


def test_mistakes_are_told_beside_the_fields_and_nothing_is_created(client: FlaskClient) -> None:
    page = client.post("/dashboard/setup", data={**FIRST, "shop": "", "email": "anna", "confirm": "other"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for field in ("shop", "email", "confirm"):
        assert f'id="{field}-error"' in text and re.search(rf'aria-describedby="[^"]*\b{field}-error"', text)
    assert 'value="Anna Bianchi"' in text and 'value="anna"' in text  # input kept
    assert db.session.scalar(select(func.count(Merchant.id))) == 0


def test_with_a_merchant_the_page_redirects_to_sign_in(owner: Api, client: FlaskClient) -> None:
    assert client.get("/dashboard/setup").headers["Location"] == "/dashboard/login"
