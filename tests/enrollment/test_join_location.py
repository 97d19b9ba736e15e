"""Joining from a location's poster (`/join/<slug>?at=<code>`) records the location on the member."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Location, Member
from tests.conftest import Api
from tests.enrollment.helpers import EN, fields, join


def _location(program_id: int, name: str = "Cassa", code: str = "cassa") -> Location:
    location = Location(program_id=program_id, name=name, code=code)
    db.session.add(location)
    db.session.commit()
    return location


def _member(email: str = "marta@example.com") -> Member:
    db.session.expire_all()
    member = db.session.scalar(select(Member).where(Member.email == email))
    assert member is not None
    return member


def _hidden_at(html: str) -> str | None:
    match = re.search(r'<input id="at" name="at" type="hidden" value="([^"]*)">', html)
    return match.group(1) if match else None


def test_the_code_rides_through_the_form_and_lands_on_the_member(client: FlaskClient, program: dict[str, Any]) -> None:
    location = _location(program["id"])
    page = client.get(f"/join/{program['slug']}?at=cassa", headers=EN)
    assert page.status_code == 200
    assert _hidden_at(page.get_data(as_text=True)) == "cassa"
    response = join(client, program["slug"], at="cassa")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _member().location_id == location.id


def test_a_join_without_a_code_has_no_location(client: FlaskClient, program: dict[str, Any]) -> None:
    _location(program["id"])
    page = client.get(f"/join/{program['slug']}", headers=EN).get_data(as_text=True)
    assert _hidden_at(page) == ""
    assert join(client, program["slug"]).status_code == 303
    assert _member().location_id is None


def test_an_unknown_code_is_ignored_and_the_customer_still_joins(client: FlaskClient, program: dict[str, Any]) -> None:
    _location(program["id"])
    page = client.get(f"/join/{program['slug']}?at=nowhere", headers=EN)
    assert page.status_code == 200 and _hidden_at(page.get_data(as_text=True)) == ""
    assert join(client, program["slug"], at="nowhere").status_code == 303
    assert join(client, program["slug"], email="long@example.com", at="x" * 500).status_code == 303
    assert _member().location_id is None and _member("long@example.com").location_id is None


def test_another_programs_code_is_ignored(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    other = owner.post("/programs", {"name": "Second shop"}).get_json()
    _location(other["id"], "Their till", "till")
    assert join(client, program["slug"], at="till").status_code == 303
    assert _member().location_id is None


def test_the_code_survives_a_form_sent_back_with_errors(client: FlaskClient, program: dict[str, Any]) -> None:
    location = _location(program["id"])
    refused = join(client, program["slug"], at="cassa", email="not-an-address")
    assert refused.status_code == 422
    assert _hidden_at(refused.get_data(as_text=True)) == "cassa"
    assert join(client, program["slug"], at="cassa").status_code == 303
    assert _member().location_id == location.id


def test_the_code_survives_an_expired_form(app: Flask, client: FlaskClient, program: dict[str, Any]) -> None:
    _location(program["id"])
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/join/{program['slug']}", data={**fields(), "at": "cassa", "csrf_token": "stale"},
                           headers=EN)
    assert response.status_code == 400
    assert _hidden_at(response.get_data(as_text=True)) == "cassa"


def test_joining_again_keeps_the_first_location(client: FlaskClient, program: dict[str, Any]) -> None:
    first = _location(program["id"])
    _location(program["id"], "Vetrina", "vetrina")
    assert join(client, program["slug"], at="cassa").status_code == 303
    assert join(client, program["slug"], at="vetrina").status_code == 200  # the same address: its card by e-mail
    assert _member().location_id == first.id
