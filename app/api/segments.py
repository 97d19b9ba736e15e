"""Messages to a segment of a program's members, and the count of recipients before sending.

The send itself is `POST /programs/{id}/messages` (app/api/programs.py); its body and answer
are described here, next to the preview that takes the same body.
"""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from app.api import bp
from app.api.auth import owner_only
from app.api.lookups import merchant_program
from app.api.openapi import document, op, path_param
from app.api.schemas import Schema
from app.api.validation import json_body
from app.input_guard import INT32_MAX
from app.loyalty.segments import MAX_INACTIVE_DAYS, TYPES, Segment, Sent, count_recipients, parse_segment
from app.models import Program

SEGMENT: Schema = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": False,
    "description": "who gets the message: all (default), a tier, members inactive for `days`, "
                   "birthdays this month, or one member",
    "properties": {
        "type": {"type": "string", "enum": list(TYPES)},
        "tier": {"type": "string", "minLength": 1, "maxLength": 40, "description": "for type tier: the tier's name"},
        "days": {"type": "integer", "minimum": 1, "maximum": MAX_INACTIVE_DAYS,
                 "description": "for type inactive: no earning or redeeming for this many days"},
        "member_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX, "description": "for type member"},
        "marketing_consent": {"type": "boolean", "default": False,
                              "description": "true: only the members who agreed to marketing messages"},
    },
}
MESSAGE_SEND: Schema = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 200}, "segment": SEGMENT},
}
MESSAGE_PREVIEW: Schema = {**MESSAGE_SEND, "required": []}
SEGMENT_ANSWER: Schema = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string", "enum": list(TYPES)}, "tier": {"type": "string"},
                   "days": {"type": "integer"}, "member_id": {"type": "integer"},
                   "marketing_consent": {"type": "boolean"}},
}
MESSAGE_SENT: Schema = {
    "type": "object",
    "required": ["program_id", "text", "cards", "recipients", "segment"],
    "properties": {
        "program_id": {"type": "integer"},
        "text": {"type": "string"},
        "cards": {"type": "integer", "description": "cards that will show the message"},
        "recipients": {"type": "integer", "description": "members who get it (erased members never do)"},
        "segment": SEGMENT_ANSWER,
    },
}
RECIPIENTS: Schema = {
    "type": "object",
    "required": ["recipients", "segment"],
    "properties": {"recipients": {"type": "integer"}, "segment": SEGMENT_ANSWER},
}


def message_segment(program: Program, body: dict[str, Any]) -> Segment:
    return parse_segment(program, body.get("segment"))


def message_sent_json(program: Program, segment: Segment, sent: Sent) -> dict[str, Any]:
    return {"program_id": program.id, "text": sent.text, "cards": sent.cards, "recipients": sent.recipients,
            "segment": segment.as_json()}


@bp.post("/programs/<int:program_id>/messages/preview")
@owner_only
def preview_message(program_id: int) -> Response:
    program = merchant_program(program_id)
    segment = message_segment(program, json_body(MESSAGE_PREVIEW))
    return jsonify({"recipients": count_recipients(program, segment), "segment": segment.as_json()})


PROGRAM_ID = path_param("program_id")
document("/programs/{program_id}/messages", "post", op(
    "Show a message on the cards of a segment, every member by default (owner); the cards are pushed",
    {202: MESSAGE_SENT}, (400, 403, 404, 422), body=MESSAGE_SEND, params=[PROGRAM_ID], tag="messages",
))
document("/programs/{program_id}/messages/preview", "post", op(
    "Count who a message to this segment would reach, without sending it (owner)",
    {200: RECIPIENTS}, (400, 403, 404, 422), body=MESSAGE_PREVIEW, params=[PROGRAM_ID], tag="messages",
))
