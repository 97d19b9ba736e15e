"""A member's data rights through the API: export (owner), erasure (owner), consent changes."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from app.api import bp
from app.api.auth import owner_only
from app.api.lookups import merchant_member
from app.api.openapi import document, op, path_param
from app.api.validation import json_body
from app.extensions import db
from app.loyalty.privacy import erase_member, export_member, record_consent
from app.models import ConsentEvent

NULLABLE_TEXT = {"type": ["string", "null"]}
WHEN = {"type": ["string", "null"], "format": "date-time"}
CONSENT_CREATE: dict[str, Any] = {
    "type": "object",
    "required": ["marketing"],
    "additionalProperties": False,
    "properties": {"marketing": {"type": "boolean", "description": "true gives, false withdraws marketing consent"}},
}
CONSENT_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "kind", "granted", "text_version", "source", "at"],
    "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "granted": {"type": "boolean"},
                   "text_version": {"type": "string", "pattern": "^terms-v[0-9]+$"}, "source": {"type": "string"},
                   "at": {"type": "string", "format": "date-time"}},
}


def _items(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "required": sorted(properties), "properties": properties}}


MEMBER_EXPORT: dict[str, Any] = {
    "type": "object",
    "required": ["exported_at", "member", "program", "consents", "ledger", "cards", "devices", "reward_codes",
                 "push_attempts", "referred_members"],
    "properties": {
        "exported_at": {"type": "string", "format": "date-time"},
        "member": {"type": "object", "required": ["id", "name", "email", "consent", "erased_at"], "properties": {
            "id": {"type": "integer"}, "program_id": {"type": "integer"}, "name": {"type": "string"},
            "email": {"type": "string"}, "phone": NULLABLE_TEXT, "birthday": NULLABLE_TEXT,
            "consent": {"type": "object"}, "referral_code": {"type": "string"},
            "referred_by": {"type": ["integer", "null"]}, "tier": NULLABLE_TEXT, "tier_locked": {"type": "boolean"},
            "tier_changed_at": WHEN, "message": NULLABLE_TEXT, "last_activity_at": WHEN, "created_at": WHEN,
            "erased_at": WHEN}},
        "program": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                     "organization_name": {"type": "string"}}},
        "consents": _items({"kind": {"type": "string"}, "granted": {"type": "boolean"},
                            "text_version": {"type": "string"}, "source": {"type": "string"}, "at": WHEN}),
        "ledger": _items({"id": {"type": "integer"}, "kind": {"type": "string"}, "points": {"type": "integer"},
                          "amount": NULLABLE_TEXT, "reason": {"type": "string"}, "balance": {"type": "integer"},
                          "tier": NULLABLE_TEXT, "created_at": WHEN}),
        "cards": _items({"serial_number": {"type": "string"}, "card_number": {"type": "string"},
                         "voided": {"type": "boolean"}, "version": {"type": "integer"}, "created_at": WHEN,
                         "updated_at": WHEN}),
        "devices": _items({"device_id": {"type": "integer"}, "library_identifier": {"type": "string"},
                           "platform": {"type": "string"}, "registered_at": WHEN, "last_pushed_at": WHEN}),
        "reward_codes": _items({"code": {"type": "string"}, "reward": {"type": "string"}, "status": {"type": "string"},
                                "issued_at": WHEN, "expires_at": WHEN, "used_at": WHEN}),
        "push_attempts": _items({"device_id": {"type": ["integer", "null"]}, "attempt": {"type": "integer"},
                                 "status": {"type": ["integer", "null"]}, "reason": NULLABLE_TEXT,
                                 "outcome": {"type": "string"}, "created_at": WHEN}),
        "referred_members": {"type": "array", "items": {"type": "integer"}},
    },
}
MEMBER_ID = path_param("member_id")


def consent_json(event: ConsentEvent) -> dict[str, Any]:
    return {"id": event.id, "kind": event.kind, "granted": event.granted, "text_version": event.text_version,
            "source": event.source, "at": event.created_at.isoformat().replace("+00:00", "Z")}


@bp.get("/members/<int:member_id>/export")
@owner_only
def export_member_data(member_id: int) -> Response:
    return jsonify(export_member(merchant_member(member_id)))


@bp.delete("/members/<int:member_id>")
@owner_only
def erase_member_data(member_id: int) -> tuple[str, int]:
    erase_member(merchant_member(member_id))
    db.session.commit()
    return "", 204


@bp.post("/members/<int:member_id>/consents")
def change_consent(member_id: int) -> tuple[Response, int]:
    member = merchant_member(member_id)
    body = json_body(CONSENT_CREATE)
    event = record_consent(member, marketing=body["marketing"])
    db.session.commit()
    return jsonify(consent_json(event)), 201


def _no_content(operation: dict[str, Any], description: str) -> dict[str, Any]:
    operation["responses"] = {"204": {"description": description}, **operation["responses"]}
    return operation


document("/members/{member_id}/export", "get", op(
    "Everything kept about the member, as JSON (owner; a data-access request)", {200: MEMBER_EXPORT}, (403, 404),
    params=[MEMBER_ID], tag="privacy"))
document("/members/{member_id}", "delete", _no_content(op(
    "Erase the member's personal data and void their card; the ledger stays, anonymised (owner). "
    "A member already erased answers 409 member_erased", {}, (403, 404, 409), params=[MEMBER_ID], tag="privacy"),
    "Erased"))
document("/members/{member_id}/consents", "post", op(
    "Record marketing consent given or withdrawn, with the time and the terms version in force",
    {201: CONSENT_EVENT}, (400, 404, 409, 422), body=CONSENT_CREATE, params=[MEMBER_ID], tag="privacy"))
