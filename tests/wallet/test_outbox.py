from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Device, OutboxJob, PushAttempt, Registration
from app.models._common import utcnow
from app.wallet import outbox
from passes.apple.apns import Outcome, PushResult
from tests.conftest import Api
from tests.passkit.conftest import Phone


def _earn(owner: Api, member: dict[str, Any], points: int = 10) -> None:
    assert owner.post(f"/members/{member['id']}/transactions", {"points": points}).status_code == 201


def _result(token: str, outcome: Outcome, status: int | None = 200, reason: str | None = None) -> PushResult:
    return PushResult(token, status, reason, None, outcome, None, 1.0)


def _jobs() -> list[OutboxJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)))


def test_a_change_queues_one_job_per_registered_device(owner: Api, member: dict[str, Any], client: Any,
                                                       card: Card) -> None:
    _earn(owner, member)
    assert _jobs() == []  # nobody holds the card yet
    for n in range(3):
        assert Phone(client, device=f"dev{n}", push_token=f"{n:02d}" * 32).register(card.serial_number, card.auth_token).status_code == 201
    _earn(owner, member)
    jobs = _jobs()
    assert len(jobs) == 3
    assert {j.dedupe_key for j in jobs} == {f"{d}:{card.id}" for d in (1, 2, 3)}


def test_a_burst_folds_into_one_pending_job(owner: Api, member: dict[str, Any], phone: Phone, card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    for _ in range(10):
        _earn(owner, member, 1)
    assert len(_jobs()) == 1


def test_claims_do_not_overlap_and_expired_leases_are_taken_over(owner: Api, member: dict[str, Any], phone: Phone,
                                                                 card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    _earn(owner, member)
    first = outbox.claim("worker-a", 10, lease_seconds=60)
    assert [j.push_token for j in first] == [phone.push_token]
    assert outbox.claim("worker-b", 10, lease_seconds=60) == []
    db.session.execute(OutboxJob.__table__.update().values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    taken_over = outbox.claim("worker-b", 10, lease_seconds=60)
    assert [j.job_id for j in taken_over] == [first[0].job_id]
    assert taken_over[0].attempt == 2
    outbox.settle("worker-a", first, {phone.push_token: _result(phone.push_token, Outcome.DELIVERED)})
    assert len(_jobs()) == 1, "a worker whose lease ran out must not settle the row another worker holds"


def test_a_change_while_a_push_is_in_flight_gets_a_second_job(owner: Api, member: dict[str, Any], phone: Phone,
                                                              card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    _earn(owner, member)
    claimed = outbox.claim("w", 10, 60)
    _earn(owner, member)
    _earn(owner, member)
    assert [j.status for j in _jobs()] == ["sending", "pending"]
    outbox.settle("w", claimed, {phone.push_token: _result(phone.push_token, Outcome.DELIVERED)})
    pending = _jobs()
    assert [j.status for j in pending] == ["pending"]
    registration = db.session.scalars(select(Registration)).one()
    assert registration.last_pushed_at is not None


def test_pushes_to_one_card_are_spaced_by_the_minimum_interval(app: Flask, owner: Api, member: dict[str, Any],
                                                              phone: Phone, card: Card) -> None:
    app.config["PUSH_MIN_INTERVAL"] = 30.0
    phone.register(card.serial_number, card.auth_token)
    _earn(owner, member)
    claimed = outbox.claim("w", 10, 60)
    outbox.settle("w", claimed, {phone.push_token: _result(phone.push_token, Outcome.DELIVERED)})
    _earn(owner, member)
    job = _jobs()[0]
    assert job.available_at > utcnow() + timedelta(seconds=25)
    assert outbox.claim("w", 10, 60) == []


def test_retryable_failures_back_off_then_fail(owner: Api, member: dict[str, Any], phone: Phone, card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    _earn(owner, member)
    for attempt in range(1, 9):
        db.session.execute(OutboxJob.__table__.update().values(available_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        claimed = outbox.claim("w", 10, 60)
        assert [j.attempt for j in claimed] == [attempt]
        outbox.settle("w", claimed, {phone.push_token: _result(phone.push_token, Outcome.RETRY, 503, "ServiceUnavailable")})
        jobs = _jobs()
        if attempt < 8:
            assert jobs[0].status == "pending" and jobs[0].available_at > utcnow() - timedelta(seconds=1)
            assert jobs[0].last_error == "ServiceUnavailable"
    assert _jobs() == []
    outcomes = list(db.session.scalars(select(PushAttempt.outcome).order_by(PushAttempt.id)))
    assert outcomes == ["retry"] * 7 + ["failed"]


def test_unregistered_tokens_remove_the_device(owner: Api, member: dict[str, Any], phone: Phone, card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    _earn(owner, member)
    claimed = outbox.claim("w", 10, 60)
    outbox.settle("w", claimed, {phone.push_token: _result(phone.push_token, Outcome.UNREGISTERED, 410, "Unregistered")})
    assert db.session.scalar(select(func.count(Device.id))) == 0
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert _jobs() == []
    attempt = db.session.scalars(select(PushAttempt)).one()
    assert (attempt.status, attempt.reason, attempt.outcome, attempt.card_id) == (410, "Unregistered", "unregistered", card.id)


def test_history_is_bounded(owner: Api, member: dict[str, Any], phone: Phone, card: Card) -> None:
    phone.register(card.serial_number, card.auth_token)
    for _ in range(5):
        _earn(owner, member)
        db.session.execute(OutboxJob.__table__.update().values(available_at=utcnow()))
        db.session.commit()
        claimed = outbox.claim("w", 10, 60)
        outbox.settle("w", claimed, {phone.push_token: _result(phone.push_token, Outcome.DELIVERED)})
    outbox.prune_attempts(keep=2)
    assert db.session.scalar(select(func.count(PushAttempt.id))) == 2
