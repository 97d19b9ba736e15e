from __future__ import annotations

from flask import Response, g, jsonify
from sqlalchemy import select

from app.api import bp
from app.api.auth import owner_only
from app.api.lookups import merchant_program
from app.api.schemas import PROGRAM_CREATE, PROGRAM_PATCH
from app.api.segments import MESSAGE_SEND, message_segment, message_sent_json
from app.api.serializers import program_json
from app.api.validation import json_body
from app.extensions import db
from app.loyalty.programs import create_program, update_program
from app.loyalty.segments import send_message
from app.models import Program


@bp.post("/programs")
@owner_only
def create_program_view() -> tuple[Response, int]:
    program = create_program(g.merchant, json_body(PROGRAM_CREATE))
    db.session.commit()
    return jsonify(program_json(program)), 201


@bp.get("/programs")
def list_programs() -> Response:
    programs = db.session.scalars(
        select(Program).where(Program.merchant_id == g.merchant.id).order_by(Program.id)
    )
    return jsonify({"items": [program_json(p) for p in programs]})


@bp.get("/programs/<int:program_id>")
def get_program(program_id: int) -> Response:
    return jsonify(program_json(merchant_program(program_id)))


@bp.patch("/programs/<int:program_id>")
@owner_only
def patch_program(program_id: int) -> Response:
    program = merchant_program(program_id)
    update_program(program, json_body(PROGRAM_PATCH))
    db.session.commit()
    return jsonify(program_json(program))


@bp.post("/programs/<int:program_id>/messages")
@owner_only
def post_program_message(program_id: int) -> tuple[Response, int]:
    program = merchant_program(program_id)
    body = json_body(MESSAGE_SEND)
    segment = message_segment(program, body)
    sent = send_message(program, body["text"], segment)  # commits, batch by batch, with its record
    return jsonify(message_sent_json(program, segment, sent)), 202
