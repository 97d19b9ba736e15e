"""The Wallet log page: only this program's cards' messages, newest first, a page at a time."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import Card, DeviceLog, PushAttempt
from tests.conftest import Api, new_merchant
from tests.dashboard.test_figures_data import login

OWNER = "owner@rossi.example"


def _card(api: Api, program_id: int, email: str) -> Card:
    response = api.post(f"/programs/{program_id}/members", {"name": "Someone", "email": email,
                                                             "consent": {"terms": True}})
    assert response.status_code == 201, response.get_json()
    card = db.session.scalar(select(Card).where(Card.card_number == response.get_json()["card_number"]))
    assert card is not None
    return card


def _log(serial: str | None, message: str) -> None:
    db.session.add(DeviceLog(message=message, task="web_service_error", serial_number=serial,
                             error="HTTP 401" if "401" in message else None))


def _other_program(runner: FlaskCliRunner, client: FlaskClient) -> tuple[Api, int]:
    other = Api(client, new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example"))
    response = other.post("/programs", {"name": "Verdi Club"})
    assert response.status_code == 201, response.get_json()
    return other, int(response.get_json()["id"])


def test_only_this_programs_cards_show(client: FlaskClient, runner: FlaskCliRunner, owner: Api,
                                       program: dict[str, Any]) -> None:
    mine = _card(owner, program["id"], "giulia@example.com")
    other, other_program = _other_program(runner, client)
    theirs = _card(other, other_program, "marco@example.com")
    _log(mine.serial_number, "Request to update pass failed: mine-first")
    _log(theirs.serial_number, "Request failed with 401: theirs-secret")
    _log(None, "Unparsed line from nobody")
    _log("deadbeef", "A serial no card has")
    _log(mine.serial_number, "Web service returned 401: mine-second")
    db.session.add_all([
        PushAttempt(card_id=mine.id, attempt=1, status=410, reason="Unregistered", outcome="unregistered"),
        PushAttempt(card_id=mine.id, attempt=1, status=200, outcome="delivered", reason="mine-delivered"),
        PushAttempt(card_id=theirs.id, attempt=1, status=400, reason="theirs-BadDeviceToken", outcome="failed"),
    ])
    db.session.commit()
    login(client, OWNER)
    response = client.get(f"/dashboard/programs/{program['id']}/device-log")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("mine-second") < html.index("mine-first")  # newest first
    assert mine.card_number in html and "HTTP 401" in html
    for foreign in ("theirs-secret", "nobody", "no card has", theirs.card_number, "theirs-BadDeviceToken"):
        assert foreign not in html, foreign
    assert "Card no longer on the phone" in html and "Unregistered" in html and "mine-delivered" not in html

    login(client, "boss@verdi.example")
    theirs_page = client.get(f"/dashboard/programs/{other_program}/device-log").get_data(as_text=True)
    assert "theirs-secret" in theirs_page and "mine-first" not in theirs_page


def test_the_log_comes_a_page_at_a_time(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    card = _card(owner, program["id"], "giulia@example.com")
    for i in range(55):
        _log(card.serial_number, f"message number {i:02d}.")
    db.session.commit()
    login(client, OWNER)
    first = client.get(f"/dashboard/programs/{program['id']}/device-log").get_data(as_text=True)
    assert first.count("message number") == 50
    assert "message number 54." in first and "message number 04." not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(f"/dashboard/programs/{program['id']}/device-log?page=2").get_data(as_text=True)
    assert second.count("message number") == 5 and "message number 00." in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    for page in ("0", "-3", "x", "99999999999999999999"):
        response = client.get(f"/dashboard/programs/{program['id']}/device-log?page={page}")
        assert response.status_code == 200, page


def test_no_log_yet_says_so(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    login(client, OWNER)
    html = client.get(f"/dashboard/programs/{program['id']}/device-log").get_data(as_text=True)
    assert "No message from a phone about these cards yet." in html and "No failed update." in html
