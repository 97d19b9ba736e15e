from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import Api, new_merchant


def _login(client: FlaskClient, email: str, password: str = "correct horse battery") -> Any:
    return client.post("/dashboard/login", data={"email": email, "password": password})


def test_login_shows_programs_and_members(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    assert client.get("/dashboard/").status_code == 302
    response = _login(client, "OWNER@rossi.example")
    assert response.status_code == 302
    home = client.get("/dashboard/").get_data(as_text=True)
    assert "Rossi Club" in home and "1 member" in home
    page = client.get(f"/dashboard/programs/{member['program_id']}").get_data(as_text=True)
    assert "Giulia Bianchi" in page and member["card_number"] in page


def test_wrong_password_is_told_beside_the_field(owner: Api, client: FlaskClient) -> None:
    page = _login(client, "owner@rossi.example", "wrong").get_data(as_text=True)
    assert 'id="password-error"' in page and "not right" in page
    assert client.get("/dashboard/").status_code == 302


def test_other_merchants_program_is_not_found(owner: Api, program: dict[str, Any], client: FlaskClient,
                                              runner: FlaskCliRunner) -> None:
    new_merchant(runner, "Pizzeria", "boss@pizza.example")
    _login(client, "boss@pizza.example")
    assert client.get(f"/dashboard/programs/{program['id']}").status_code == 404


def test_forms_need_the_csrf_token(app: Flask, owner: Api, client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    refused = _login(client, "owner@rossi.example")
    assert refused.status_code == 400
    form = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, form
    accepted = client.post("/dashboard/login", data={"email": "owner@rossi.example", "password": "correct horse battery",
                                                      "csrf_token": token.group(1)})
    assert accepted.status_code == 302


def test_next_parameter_cannot_leave_the_site(owner: Api, client: FlaskClient) -> None:
    response = client.post("/dashboard/login?next=//evil.example/x",
                           data={"email": "owner@rossi.example", "password": "correct horse battery"})
    assert response.headers["Location"] == "/dashboard/"
