"""Webhooks end to end: API changes reach a real HTTP server on loopback, signed, through the
outbox and the push worker, with retries for what may pass and none for what will not."""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Card, OutboxJob, PushAttempt
from app.wallet import outbox
from app.wallet.worker import PushWorker
from app.webhooks.delivery import WebhookSender, classify
from app.webhooks.signing import sign, verify
from passes.apple.apns import Outcome, PushResult
from tests.conftest import Api
from tests.passkit.conftest import Phone
from tests.wallet.test_push_e2e import running_workers

ALL_EVENTS = ["member.enrolled", "transaction.created", "tier.changed", "card.installed", "card.removed"]


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


class HookServer:
    """A merchant's receiving end: records every request and answers as scripted (then 200)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[int] = []
        self._changed = threading.Condition()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with hook._changed:
                    status = hook.script.pop(0) if hook.script else 200
                    hook.received.append(Received(time.monotonic(), self.path, dict(self.headers.items()), body))
                    hook._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/tessera"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.received) >= count, timeout)


@pytest.fixture
def hook() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


def subscribe(owner: Api, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = owner.post("/webhooks", {"url": url, "events": events or ALL_EVENTS})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


@dataclass(frozen=True)
class Left:
    status: str
    attempts: int
    last_error: str | None
    payload: str | None


def settled(timeout: float = 10.0) -> list[Left]:
    """Wait until no webhook job is pending or being sent; returns what is left (failed ones)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = db.session.execute(
            select(OutboxJob.status, OutboxJob.attempts, OutboxJob.last_error, OutboxJob.payload)
            .where(OutboxJob.kind == "webhook").order_by(OutboxJob.id)
        ).all()
        db.session.rollback()
        jobs = [Left(*row) for row in rows]
        if all(j.status == "failed" for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.05)


def outcomes() -> list[tuple[str, str | None]]:
    rows = db.session.execute(select(PushAttempt.outcome, PushAttempt.reason).order_by(PushAttempt.id)).all()
    return [(r[0], r[1]) for r in rows]


def enrol(owner: Api, program: dict[str, Any], email: str = "anna@example.com") -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/members",
                          {"name": "Anna Verdi", "email": email, "consent": {"terms": True}})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The signature merchants check.

def test_sign_and_verify_round_trip() -> None:
    body = b'{"id":"evt_1","type":"ping"}'
    header = sign("whsec_abc", body, ts=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify("whsec_abc", body, header, now=1_700_000_100)
    assert verify("whsec_abc", body.decode(), header, now=1_700_000_000)
    assert not verify("whsec_abc", body + b" ", header, now=1_700_000_000), "a changed body fails"
    assert not verify("whsec_other", body, header, now=1_700_000_000), "another secret fails"
    assert not verify("whsec_abc", body, header, now=1_700_000_301), "an old delivery fails (replay)"
    assert not verify("whsec_abc", body, header.replace("t=1700000000", "t=1700000001"), now=1_700_000_000)
    for garbage in ("", "t=,v1=", "v1=00", "t=1700000000", "t=1700000000,v1=é"):
        assert not verify("whsec_abc", body, garbage, now=1_700_000_000), garbage


def test_several_signatures_may_be_offered() -> None:
    body = b"{}"
    good = sign("whsec_new", body, ts=10).split(",")[1]
    assert verify("whsec_new", body, f"t=10,v1=deadbeef,{good}", now=10)


def test_outcome_of_each_status() -> None:
    assert [classify(s) for s in (200, 204, 299)] == ["delivered"] * 3
    assert [classify(s) for s in (None, 429, 500, 503)] == ["retry"] * 4
    assert [classify(s) for s in (301, 400, 401, 404, 410)] == ["failed"] * 5


# Deliveries on a real HTTP server.

def test_enrolment_and_transaction_arrive_signed_in_order(app: Flask, hook: HookServer, owner: Api,
                                                          program: dict[str, Any]) -> None:
    endpoint = subscribe(owner, hook.url)
    with running_workers(app):
        member = enrol(owner, program)
        assert owner.post(f"/members/{member['id']}/transactions", {"points": 25, "reason": "Caffè"}).status_code == 201
        assert hook.wait_for(2)
        assert not settled()
    enrolled, transaction = hook.received
    for received in hook.received:
        assert received.path == "/hooks/tessera"
        assert received.headers["Content-Type"] == "application/json"
        assert verify(endpoint["secret"], received.body, received.headers["Tessera-Signature"])
        assert not verify("whsec_wrong", received.body, received.headers["Tessera-Signature"])
        assert received.headers["Tessera-Event"] == received.event["type"]
        assert received.headers["Tessera-Delivery"].isdigit()
        assert list(received.event) == ["id", "type", "created_at", "data"], "the envelope's fields in a fixed order"
        assert received.event["id"].startswith("evt_")
    assert enrolled.event["type"] == "member.enrolled"
    assert enrolled.event["data"]["member_id"] == member["id"]
    assert enrolled.event["data"]["program_id"] == program["id"]
    assert transaction.event["type"] == "transaction.created"
    assert {k: transaction.event["data"][k] for k in ("member_id", "points", "balance", "kind")} == {
        "member_id": member["id"], "points": 25, "balance": 25, "kind": "earn"}
    assert list(transaction.event["data"])[:3] == ["id", "member_id", "program_id"]
    assert outcomes() == [("delivered", "127.0.0.1 200")] * 2


def test_only_subscribed_events_of_the_merchant_are_sent(app: Flask, hook: HookServer, owner: Api,
                                                         program: dict[str, Any]) -> None:
    subscribe(owner, hook.url, ["transaction.created"])
    with running_workers(app):
        member = enrol(owner, program)
        owner.post(f"/members/{member['id']}/transactions", {"points": 5})
        assert hook.wait_for(1)
        time.sleep(0.3)
        assert not settled()
    assert [r.event["type"] for r in hook.received] == ["transaction.created"]


def test_a_server_error_is_retried_after_a_backoff(app: Flask, hook: HookServer, owner: Api,
                                                   member: dict[str, Any]) -> None:
    subscribe(owner, hook.url, ["transaction.created"])
    hook.script = [500]
    waits: list[int] = []

    def backoff(attempt: int) -> float:
        waits.append(attempt)
        return 0.4

    with running_workers(app, webhooks=WebhookSender(backoff=backoff)):
        owner.post(f"/members/{member['id']}/transactions", {"points": 5})
        assert hook.wait_for(2)
        assert not settled()
    first, second = hook.received
    assert second.at - first.at >= 0.4, "the retry waits for its backoff"
    assert waits == [1]
    assert first.body == second.body
    assert first.headers["Tessera-Delivery"] == second.headers["Tessera-Delivery"], "one delivery id for every attempt"
    assert outcomes() == [("retry", "127.0.0.1 500"), ("delivered", "127.0.0.1 200")]


def test_a_client_error_is_not_retried(app: Flask, hook: HookServer, owner: Api, member: dict[str, Any]) -> None:
    endpoint = subscribe(owner, hook.url, ["transaction.created"])
    hook.script = [400]
    with running_workers(app, webhooks=WebhookSender(backoff=lambda attempt: 0.0)):
        owner.post(f"/members/{member['id']}/transactions", {"points": 5})
        assert hook.wait_for(1)
        failed = settled()
        assert not hook.wait_for(2, timeout=0.5)
    assert [(j.status, j.attempts, j.last_error) for j in failed] == [("failed", 1, "127.0.0.1 400")]
    assert json.loads(failed[0].payload or "")["type"] == "transaction.created", "the undelivered body is kept"
    assert outcomes() == [("failed", "127.0.0.1 400")]
    listed = owner.get("/webhooks").get_json()["items"]
    assert [(e["id"], e["deliveries"]) for e in listed] == [(endpoint["id"], {"pending": 0, "failed": 1})]


def test_retries_end_after_eight_attempts(app: Flask, hook: HookServer, owner: Api, member: dict[str, Any]) -> None:
    subscribe(owner, hook.url, ["transaction.created"])
    hook.script = [503, 429, 500, 502, 503, 504, 500, 503, 200]
    with running_workers(app, webhooks=WebhookSender(backoff=lambda attempt: 0.0)):
        owner.post(f"/members/{member['id']}/transactions", {"points": 5})
        assert hook.wait_for(8)
        failed = settled()
        assert not hook.wait_for(9, timeout=0.5), "no ninth attempt"
    assert [(j.status, j.attempts) for j in failed] == [("failed", 8)]
    assert [o for o, _ in outcomes()] == ["retry"] * 7 + ["failed"]


def test_no_answer_is_retried(app: Flask, owner: Api, member: dict[str, Any]) -> None:
    subscribe(owner, f"http://127.0.0.1:{free_port()}/closed", ["transaction.created"])
    owner.post(f"/members/{member['id']}/transactions", {"points": 5})
    worker = PushWorker(app, webhooks=WebhookSender(backoff=lambda attempt: 60.0))
    try:
        assert worker.run_once() == 1
    finally:
        worker.close()
    job = db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "webhook")).one()
    assert (job.status, job.attempts, job.last_error) == ("pending", 1, "127.0.0.1 ConnectError")
    assert outcomes() == [("retry", "127.0.0.1 ConnectError")]


def test_a_dead_endpoint_costs_one_attempt_a_batch(app: Flask, owner: Api, member: dict[str, Any]) -> None:
    subscribe(owner, f"http://127.0.0.1:{free_port()}/closed", ["transaction.created"])
    for points in (1, 2, 3):
        owner.post(f"/members/{member['id']}/transactions", {"points": points})
    worker = PushWorker(app, webhooks=WebhookSender(backoff=lambda attempt: 60.0))
    try:
        assert worker.run_once() == 3
    finally:
        worker.close()
    jobs = list(db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "webhook").order_by(OutboxJob.id)))
    assert [(j.status, j.attempts) for j in jobs] == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert jobs[1].available_at >= jobs[0].available_at, "the rest wait with the one that got no answer"
    assert len(outcomes()) == 1


def test_a_transaction_that_rolled_back_sends_nothing(app: Flask, hook: HookServer, owner: Api,
                                                      member: dict[str, Any]) -> None:
    subscribe(owner, hook.url, ["transaction.created"])
    with running_workers(app):
        refused = owner.post(f"/members/{member['id']}/transactions", {"points": -50})
        assert refused.status_code == 409
        assert owner.post(f"/members/{member['id']}/transactions", {"points": 7}).status_code == 201
        assert hook.wait_for(1)
        time.sleep(0.3)
        assert not settled()
    assert [r.event["data"]["points"] for r in hook.received] == [7]


def test_a_ping_reaches_the_endpoint(app: Flask, hook: HookServer, owner: Api) -> None:
    endpoint = subscribe(owner, hook.url, ["member.enrolled"])
    with running_workers(app):
        answer = owner.post(f"/webhooks/{endpoint['id']}/test")
        assert answer.status_code == 202
        assert hook.wait_for(1)
    received = hook.received[0]
    assert received.headers["Tessera-Event"] == "ping"
    assert received.headers["Tessera-Delivery"] == str(answer.get_json()["delivery_id"])
    assert received.event == answer.get_json()["event"]
    assert verify(endpoint["secret"], received.body, received.headers["Tessera-Signature"])


# Cards installed and removed.

def _card(member: dict[str, Any]) -> Card:
    return db.session.scalars(select(Card).where(Card.member_id == member["id"])).one()


def test_installing_and_removing_a_card_are_events(app: Flask, hook: HookServer, owner: Api, member: dict[str, Any],
                                                   phone: Phone) -> None:
    subscribe(owner, hook.url, ["card.installed", "card.removed"])
    card = _card(member)
    with running_workers(app):
        assert phone.register(card.serial_number, card.auth_token).status_code == 201
        assert phone.register(card.serial_number, card.auth_token).status_code == 200  # known: no second event
        assert phone.unregister(card.serial_number, card.auth_token).status_code == 200
        assert phone.unregister(card.serial_number, card.auth_token).status_code == 200  # gone already: none
        assert hook.wait_for(2)
        time.sleep(0.3)
        assert not settled()
    installed, removed = (r.event for r in hook.received)
    assert installed["type"] == "card.installed" and removed["type"] == "card.removed"
    expected = {"member_id": member["id"], "program_id": member["program_id"], "card_id": card.id, "platform": "apple"}
    assert {k: installed["data"][k] for k in expected} == expected
    assert {k: removed["data"][k] for k in expected} == expected
    assert installed["data"]["device_id"] == removed["data"]["device_id"]
    assert removed["data"]["reason"] == "unregistered"


def test_a_device_apns_calls_gone_removes_its_cards(owner: Api, member: dict[str, Any], phone: Phone) -> None:
    subscribe(owner, "https://hooks.example.com/tessera", ["card.removed"])
    card = _card(member)
    phone.register(card.serial_number, card.auth_token)
    owner.post(f"/members/{member['id']}/transactions", {"points": 5})
    claimed = outbox.claim("w", 10, 60)
    gone = PushResult(phone.push_token, 410, "Unregistered", None, Outcome.UNREGISTERED, None, 1.0)
    outbox.settle("w", claimed, {phone.push_token: gone})
    payloads = db.session.scalars(select(OutboxJob.payload).where(OutboxJob.kind == "webhook")).all()
    events = [json.loads(p or "") for p in payloads]
    assert [(e["type"], e["data"]["card_id"], e["data"]["reason"]) for e in events] == [
        ("card.removed", card.id, "device_gone")]
