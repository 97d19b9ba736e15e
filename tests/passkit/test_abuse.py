"""A pass holder cannot grow the device table without bound, nor flood away Wallet's real log."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, CardEvent, Device, DeviceLog, OutboxJob, Registration
from tests.conftest import Api
from tests.passkit.conftest import Phone
from tests.support.threads import at_once

LIMIT = 5  # PASSKIT_MAX_DEVICES_PER_CARD's default


def _phones(client: FlaskClient, count: int, prefix: str = "fake") -> list[Phone]:
    return [Phone(client, device=f"{prefix}{n:04d}", push_token=f"{n:04x}" * 16) for n in range(count)]


def _devices_of(card: Card) -> list[str]:
    return sorted(db.session.scalars(
        select(Device.library_identifier).join(Registration, Registration.device_id == Device.id)
        .where(Registration.card_id == card.id)
    ))


def test_registrations_past_the_bound_evict_the_longest_silent_device(
        owner: Api, member: dict[str, Any], card: Card, client: FlaskClient) -> None:
    phones = _phones(client, LIMIT + 3)
    for phone in phones:
        assert phone.register(card.serial_number, card.auth_token).status_code == 201
    assert db.session.scalar(select(func.count(Registration.id))) == LIMIT
    assert _devices_of(card) == sorted(p.device for p in phones[3:])
    assert db.session.scalar(select(func.count(Device.id))) == LIMIT  # evicted devices held nothing else
    owner.post(f"/members/{member['id']}/transactions", {"points": 5})
    pushed = db.session.scalars(select(OutboxJob.device_id).where(OutboxJob.kind == "apns")).all()
    assert len(pushed) == LIMIT
    events = db.session.execute(select(CardEvent.kind, CardEvent.reason)).all()
    assert sorted(tuple(e) for e in events).count(("removed", "replaced")) == 3


def test_a_device_that_registers_again_is_no_longer_the_longest_silent(card: Card, client: FlaskClient) -> None:
    phones = _phones(client, LIMIT)
    for phone in phones:
        phone.register(card.serial_number, card.auth_token)
    assert phones[0].register(card.serial_number, card.auth_token).status_code == 200  # the real iPhone, again
    newcomer = Phone(client, device="newphone", push_token="ee" * 32)
    assert newcomer.register(card.serial_number, card.auth_token).status_code == 201
    assert phones[0].device in _devices_of(card) and phones[1].device not in _devices_of(card)
    assert len(_devices_of(card)) == LIMIT


def test_an_evicted_device_keeps_its_other_cards(owner: Api, program: dict[str, Any], card: Card,
                                                 client: FlaskClient) -> None:
    other = owner.post(f"/programs/{program['id']}/members",
                       {"name": "B", "email": "b@example.com", "consent": {"terms": True}}).get_json()
    other_card = db.session.scalars(select(Card).where(Card.member_id == other["id"])).one()
    phones = _phones(client, LIMIT + 1)
    phones[0].register(other_card.serial_number, other_card.auth_token)
    for phone in phones:
        phone.register(card.serial_number, card.auth_token)
    assert phones[0].device not in _devices_of(card)
    assert _devices_of(other_card) == [phones[0].device]


def test_the_bound_is_configurable(app: Flask, card: Card, client: FlaskClient) -> None:
    app.config["PASSKIT_MAX_DEVICES_PER_CARD"] = 2
    for phone in _phones(client, 4):
        assert phone.register(card.serial_number, card.auth_token).status_code == 201
    assert _devices_of(card) == ["fake0002", "fake0003"]


@pytest.mark.postgres
def test_concurrent_registrations_never_pass_the_bound(app: Flask, card: Card, client: FlaskClient,
                                                       database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has a single writer; the row lock matters on PostgreSQL")
    serial, token = card.serial_number, card.auth_token
    db.session.commit()
    numbers = iter(range(1000))

    def register() -> int:
        n = next(numbers)
        phone = Phone(app.test_client(), device=f"race{n:04d}", push_token=f"{n:04x}" * 16)
        return int(phone.register(serial, token).status_code)

    statuses = at_once(app, register, times=LIMIT * 3)
    assert statuses == [201] * (LIMIT * 3)
    assert db.session.scalar(select(func.count(Registration.id))) == LIMIT
    assert db.session.scalar(select(func.count(Device.id))) == LIMIT


def test_a_log_flood_is_429_and_the_earlier_entries_survive(app: Flask, client: FlaskClient) -> None:
    app.config["PASSKIT_LOG_RATE_LIMIT"] = "3 per minute"
    real = client.post("/passkit/v1/log", json={"logs": ["Get pass task (pass type p, serial number s, x) "
                                                         "encountered error: real trouble"]})
    assert real.status_code == 200
    for _ in range(2):
        assert client.post("/passkit/v1/log", json={"logs": ["flood"] * 50}).status_code == 200
    flood = client.post("/passkit/v1/log", json={"logs": ["flood"] * 50})
    assert flood.status_code == 429
    assert set(flood.get_json()["error"]) == {"code", "message"}
    assert db.session.scalar(select(func.count(DeviceLog.id))) == 1 + 100
    first = db.session.scalars(select(DeviceLog).order_by(DeviceLog.id)).first()
    assert first is not None and first.error == "real trouble"
    elsewhere = client.post("/passkit/v1/log", json={"logs": ["other phone"]}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 200


def test_the_log_keeps_its_size_limits_under_the_rate_limit(client: FlaskClient) -> None:
    assert client.post("/passkit/v1/log", json={"logs": ["y" * 5000] * 80}).status_code == 200
    lengths = db.session.scalars(select(func.length(DeviceLog.message))).all()
    assert lengths == [2000] * 50


@pytest.mark.parametrize(("env", "name"), [
    ({"PASSKIT_MAX_DEVICES_PER_CARD": "0"}, "PASSKIT_MAX_DEVICES_PER_CARD"),
    ({"PASSKIT_MAX_DEVICES_PER_CARD": "many"}, "PASSKIT_MAX_DEVICES_PER_CARD"),
    ({"PASSKIT_LOG_RATE_LIMIT": "lots"}, "PASSKIT_LOG_RATE_LIMIT"),
])
def test_bad_bounds_stop_start_up_naming_the_variable(env: dict[str, str], name: str) -> None:
    from config import ConfigError, TestingConfig

    with pytest.raises(ConfigError, match=name):
        TestingConfig(env)
    defaults = TestingConfig({})
    assert (defaults.PASSKIT_MAX_DEVICES_PER_CARD, defaults.PASSKIT_LOG_RATE_LIMIT) == (5, "30 per minute")
