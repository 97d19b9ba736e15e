"""Changing a webhook endpoint (url, events, active) and rotating its signing secret; what
switching an endpoint off does to deliveries already queued. Real HTTP server on loopback."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update

from app.extensions import db
from app.models import OutboxJob, WebhookEndpoint
from app.wallet.worker import PushWorker
from app.webhooks.delivery import HELD_UNTIL, WebhookSender
from app.webhooks.signing import verify
from tests.conftest import Api, new_merchant
from tests.wallet.test_webhooks import HookServer, hook, subscribe  # noqa: F401 (hook is a fixture)


def _run_once(app: Flask, batch_size: int = 500) -> int:
    worker = PushWorker(app, batch_size=batch_size, webhooks=WebhookSender(backoff=lambda attempt: 60.0))
    try:
        return worker.run_once()
    finally:
        worker.close()


def _jobs() -> list[OutboxJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "webhook").order_by(OutboxJob.id)))


def test_patch_changes_url_events_and_active(owner: Api) -> None:
    endpoint = subscribe(owner, "https://hooks.example.com/a", ["member.enrolled"])
    answer = owner.patch(f"/webhooks/{endpoint['id']}", {"url": " https://hooks.example.com/b ",
                                                         "events": ["card.removed", "member.enrolled", "card.removed"]})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["url"], body["events"], body["active"]) == (
        "https://hooks.example.com/b", ["member.enrolled", "card.removed"], True)
    assert "secret" not in body
    assert owner.get("/webhooks").get_json()["items"] == [body], "the same shape as the list"
    off = owner.patch(f"/webhooks/{endpoint['id']}", {"active": False}).get_json()
    assert (off["url"], off["active"]) == ("https://hooks.example.com/b", False), "the rest is left alone"
    stored = db.session.get_one(WebhookEndpoint, endpoint["id"])
    assert (stored.url, stored.events, stored.active) == ("https://hooks.example.com/b", "member.enrolled card.removed",
                                                          False)


@pytest.mark.parametrize("payload, named", [
    ({}, "nothing to change"),
    ({"secret": "whsec_mine"}, "unknown field secret"),
    ({"url": "ftp://hooks.example.com/x"}, "url"),
    ({"url": ""}, "url"),
    ({"events": []}, "events"),
    ({"events": ["member.deleted"]}, "events"),
    ({"active": "no"}, "active"),
    ({"events": ["card.removed"], "url": "hooks.example.com"}, "url"),
])
def test_bad_changes_are_refused_and_change_nothing(owner: Api, payload: dict[str, Any], named: str) -> None:
    endpoint = subscribe(owner, "https://hooks.example.com/a", ["member.enrolled"])
    response = owner.patch(f"/webhooks/{endpoint['id']}", payload)
    assert response.status_code == 422
    assert named in response.get_json()["error"]["message"]
    db.session.expire_all()
    stored = db.session.get_one(WebhookEndpoint, endpoint["id"])
    assert (stored.url, stored.events, stored.active) == ("https://hooks.example.com/a", "member.enrolled", True)


def test_a_body_that_is_not_json_is_a_400(owner: Api) -> None:
    endpoint = subscribe(owner, "https://hooks.example.com/a", ["member.enrolled"])
    response = owner.client.patch(f"/api/v1/webhooks/{endpoint['id']}", data="active=0",
                                  headers={"Authorization": f"Bearer {owner.key}", "Content-Type": "application/json"})
    assert response.status_code == 400


def test_only_the_owning_merchant_may_change_or_rotate(client: FlaskClient, runner: FlaskCliRunner,
                                                       owner: Api) -> None:
    endpoint = subscribe(owner, "https://hooks.example.com/a", ["member.enrolled"])
    other = Api(client, new_merchant(runner, "Forno Neri", "owner@neri.example"))
    changed = other.patch(f"/webhooks/{endpoint['id']}", {"active": False})
    assert changed.status_code == 404 and changed.get_json()["error"]["code"] == "webhook_not_found"
    assert other.post(f"/webhooks/{endpoint['id']}/secret").status_code == 404
    assert owner.patch("/webhooks/999999", {"active": False}).status_code == 404
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    cashier = Api(client, result.output.strip().splitlines()[-1])
    assert cashier.patch(f"/webhooks/{endpoint['id']}", {"active": False}).status_code == 403
    assert cashier.post(f"/webhooks/{endpoint['id']}/secret").status_code == 403
    db.session.expire_all()
    stored = db.session.get_one(WebhookEndpoint, endpoint["id"])
    assert stored.active and stored.secret == endpoint["secret"]


def test_switched_off_deliveries_wait_and_go_out_when_switched_on(app: Flask, hook: HookServer, owner: Api,
                                                                   member: dict[str, Any]) -> None:
    endpoint = subscribe(owner, hook.url, ["transaction.created"])
    owner.post(f"/members/{member['id']}/transactions", {"points": 1})
    assert owner.patch(f"/webhooks/{endpoint['id']}", {"active": False}).get_json()["deliveries"] == {
        "pending": 1, "failed": 0}
    owner.post(f"/members/{member['id']}/transactions", {"points": 2})  # while off: not queued for it
    ping = owner.post(f"/webhooks/{endpoint['id']}/test").get_json()  # a test waits like the rest
    assert _run_once(app) == 0, "nothing is due while switched off"
    assert [(j.status, j.attempts, j.available_at) for j in _jobs()] == [("pending", 0, HELD_UNTIL)] * 2
    assert not hook.wait_for(1, timeout=0.2)

    assert owner.patch(f"/webhooks/{endpoint['id']}", {"active": True}).status_code == 200
    assert _run_once(app) == 2
    assert hook.wait_for(2)
    assert [r.event["type"] for r in hook.received] == ["transaction.created", "ping"]
    assert hook.received[0].event["data"]["points"] == 1
    assert hook.received[1].headers["Tessera-Delivery"] == str(ping["delivery_id"])
    assert _jobs() == []


def test_switched_on_again_they_go_out_in_the_order_they_happened(app: Flask, hook: HookServer, owner: Api,
                                                                   member: dict[str, Any]) -> None:
    endpoint = subscribe(owner, hook.url, ["transaction.created"])
    for points in (1, 2, 3):
        owner.post(f"/members/{member['id']}/transactions", {"points": points})
    owner.patch(f"/webhooks/{endpoint['id']}", {"active": False})
    owner.patch(f"/webhooks/{endpoint['id']}", {"active": True})
    for _ in range(3):
        assert _run_once(app, batch_size=1) == 1, "one event a batch"
    assert hook.wait_for(3)
    assert [r.event["data"]["points"] for r in hook.received] == [1, 2, 3]


def test_a_delivery_claimed_just_after_switching_off_is_held_not_lost(app: Flask, hook: HookServer, owner: Api,
                                                                      member: dict[str, Any]) -> None:
    endpoint = subscribe(owner, hook.url, ["transaction.created"])
    owner.post(f"/members/{member['id']}/transactions", {"points": 1})
    # Switched off after the job became due but before the sender looked the endpoint up.
    db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint["id"]).values(active=False))
    db.session.commit()
    assert _run_once(app) == 1
    assert not hook.wait_for(1, timeout=0.2)
    assert [(j.status, j.attempts, j.available_at) for j in _jobs()] == [("pending", 0, HELD_UNTIL)]


def test_a_new_url_receives_what_was_queued(app: Flask, hook: HookServer, owner: Api, member: dict[str, Any]) -> None:
    endpoint = subscribe(owner, "http://127.0.0.1:9/old", ["transaction.created"])
    owner.post(f"/members/{member['id']}/transactions", {"points": 4})
    assert owner.patch(f"/webhooks/{endpoint['id']}", {"url": hook.url}).status_code == 200
    assert _run_once(app) == 1
    assert hook.wait_for(1)
    assert hook.received[0].event["data"]["points"] == 4


def test_rotating_the_secret_signs_with_the_new_one_only(app: Flask, hook: HookServer, owner: Api) -> None:
    endpoint = subscribe(owner, hook.url, ["member.enrolled"])
    rotated = owner.post(f"/webhooks/{endpoint['id']}/secret")
    assert rotated.status_code == 200
    body = rotated.get_json()
    secret = body.pop("secret")
    assert secret.startswith("whsec_") and secret != endpoint["secret"]
    assert owner.get("/webhooks").get_json()["items"] == [body], "shown once: the list does not carry it"
    owner.post(f"/webhooks/{endpoint['id']}/test")
    assert _run_once(app) == 1
    assert hook.wait_for(1)
    received = hook.received[0]
    assert verify(secret, received.body, received.headers["Tessera-Signature"])
    assert not verify(endpoint["secret"], received.body, received.headers["Tessera-Signature"])
