"""The webhook endpoints API: owner-only, validated URLs and events, per-merchant isolation."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxJob, WebhookEndpoint
from tests.conftest import Api, new_merchant


def _create(owner: Api, url: str = "https://hooks.example.com/tessera", events: list[str] | None = None) -> Any:
    return owner.post("/webhooks", {"url": url, "events": events or ["transaction.created", "member.enrolled"]})


def test_register_list_and_remove(owner: Api) -> None:
    created = _create(owner)
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["member.enrolled", "transaction.created"]
    assert body["deliveries"] == {"pending": 0, "failed": 0}
    stored = db.session.get(WebhookEndpoint, body["id"])
    assert stored is not None and stored.secret == body["secret"]
    listed = owner.get("/webhooks").get_json()["items"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0], "the secret is shown once, when the endpoint is registered"
    assert owner.client.delete(f"/api/v1/webhooks/{body['id']}", headers={"Authorization": f"Bearer {owner.key}"}) \
        .status_code == 204
    assert owner.get("/webhooks").get_json()["items"] == []
    again = owner.client.delete(f"/api/v1/webhooks/{body['id']}", headers={"Authorization": f"Bearer {owner.key}"})
    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "webhook_not_found"


def test_each_endpoint_gets_its_own_secret(owner: Api) -> None:
    assert _create(owner).get_json()["secret"] != _create(owner).get_json()["secret"]


@pytest.mark.parametrize("payload, field", [
    ({"url": "ftp://hooks.example.com/x", "events": ["member.enrolled"]}, "url"),
    ({"url": "hooks.example.com", "events": ["member.enrolled"]}, "url"),
    ({"url": "https://hooks.example.com:99999/x", "events": ["member.enrolled"]}, "url"),
    ({"url": "https://hooks.example.com/x", "events": ["member.deleted"]}, "events"),
    ({"url": "https://hooks.example.com/x", "events": []}, "events"),
    ({"url": "https://hooks.example.com/x"}, "events"),
    ({"events": ["member.enrolled"]}, "url"),
])
def test_invalid_endpoints_are_refused_naming_the_field(owner: Api, payload: dict[str, Any], field: str) -> None:
    response = owner.post("/webhooks", payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["message"]


def test_production_needs_https_except_on_loopback(app: Flask, owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _create(owner, "http://hooks.example.com/x").status_code == 201, "plain http is fine outside production"
    monkeypatch.setattr(app.config["TESSERA_CONFIG"], "ENV_NAME", "production")
    refused = _create(owner, "http://hooks.example.com/x")
    assert refused.status_code == 422 and "https" in refused.get_json()["error"]["message"]
    for url in ("https://hooks.example.com/x", "http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:81/x"):
        assert _create(owner, url).status_code == 201, url


def test_cashiers_may_not_manage_webhooks(client: FlaskClient, runner: FlaskCliRunner, owner: Api) -> None:
    endpoint = _create(owner).get_json()
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    cashier = Api(client, result.output.strip().splitlines()[-1])
    assert _create(cashier).status_code == 403
    assert cashier.get("/webhooks").status_code == 403
    assert cashier.post(f"/webhooks/{endpoint['id']}/test").status_code == 403


def test_another_merchants_endpoint_is_not_found(client: FlaskClient, runner: FlaskCliRunner, owner: Api) -> None:
    endpoint = _create(owner).get_json()
    other = Api(client, new_merchant(runner, "Forno Neri", "owner@neri.example"))
    assert other.get("/webhooks").get_json()["items"] == []
    assert other.post(f"/webhooks/{endpoint['id']}/test").status_code == 404
    deleted = other.client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers={"Authorization": f"Bearer {other.key}"})
    assert deleted.status_code == 404
    assert db.session.get(WebhookEndpoint, endpoint["id"]) is not None


def test_a_test_queues_a_ping_for_that_endpoint_only(owner: Api) -> None:
    endpoint = _create(owner, events=["card.removed"]).get_json()
    _create(owner, "https://other.example.com/x")
    answer = owner.post(f"/webhooks/{endpoint['id']}/test")
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["event"]["type"] == "ping" and body["event"]["data"] == {"endpoint_id": endpoint["id"]}
    job = db.session.get(OutboxJob, body["delivery_id"])
    assert job is not None and (job.kind, job.endpoint_id, job.status) == ("webhook", endpoint["id"], "pending")
    assert json.loads(job.payload or "") == body["event"]
    assert owner.get("/webhooks").get_json()["items"][0]["deliveries"] == {"pending": 1, "failed": 0}


def test_removing_an_endpoint_drops_its_queued_events(owner: Api, member: dict[str, Any]) -> None:
    endpoint = _create(owner).get_json()
    owner.post(f"/members/{member['id']}/transactions", {"points": 3})
    assert db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.kind == "webhook")) == 1
    owner.client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers={"Authorization": f"Bearer {owner.key}"})
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.kind == "webhook")) == 0
