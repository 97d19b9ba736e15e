"""Webhook endpoints of the merchant (owner keys only): register, list, change, remove, rotate
the signing secret, send a test."""
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
    rotate_secret,
    update_endpoint,
)

WEBHOOK_CREATE: dict[str, Any] = {
    "type": "object",
    "required": ["url", "events"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "minLength": 1, "maxLength": 500,
                "description": "https URL (plain http only for a loopback host or outside production); its host "
                               "must be public: private, loopback, link-local... addresses are refused in production"},
        "events": {"type": "array", "minItems": 1, "maxItems": len(EVENTS), "items": {"type": "string", "enum": list(EVENTS)}},
    },
}
WEBHOOK_PATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        **WEBHOOK_CREATE["properties"],
        "active": {"type": "boolean", "description": "false holds deliveries, unattempted, until set true again; "
                                                     "events meanwhile are not queued"},
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


def _url_rules() -> dict[str, bool]:
    return {"production": current_app.config["TESSERA_CONFIG"].ENV_NAME == "production",
            "allow_private": bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))}


def _one_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return webhook_json(endpoint, backlogs([endpoint.id])[endpoint.id])


@bp.post("/webhooks")
@owner_only
def create_webhook() -> tuple[Response, int]:
    body = json_body(WEBHOOK_CREATE)
    endpoint = create_endpoint(g.merchant.id, body["url"], body["events"], **_url_rules())
    answer = {**webhook_json(endpoint, Backlog(0, 0)), "secret": endpoint.secret}
    db.session.commit()
    return jsonify(answer), 201


@bp.get("/webhooks")
@owner_only
def list_webhooks() -> Response:
    endpoints = list_endpoints(g.merchant.id)
    counts = backlogs([e.id for e in endpoints])
    return jsonify({"items": [webhook_json(e, counts[e.id]) for e in endpoints]})


@bp.patch("/webhooks/<int:webhook_id>")
@owner_only
def patch_webhook(webhook_id: int) -> Response:
    endpoint = merchant_endpoint(g.merchant.id, webhook_id)
    update_endpoint(endpoint, json_body(WEBHOOK_PATCH), **_url_rules())
    db.session.commit()
    return jsonify(_one_json(endpoint))


@bp.post("/webhooks/<int:webhook_id>/secret")
@owner_only
def rotate_webhook_secret(webhook_id: int) -> Response:
    endpoint = merchant_endpoint(g.merchant.id, webhook_id)
    secret = rotate_secret(endpoint)
    answer = {**_one_json(endpoint), "secret": secret}
    db.session.commit()
    return jsonify(answer)


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
document("/webhooks/{webhook_id}", "patch", op(
    "Change an endpoint's url, events or active flag (owner); switched off, its queued deliveries wait",
    {200: WEBHOOK}, (400, 403, 404, 422), body=WEBHOOK_PATCH, params=[WEBHOOK_ID], tag="webhooks"))
document("/webhooks/{webhook_id}/secret", "post", op(
    "Rotate the endpoint's signing secret (owner); the new one, shown once, signs every delivery from now on",
    {200: WEBHOOK_CREATED}, (403, 404), params=[WEBHOOK_ID], tag="webhooks"))
document("/webhooks/{webhook_id}", "delete", _no_content(
    op("Remove a webhook endpoint and its undelivered events (owner)", {}, (403, 404), params=[WEBHOOK_ID],
       tag="webhooks"), "Removed"))
document("/webhooks/{webhook_id}/test", "post", op(
    "Queue a signed `ping` event to the endpoint (owner)", {202: PING_QUEUED}, (403, 404), params=[WEBHOOK_ID],
    tag="webhooks"))
