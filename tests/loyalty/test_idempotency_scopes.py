"""API clients' idempotency keys never meet the product's own: a key a till or a script sends,
however it is spelled, cannot take the key of a welcome bonus, a referral, a birthday, an
expiry or a till form, and a client's retry still answers what its first request answered."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update

from app.extensions import db
from app.loyalty import expiry as ex
from app.migrate import alembic_config, upgrade
from app.models import LedgerEntry, Member, Program
from app.models._common import utcnow
from tests.conftest import Api
from tests.dashboard.test_till import balance, keys, login, till_url

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def cashier(owner: Api, runner: FlaskCliRunner) -> Api:
    """A second key of the same merchant, a till's."""
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    assert result.exit_code == 0, result.output
    return Api(owner.client, result.output.strip().splitlines()[-1])


def _program(owner: Api, **rules: Any) -> dict[str, Any]:
    response = owner.post("/programs", {"name": "Club", **rules})
    assert response.status_code == 201, response.get_json()
    # Rules in place for long: expiry may come without a fresh warning period.
    db.session.execute(update(Program).where(Program.id == response.get_json()["id"]).values(updated_at=LONG_AGO))
    db.session.commit()
    return dict(response.get_json())


def _join(owner: Api, program: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/members",
                          {"name": name, "email": f"{name.lower()}@example.com", "consent": {"terms": True}, **extra})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _squat(api: Api, member: dict[str, Any], key: str, points: int = 1, header: bool = False) -> None:
    """A transaction whose key spells one of the product's keys; accepted, as any key is."""
    path = f"/members/{member['id']}/transactions"
    response = (api.post(path, {"points": points}, headers={"Idempotency-Key": key}) if header
                else api.post(path, {"points": points, "idempotency_key": key}))
    assert response.status_code == 201, response.get_json()


def _points(api: Api, member: dict[str, Any]) -> int:
    return int(api.get(f"/members/{member['id']}").get_json()["points"])


def _next_member_id() -> int:
    return int(db.session.scalar(select(Member.id).order_by(Member.id.desc()).limit(1)) or 0) + 1


def _run(runner: FlaskCliRunner, now: datetime, job: str) -> list[str]:
    result = runner.invoke(args=["run-schedules", "--now", now.isoformat(), "--only", job])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def test_a_squatted_welcome_key_does_not_block_the_next_enrolments(owner: Api, cashier: Api) -> None:
    program = _program(owner, welcome_bonus=25)
    anna = _join(owner, program, "Anna")
    upcoming = _next_member_id()
    _squat(cashier, anna, f"welcome:{upcoming}")
    _squat(owner, anna, f"welcome:{upcoming + 1}", header=True)
    bruno = _join(owner, program, "Bruno")
    carla = _join(owner, program, "Carla")
    assert (bruno["id"], carla["id"]) == (upcoming, upcoming + 1)
    assert (_points(owner, bruno), _points(owner, carla)) == (25, 25)
    assert _points(owner, anna) == 25 + 2


def test_squatted_referral_keys_do_not_block_the_first_purchase_or_its_bonuses(owner: Api, cashier: Api) -> None:
    club = _program(owner, referrer_bonus=100, referee_bonus=50, referral_monthly_limit=2)
    anna = _join(owner, club, "Anna")
    bruno = _join(owner, club, "Bruno", referral_code=anna["referral_code"])
    other = _join(owner, club, "Other")
    _squat(cashier, other, f"referral:{bruno['id']}:referee")
    _squat(cashier, other, f"referral:{bruno['id']}:referrer")
    response = owner.post(f"/members/{bruno['id']}/transactions", {"points": 10})
    assert response.status_code == 201, response.get_json()
    assert (_points(owner, anna), _points(owner, bruno), _points(owner, other)) == (100, 60, 2)


def test_a_squatted_birthday_key_does_not_drop_the_birthday_bonus(owner: Api, cashier: Api,
                                                                  runner: FlaskCliRunner) -> None:
    program = _program(owner, birthday_bonus=100)
    anna = _join(owner, program, "Anna", birthday="1990-05-05")
    _squat(cashier, anna, f"birthday:{anna['id']}:2030", points=100)  # even the same member and points
    assert _run(runner, datetime(2030, 5, 5, 9, tzinfo=timezone.utc), "birthdays") == ["birthdays: 1 bonuses given"]
    bonuses = db.session.scalars(select(LedgerEntry.reason).where(
        LedgerEntry.member_id == anna["id"], LedgerEntry.kind == "bonus")).all()
    assert bonuses == ["Birthday bonus"]
    assert _points(owner, anna) == 200


def test_a_squatted_expiry_key_does_not_keep_points_past_their_date(owner: Api, cashier: Api,
                                                                    runner: FlaskCliRunner) -> None:
    program = _program(owner, expiry_policy="inactivity", expiry_days=365, expiry_warning_days=30)
    idle, other = _join(owner, program, "Idle"), _join(owner, program, "Other")
    assert owner.post(f"/members/{idle['id']}/transactions", {"points": 120}).status_code == 201
    db.session.execute(update(Member).where(Member.id == idle["id"])
                       .values(last_activity_at=utcnow() - timedelta(days=400)))
    db.session.commit()
    member = db.session.get_one(Member, idle["id"])
    deadline = ex.inactivity_deadline(member.program, ex.last_activity(member))
    _squat(cashier, other, f"expire:{idle['id']}:{deadline.isoformat()}")
    assert _run(runner, utcnow(), "expiry") == ["expiry: 1 balances expired, 0 cards warned"]
    assert (_points(owner, idle), _points(owner, other)) == (0, 1)


def test_a_till_forms_key_sent_through_the_api_does_not_take_the_forms_place(
        owner: Api, cashier: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    purchase, *_ = keys(client, member["program_id"], member["card_number"])
    _squat(cashier, member, f"till-{purchase}", points=10)
    done = client.post(till_url(member["program_id"], member["card_number"], "purchase"),
                       data={"idempotency_key": purchase, "amount": "10"})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert "sent already" not in client.get(done.headers["Location"]).get_data(as_text=True)
    assert balance(owner, member) == 20


@pytest.mark.parametrize("key", ["order-7", "welcome:1", "till-" + "a" * 32, "k" * 100])
def test_a_clients_retry_answers_200_with_the_same_body(owner: Api, member: dict[str, Any], key: str) -> None:
    path = f"/members/{member['id']}/transactions"
    first = owner.post(path, {"points": 30, "reason": "coffee", "idempotency_key": key})
    assert first.status_code == 201, first.get_json()
    again = owner.post(path, {"points": 30, "reason": "coffee", "idempotency_key": key})
    header = owner.post(path, {"points": 30, "reason": "coffee"}, headers={"Idempotency-Key": key})
    assert (again.status_code, header.status_code) == (200, 200)
    assert again.get_json() == header.get_json() == first.get_json()
    assert owner.post(path, {"points": 31, "idempotency_key": key}).status_code == 409
    assert _points(owner, member) == 30


def test_a_key_past_the_documented_maximum_is_refused(owner: Api, member: dict[str, Any]) -> None:
    path = f"/members/{member['id']}/transactions"
    assert owner.post(path, {"points": 1, "idempotency_key": "k" * 101}).status_code == 422
    assert owner.post(path, {"points": 1}, headers={"Idempotency-Key": "k" * 101}).status_code == 422
    assert _points(owner, member) == 0


def test_the_upgrade_keeps_clients_keys_and_frees_the_products(app: Flask, owner: Api, member: dict[str, Any],
                                                               client: FlaskClient) -> None:
    program = _program(owner, welcome_bonus=25)
    anna = _join(owner, program, "Anna")
    path = f"/members/{member['id']}/transactions"
    sent = owner.post(path, {"points": 30, "idempotency_key": "k" * 100})
    squatted = f"welcome:{_next_member_id()}"
    _squat(owner, member, squatted)
    login(client)
    purchase, *_ = keys(client, member["program_id"], member["card_number"])
    till = client.post(till_url(member["program_id"], member["card_number"], "purchase"),
                       data={"idempotency_key": purchase, "amount": "5"})
    assert (sent.status_code, till.status_code) == (201, 302)
    db.session.remove()
    command.downgrade(alembic_config(app), "0009")  # the keys as they were written before
    stored = set(db.session.scalars(select(LedgerEntry.idempotency_key).where(LedgerEntry.idempotency_key.is_not(None))))
    assert stored == {"k" * 100, squatted, f"welcome:{anna['id']}", f"till-{purchase}"}
    db.session.remove()
    upgrade(app)
    assert owner.post(path, {"points": 30, "idempotency_key": "k" * 100}).get_json() == sent.get_json()
    assert _join(owner, program, "Bruno")["points"] == 25  # the squatted welcome key is the client's now
    assert _points(owner, member) == 30 + 1 + 5
