from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Device, DeviceLog, OutboxJob, Registration
from tests.conftest import Api
from tests.passkit.conftest import PASS_TYPE, Phone
from tests.support.phone import check_pkpass_like_a_phone


def _earn(owner: Api, member: dict[str, Any], points: int) -> None:
    assert owner.post(f"/members/{member['id']}/transactions", {"points": points}).status_code == 201


def test_register_is_201_then_200_and_refreshes_the_push_token(phone: Phone, card: Card) -> None:
    assert phone.register(card.serial_number, card.auth_token).status_code == 201
    assert phone.register(card.serial_number, card.auth_token, push_token="cd" * 32).status_code == 200
    device = db.session.scalars(select(Device)).one()
    assert device.push_token == "cd" * 32
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_android_wallet_apps_are_served(client: FlaskClient, card: Card) -> None:
    android = Phone(client, device="android01", scheme="AndroidPass")
    assert android.register(card.serial_number, card.auth_token).status_code == 201
    assert android.fetch(card.serial_number, card.auth_token).status_code == 200


def test_tokens_open_only_their_own_card(owner: Api, program: dict[str, Any], phone: Phone, card: Card) -> None:
    other = owner.post(f"/programs/{program['id']}/members",
                       {"name": "B", "email": "b@example.com", "consent": {"terms": True}}).get_json()
    other_card = db.session.scalars(select(Card).where(Card.member_id == other["id"])).one()
    assert phone.register(other_card.serial_number, card.auth_token).status_code == 401
    assert phone.fetch(other_card.serial_number, card.auth_token).status_code == 401
    assert phone.unregister(other_card.serial_number, card.auth_token).status_code == 401


@pytest.mark.parametrize("header", [None, "ApplePass", "ApplePass wrong", "Bearer {token}", "applepass{token}"])
def test_bad_authorization_is_401(client: FlaskClient, card: Card, header: str | None) -> None:
    headers = {"Authorization": header.format(token=card.auth_token)} if header else {}
    url = f"/passkit/v1/passes/{PASS_TYPE}/{card.serial_number}"
    response = client.get(url, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_unknown_pass_type_or_serial_with_a_token_is_401(phone: Phone, client: FlaskClient, card: Card) -> None:
    headers = {"Authorization": f"ApplePass {card.auth_token}"}
    assert client.get(f"/passkit/v1/passes/pass.other/{card.serial_number}", headers=headers).status_code == 401
    assert client.get(f"/passkit/v1/passes/{PASS_TYPE}/nope", headers=headers).status_code == 401
    assert phone.register("x" * 200, card.auth_token).status_code == 401


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"pushToken": 5}', b'{"pushToken": "has spaces"}', b"{}"])
def test_malformed_register_bodies_are_400(client: FlaskClient, card: Card, body: bytes) -> None:
    response = client.post(f"/passkit/v1/devices/dev1/registrations/{PASS_TYPE}/{card.serial_number}", data=body,
                           headers={"Authorization": f"ApplePass {card.auth_token}", "Content-Type": "application/json"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Device.id))) == 0


def test_malformed_identifiers_are_4xx(client: FlaskClient, card: Card) -> None:
    headers = {"Authorization": f"ApplePass {card.auth_token}"}
    bad_device = client.post(f"/passkit/v1/devices/bad%20device/registrations/{PASS_TYPE}/{card.serial_number}",
                             json={"pushToken": "ab"}, headers=headers)
    assert bad_device.status_code == 400
    assert client.get(f"/passkit/v1/devices/{'d' * 200}/registrations/{PASS_TYPE}").status_code == 400
    assert client.get(f"/passkit/v1/devices/dev1/registrations/{PASS_TYPE}?passesUpdatedSince=yesterday").status_code == 400


def test_unregister_removes_the_registration_and_the_lonely_device(phone: Phone, card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    assert phone.unregister(card.serial_number, card.auth_token).status_code == 200
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(Device.id))) == 0
    assert phone.unregister(card.serial_number, card.auth_token).status_code == 200


def test_what_changed_lists_every_changed_serial_and_moves_its_tag(owner: Api, program: dict[str, Any],
                                                                   member: dict[str, Any], phone: Phone) -> None:
    others = [owner.post(f"/programs/{program['id']}/members",
                         {"name": f"M{n}", "email": f"m{n}@example.com", "consent": {"terms": True}}).get_json()
              for n in range(2)]
    members = [member, *others]
    cards = {m["id"]: db.session.scalars(select(Card).where(Card.member_id == m["id"])).one() for m in members}
    assert phone.what_changed().status_code == 204  # no passes on the device yet
    for m in members:
        assert phone.register(cards[m["id"]].serial_number, cards[m["id"]].auth_token).status_code == 201
    everything = phone.what_changed().get_json()
    assert sorted(everything["serialNumbers"]) == sorted(c.serial_number for c in cards.values())
    assert phone.what_changed().status_code == 204  # nothing since
    first_tag = int(phone.tag or 0)
    _earn(owner, members[0], 10)
    _earn(owner, members[2], 10)
    changed = phone.what_changed().get_json()
    assert changed["serialNumbers"] == sorted([cards[members[0]["id"]].serial_number, cards[members[2]["id"]].serial_number])
    assert int(changed["lastUpdated"]) > first_tag
    assert phone.what_changed().status_code == 204
    owner.post(f"/programs/{program['id']}/messages", {"text": "Ciao"})
    assert len(phone.what_changed().get_json()["serialNumbers"]) == 3


def test_a_refused_redemption_changes_nothing_the_phone_sees(owner: Api, member: dict[str, Any], phone: Phone,
                                                            card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    phone.what_changed()
    assert owner.post(f"/members/{member['id']}/transactions", {"points": -5}).status_code == 409
    assert phone.what_changed().status_code == 204
    assert db.session.scalar(select(func.count(OutboxJob.id))) == 0


def test_latest_pass_with_last_modified_304_and_head(owner: Api, member: dict[str, Any], phone: Phone,
                                                    card: Card) -> None:
    first = phone.fetch(card.serial_number, card.auth_token)
    assert first.status_code == 200
    assert first.mimetype == "application/vnd.apple.pkpass"
    stamp = first.headers["Last-Modified"]
    assert stamp.endswith(" GMT")
    check_pkpass_like_a_phone(first.data, pass_type_identifier=PASS_TYPE, team_identifier="TESSERA000")
    assert phone.fetch(card.serial_number, card.auth_token, since=stamp).status_code == 304
    head = phone.client.head(f"/passkit/v1/passes/{PASS_TYPE}/{card.serial_number}",
                             headers={"Authorization": f"ApplePass {card.auth_token}"})
    assert head.status_code == 200 and head.headers["Last-Modified"] == stamp
    for points in (5, 6):  # two changes within the same second still give a newer pass each time
        _earn(owner, member, points)
        newer = phone.fetch(card.serial_number, card.auth_token, since=stamp)
        assert newer.status_code == 200
        assert newer.headers["Last-Modified"] != stamp
        stamp = newer.headers["Last-Modified"]
    pass_json = check_pkpass_like_a_phone(newer.data, pass_type_identifier=PASS_TYPE, team_identifier="TESSERA000")
    assert pass_json["storeCard"]["headerFields"][0]["value"] == 11


def test_log_messages_are_stored_parsed_and_bounded(client: FlaskClient) -> None:
    register_error = ("Register task (for device abc123, pass type pass.dev.tessera.example, serial number "
                      "0011aabb; with web service url https://x/passkit) encountered error: Authentication failure")
    web_error = "Web service error for pass.dev.tessera.example (https://x/passkit): Response to 'What changed?' was bad"
    response = client.post("/passkit/v1/log", json={"logs": [register_error, web_error, "x" * 5000]})
    assert response.status_code == 200
    rows = db.session.scalars(select(DeviceLog).order_by(DeviceLog.id)).all()
    assert (rows[0].task, rows[0].device_library_identifier, rows[0].serial_number, rows[0].error) == (
        "register", "abc123", "0011aabb", "Authentication failure")
    assert (rows[1].task, rows[1].pass_type_identifier) == ("web_service", "pass.dev.tessera.example")
    assert len(rows[2].message) == 2000
    many = client.post("/passkit/v1/log", json={"logs": ["m"] * 500})
    assert many.status_code == 200
    assert db.session.scalar(select(func.count(DeviceLog.id))) == 3 + 50
    for body in (b"", b"{", b'{"logs": "x"}', b'{"logs": [1]}'):
        assert client.post("/passkit/v1/log", data=body).status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/passkit/v1/devices/%ff%fe/registrations/{PASS_TYPE}/x"),
        ("POST", f"/passkit/v1/devices/d/registrations/{PASS_TYPE}/{'s' * 5000}"),
        ("DELETE", "/passkit/v1/devices/d/registrations/%00/%00"),
        ("GET", f"/passkit/v1/devices/d/registrations/{PASS_TYPE}?passesUpdatedSince=99999999999999999999999"),
        ("GET", f"/passkit/v1/devices/d/registrations/{PASS_TYPE}?passesUpdatedSince=-1"),
        ("GET", f"/passkit/v1/passes/{PASS_TYPE}/%E2%9C%93"),
        ("POST", "/passkit/v1/log"),
        ("PUT", f"/passkit/v1/passes/{PASS_TYPE}/x"),
        ("GET", "/passkit/v2/whatever"),
    ],
)
def test_garbage_gets_a_4xx_json_answer(client: FlaskClient, card: Card, method: str, path: str) -> None:
    response = client.open(path, method=method, data=b"\xff\x00garbage",
                           headers={"Authorization": f"ApplePass {card.auth_token}", "If-Modified-Since": "yesterday"})
    assert 400 <= response.status_code < 500, response.status_code
    assert set(response.get_json()["error"]) == {"code", "message"}


def test_installs_and_removals_are_counted(owner: Api, program: dict[str, Any], phone: Phone, card: Card,
                                           client: FlaskClient) -> None:
    from app.models import CardEvent

    watch = Phone(client, device="watch01", push_token="ef" * 32)
    phone.register(card.serial_number, card.auth_token)
    watch.register(card.serial_number, card.auth_token)
    phone.register(card.serial_number, card.auth_token)  # known already: not a second install
    phone.unregister(card.serial_number, card.auth_token)
    events = db.session.execute(select(CardEvent.kind, CardEvent.reason).order_by(CardEvent.id)).all()
    assert [tuple(e) for e in events] == [("installed", None), ("installed", None), ("removed", "unregistered")]
    stats = owner.get(f"/programs/{program['id']}/stats").get_json()
    assert (stats["cards_installed"], stats["cards_removed"]) == (1, 1)
