"""Webhook endpoints of the merchant (owner keys only): register, list, remove, send a test."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify

from app.api import bp
from app.api.auth import owner_only
from app.api.openapi import document, op, path_param
from app.api.serializers import iso
from app.api.validation import json_body
from app.extensions import db
from app.models import WebhookEndpoint
from app.models.webhook import EVENTS
from app.webhooks.endpoints import (
    Backlog,
    backlogs,
    create_endpoint,
    delete_endpoint,
    list_endpoints,
    merchant_endpoint,
    queue_ping,
)

WEBHOOK_CREATE: dict[str, Any] = {
    "type": "object",
    "required": ["url", "events"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "minLength": 1, "maxLength": 500,
                "description": "https URL (plain http only for a loopback host or outside production)"},
        "events": {"type": "array", "minItems": 1, "maxItems": len(EVENTS), "items": {"type": "string", "enum": list(EVENTS)}},
    },
}
WEBHOOK: dict[str, Any] = {
    "type": "object",
    "required": ["id", "url", "events", "active", "created_at", "deliveries"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "events": {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}},
        "active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "deliveries": {
            "type": "object",
            "required": ["pending", "failed"],
            "properties": {"pending": {"type": "integer", "description": "waiting or being retried"},
                           "failed": {"type": "integer", "description": "given up on after their last attempt"}},
        },
    },
}
WEBHOOK_CREATED: dict[str, Any] = {
    **WEBHOOK,
    "required": [*WEBHOOK["required"], "secret"],
    "properties": {**WEBHOOK["properties"], "secret": {
        "type": "string", "pattern": "^whsec_", "description": "signs every delivery; shown only in this answer"}},
}
WEBHOOK_LIST: dict[str, Any] = {"type": "object", "required": ["items"],
                                "properties": {"items": {"type": "array", "items": WEBHOOK}}}
PING_QUEUED: dict[str, Any] = {
    "type": "object",
    "required": ["delivery_id", "event"],
    "properties": {
        "delivery_id": {"type": "integer", "description": "sent as the Tessera-Delivery header"},
        "event": {"type": "object", "required": ["id", "type", "created_at", "data"],
                  "properties": {"id": {"type": "string"}, "type": {"const": "ping"},
                                 "created_at": {"type": "string", "format": "date-time"}, "data": {"type": "object"}}},
    },
}
WEBHOOK_ID = path_param("webhook_id")


def webhook_json(endpoint: WebhookEndpoint, backlog: Backlog) -> dict[str, Any]:
    return {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events.split(), "active": endpoint.active,
            "created_at": iso(endpoint.created_at), "deliveries": {"pending": backlog.pending, "failed": backlog.failed}}


def _production() -> bool:
    return bool(current_app.config["TESSERA_CONFIG"].ENV_NAME == "production")


@bp.post("/webhooks")
@owner_only
def create_webhook() -> tuple[Response, int]:
    body = json_body(WEBHOOK_CREATE)
    endpoint = create_endpoint(g.merchant.id, body["url"], body["events"], production=_production())
    answer = {**webhook_json(endpoint, Backlog(0, 0)), "secret": endpoint.secret}
    db.session.commit()
    return jsonify(answer), 201


@bp.get("/webhooks")
@owner_only
def list_webhooks() -> Response:
    endpoints = list_endpoints(g.merchant.id)
    counts = backlogs([e.id for e in endpoints])
    return jsonify({"items": [webhook_json(e, counts[e.id]) for e in endpoints]})


@bp.delete("/webhooks/<int:webhook_id>")
@owner_only
def delete_webhook(webhook_id: int) -> tuple[str, int]:
    delete_endpoint(merchant_endpoint(g.merchant.id, webhook_id))
    db.session.commit()
    return "", 204


@bp.post("/webhooks/<int:webhook_id>/test")
@owner_only
def test_webhook(webhook_id: int) -> tuple[Response, int]:
    job, event = queue_ping(merchant_endpoint(g.merchant.id, webhook_id))
    db.session.commit()
    return jsonify({"delivery_id": job.id, "event": event}), 202


def _no_content(operation: dict[str, Any], description: str) -> dict[str, Any]:
    operation["responses"] = {"204": {"description": description}, **operation["responses"]}
    return operation


document("/webhooks", "post", op(
    "Register a webhook endpoint (owner); the answer carries its signing secret, shown once",
    {201: WEBHOOK_CREATED}, (400, 403, 422), body=WEBHOOK_CREATE, tag="webhooks"))
document("/webhooks", "get", op("Your webhook endpoints with their delivery backlog (owner)", {200: WEBHOOK_LIST},
                                (403,), tag="webhooks"))
document("/webhooks/{webhook_id}", "delete", _no_content(
    op("Remove a webhook endpoint and its undelivered events (owner)", {}, (403, 404), params=[WEBHOOK_ID],
       tag="webhooks"), "Removed"))
document("/webhooks/{webhook_id}/test", "post", op(
    "Queue a signed `ping` event to the endpoint (owner)", {202: PING_QUEUED}, (403, 404), params=[WEBHOOK_ID],
    tag="webhooks"))
