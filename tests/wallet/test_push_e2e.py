"""End to end: the API changes a card, the worker pushes to the APNs stand-in over HTTP/2, the
phone asks what changed and downloads the new pass."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Device, OutboxJob, PushAttempt
from app.models._common import utcnow
from app.wallet import outbox
from app.wallet.worker import PushWorker
from config import ROOT
from tests.conftest import Api
from tests.passkit.conftest import PASS_TYPE, Phone
from tests.support.apns_server import ApnsStandIn
from tests.support.phone import check_pkpass_like_a_phone


@contextmanager
def running_workers(app: Flask, count: int = 1, **options: Any) -> Iterator[list[PushWorker]]:
    stop = threading.Event()
    workers = [PushWorker(app, name=f"test-worker-{n}", idle_wait=0.2, **options) for n in range(count)]
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        yield workers
    finally:
        stop.set()
        for worker in workers:
            worker.wake()
        for thread in threads:
            thread.join(timeout=15)
            assert not thread.is_alive(), "a worker did not stop"


def _card(member: dict[str, Any]) -> Card:
    return db.session.scalars(select(Card).where(Card.member_id == member["id"])).one()


def _settled(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if not db.session.scalar(select(func.count(OutboxJob.id))):
            return True
        db.session.rollback()
        time.sleep(0.05)
    return False


def test_transaction_reaches_the_phone(app: Flask, apns: ApnsStandIn, owner: Api, member: dict[str, Any],
                                       phone: Phone) -> None:
    card = _card(member)
    assert phone.register(card.serial_number, card.auth_token).status_code == 201
    phone.what_changed()
    with running_workers(app):
        answered = time.monotonic()
        assert owner.post(f"/members/{member['id']}/transactions", {"points": 42}).status_code == 201
        assert apns.wait_for(1, timeout=10)
    push = apns.received[0]
    assert push.token == phone.push_token
    assert push.at - answered < 1.0, "the push must arrive within a second"
    assert push.body == b"{}"
    assert push.headers["apns-topic"] == PASS_TYPE
    assert push.headers["apns-push-type"] == "background"
    assert push.headers["apns-priority"] == "5"
    assert apns.client_cns[0] == f"Pass Type ID: {PASS_TYPE}"
    changed = phone.what_changed().get_json()
    assert changed["serialNumbers"] == [card.serial_number]
    fetched = phone.fetch(card.serial_number, card.auth_token)
    pass_json = check_pkpass_like_a_phone(fetched.data, pass_type_identifier=PASS_TYPE, team_identifier="TESSERA000")
    assert pass_json["storeCard"]["headerFields"][0]["value"] == 42
    assert _settled()
    attempt = db.session.scalars(select(PushAttempt)).one()
    assert (attempt.status, attempt.outcome) == (200, "delivered")


def test_a_burst_gives_at_most_two_pushes_and_the_last_state(app: Flask, apns: ApnsStandIn, owner: Api,
                                                              member: dict[str, Any], phone: Phone) -> None:
    card = _card(member)
    phone.register(card.serial_number, card.auth_token)
    with running_workers(app):
        started = time.monotonic()
        for n in range(10):
            owner.post(f"/members/{member['id']}/transactions", {"points": n + 1})
            time.sleep(max(0.0, started + (n + 1) * 0.1 - time.monotonic()))
        assert apns.wait_for(2, timeout=5)
        time.sleep(1.5)
        assert _settled()
    assert len(apns.received) == 2
    fetched = phone.fetch(card.serial_number, card.auth_token)
    pass_json = check_pkpass_like_a_phone(fetched.data, pass_type_identifier=PASS_TYPE, team_identifier="TESSERA000")
    assert pass_json["storeCard"]["headerFields"][0]["value"] == 55


def test_two_workers_send_every_job_once(app: Flask, apns: ApnsStandIn, owner: Api, program: dict[str, Any],
                                         client: FlaskClient) -> None:
    tokens = []
    for n in range(40):
        member = owner.post(f"/programs/{program['id']}/members",
                            {"name": f"M{n}", "email": f"m{n}@example.com", "consent": {"terms": True}}).get_json()
        card = _card(member)
        device = Phone(client, device=f"dev{n:03d}", push_token=f"{n:04x}" * 16)
        assert device.register(card.serial_number, card.auth_token).status_code == 201
        tokens.append(device.push_token)
    with running_workers(app, count=2, batch_size=7):
        assert owner.post(f"/programs/{program['id']}/messages", {"text": "Saldi!"}).status_code == 202
        assert apns.wait_for(40, timeout=15)
        time.sleep(0.5)
        assert _settled()
    counts = Counter(r.token for r in apns.received)
    assert counts == Counter(tokens), "every device pushed exactly once"
    assert apns.connection_count <= 2, "each worker keeps one connection"


def test_apns_answers_are_acted_on(app: Flask, apns: ApnsStandIn, owner: Api, program: dict[str, Any],
                                   client: FlaskClient) -> None:
    script = {"gone": [(410, "Unregistered")], "bad": [(400, "BadDeviceToken")], "flaky": [(503, "ServiceUnavailable")],
              "busy": [(429, "TooManyRequests")], "wrongtopic": [(400, "DeviceTokenNotForTopic")],
              "refused": [(400, "BadTopic")], "ok": [200]}
    phones = {}
    for n, name in enumerate(script):
        member = owner.post(f"/programs/{program['id']}/members",
                            {"name": name, "email": f"{name}@example.com", "consent": {"terms": True}}).get_json()
        card = _card(member)
        token = f"{n + 1:02x}" * 32
        apns.script(token, script[name])
        phones[name] = Phone(client, device=f"dev-{name}", push_token=token)
        phones[name].register(card.serial_number, card.auth_token)
    with running_workers(app):
        owner.post(f"/programs/{program['id']}/messages", {"text": "Ciao"})
        assert _settled(timeout=20)
    devices = set(db.session.scalars(select(Device.library_identifier)))
    assert devices == {"dev-flaky", "dev-busy", "dev-ok", "dev-refused"}
    per_token = Counter(r.token for r in apns.received)
    assert per_token[phones["flaky"].push_token] == per_token[phones["busy"].push_token] == 2
    assert per_token[phones["refused"].push_token] == 1  # permanent: not retried
    outcomes = Counter(db.session.scalars(select(PushAttempt.outcome)))
    assert outcomes == Counter({"delivered": 3, "retry": 2, "unregistered": 3, "failed": 1})


def test_a_connection_dropped_mid_stream_is_retried(app: Flask, apns: ApnsStandIn, owner: Api,
                                                     member: dict[str, Any], phone: Phone) -> None:
    card = _card(member)
    phone.register(card.serial_number, card.auth_token)
    apns.script(phone.push_token, ["drop"])
    with running_workers(app):
        owner.post(f"/members/{member['id']}/transactions", {"points": 5})
        assert apns.wait_for(2, timeout=10)
        assert _settled()
    assert apns.connection_count == 2
    outcomes = list(db.session.scalars(select(PushAttempt.outcome).order_by(PushAttempt.id)))
    assert outcomes == ["retry", "delivered"]


def test_a_dead_workers_claim_is_delivered_after_its_lease(app: Flask, apns: ApnsStandIn, owner: Api,
                                                           member: dict[str, Any], phone: Phone) -> None:
    card = _card(member)
    phone.register(card.serial_number, card.auth_token)
    owner.post(f"/members/{member['id']}/transactions", {"points": 5})
    claimed = outbox.claim("worker-that-dies", 10, lease_seconds=1.0)  # claimed, then never settled
    assert len(claimed) == 1
    with running_workers(app):
        assert not apns.wait_for(1, timeout=0.5)
        assert apns.wait_for(1, timeout=5)
        assert _settled()
    assert apns.received[0].token == phone.push_token


def test_push_worker_command_stops_cleanly_on_sigterm(app: Flask, database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x", "TESSERA_ENV": "development"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "push-worker"], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    assert "started" in process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    with process.stderr:
        assert "stopped" in process.stderr.read()


def test_jobs_due_later_wait_for_their_time(app: Flask, apns: ApnsStandIn, owner: Api, member: dict[str, Any],
                                             phone: Phone) -> None:
    card = _card(member)
    phone.register(card.serial_number, card.auth_token)
    owner.post(f"/members/{member['id']}/transactions", {"points": 5})
    db.session.execute(OutboxJob.__table__.update().values(available_at=utcnow() + timedelta(seconds=0.8)))
    db.session.commit()
    with running_workers(app):
        assert not apns.wait_for(1, timeout=0.4)
        assert apns.wait_for(1, timeout=3)


def test_make_run_delivers_pushes_without_a_second_process(database_url: str, app: Flask, apns: ApnsStandIn,
                                                           owner: Api, member: dict[str, Any], phone: Phone) -> None:
    """`make run` sets TESSERA_EMBEDDED_WORKER=1: the web process itself then pushes."""
    from app import create_app
    from tests.conftest import make_config

    card = _card(member)
    phone.register(card.serial_number, card.auth_token)
    web = create_app(make_config(database_url, TESSERA_EMBEDDED_WORKER="1", APNS_URL=apns.url,
                                 APNS_CA_FILE=apns.ca_file))
    worker, stop, thread = web.extensions["tessera.worker"]
    try:
        response = web.test_client().post(f"/api/v1/members/{member['id']}/transactions", json={"points": 3},
                                          headers={"Authorization": f"Bearer {owner.key}"})
        assert response.status_code == 201
        assert apns.wait_for(1, timeout=5)
        assert apns.received[0].token == phone.push_token
    finally:
        stop.set()
        worker.wake()
        thread.join(timeout=15)
        with web.app_context():
            db.engine.dispose()
    assert not thread.is_alive()
