from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import Row, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.http import http_date

from app.errors import ApiError
from app.enrollment.limits import limiter, passkit_log_rate
from app.events import card_moved
from app.extensions import db
from app.digits import digits
from app.input_guard import INT64_MAX, JsonRefused, parse_json
from app.models import Card, Device, DeviceLog, Registration
from app.models._common import utcnow
from app.passkit import bp
from app.passkit.logs import MAX_MESSAGES_PER_REQUEST, parse
from app.wallet.apple import render_pkpass

DEVICE_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
PUSH_TOKEN_RE = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
SCHEMES = ("ApplePass", "AndroidPass")
DUMMY_TOKEN = b"x" * 43
LOG_ROWS_KEPT = 10_000
PKPASS = "application/vnd.apple.pkpass"


def _device_id_ok(device: str) -> None:
    if not DEVICE_RE.match(device):
        raise ApiError(400, "invalid_device", "the device library identifier is malformed")


_CARD_BY_SERIAL = select(Card.id, Card.auth_token, Card.modified_at).where(Card.serial_number == bindparam("serial"))


def _card(pass_type: str, serial: str) -> Row[Any]:
    """(id, auth_token, modified_at) of the card the Authorization token opens, or 401 (an
    unknown pass type or serial included). Core, not the ORM: phones call this path the most."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    card = None
    if pass_type == current_app.config["PASS_TYPE_IDENTIFIER"] and len(serial) <= 64:
        with db.engine.connect() as conn:
            card = conn.execute(_CARD_BY_SERIAL, {"serial": serial}).first()
    expected = card.auth_token.encode() if card else DUMMY_TOKEN
    matches = hmac.compare_digest(expected, presented.strip().encode())
    if scheme not in SCHEMES or card is None or not matches:
        raise ApiError(401, "unauthorized", "the pass's authentication token is missing or wrong")
    return card


def _push_token() -> str:
    try:
        body = parse_json(request.get_data() or b"null")
    except JsonRefused as exc:
        raise ApiError(400, "malformed_json", exc.message) from None
    token = body.get("pushToken") if isinstance(body, dict) else None
    if not isinstance(token, str) or not PUSH_TOKEN_RE.match(token):
        raise ApiError(400, "invalid_push_token", "pushToken is missing or malformed")
    return token


def _device(library_id: str, push_token: str) -> Device:
    """The device, created or refreshed; `updated_at` is the last time it registered anything,
    the clock that decides which device gives way when a card has too many."""
    device = db.session.scalar(select(Device).where(Device.library_identifier == library_id))
    if device is None:
        device = Device(library_identifier=library_id, push_token=push_token)
        db.session.add(device)
        db.session.flush()
    else:
        device.push_token = push_token
        device.updated_at = utcnow()
    return device


def _card_event(kind: str, card_id: int, device: Device, reason: str | None = None) -> None:
    card_moved(kind, [card_id], device.id, device.platform, reason)


def _lock_card(card_id: int) -> None:
    """Registrations for one card take turns (the row lock on PostgreSQL; SQLite has one writer
    anyway), so concurrent ones cannot both count room for themselves past the bound."""
    db.session.execute(select(Card.id).where(Card.id == card_id).with_for_update())


def _make_room(card_id: int, newcomer: Device) -> None:
    """Past PASSKIT_MAX_DEVICES_PER_CARD the device silent longest (least recently registered)
    loses the card: a customer on a fifth phone still gets updates, a flood cannot grow the table."""
    keep = current_app.config["PASSKIT_MAX_DEVICES_PER_CARD"] - 1
    oldest = db.session.scalars(
        select(Registration).join(Device, Device.id == Registration.device_id)
        .where(Registration.card_id == card_id, Registration.device_id != newcomer.id)
        .order_by(Device.updated_at.desc(), Registration.id.desc()).offset(keep)
    ).all()
    for registration in oldest:
        evicted = registration.device
        db.session.delete(registration)
        db.session.flush()
        _card_event("removed", card_id, evicted, reason="replaced")
        _forget_if_lonely(evicted)


def _forget_if_lonely(device: Device) -> None:
    if not db.session.scalar(select(func.count(Registration.id)).where(Registration.device_id == device.id)):
        db.session.delete(device)


@bp.post("/v1/devices/<device_id>/registrations/<pass_type>/<serial>")
def register(device_id: str, pass_type: str, serial: str) -> tuple[str, int]:
    _device_id_ok(device_id)
    card = _card(pass_type, serial)
    push_token = _push_token()
    try:
        _lock_card(card.id)
        device = _device(device_id, push_token)
        known = db.session.scalar(
            select(Registration.id).where(Registration.device_id == device.id, Registration.card_id == card.id)
        )
        if known is None:
            _make_room(card.id, device)
            db.session.add(Registration(device_id=device.id, card_id=card.id))
            db.session.flush()
            _card_event("installed", card.id, device)
        db.session.commit()
    except IntegrityError:  # the same phone registering twice at the same moment
        db.session.rollback()
        return "", 200
    return "", 200 if known else 201


@bp.delete("/v1/devices/<device_id>/registrations/<pass_type>/<serial>")
def unregister(device_id: str, pass_type: str, serial: str) -> tuple[str, int]:
    _device_id_ok(device_id)
    card = _card(pass_type, serial)
    device = db.session.scalar(select(Device).where(Device.library_identifier == device_id))
    if device is not None:
        removed = db.session.execute(
            delete(Registration).where(Registration.device_id == device.id, Registration.card_id == card.id)
        ).rowcount  # type: ignore[attr-defined]
        if removed:
            _card_event("removed", card.id, device, reason="unregistered")
        _forget_if_lonely(device)
        db.session.commit()
    return "", 200


def _since() -> int | None:
    raw = request.args.get("passesUpdatedSince")
    if raw is None or raw == "":
        return None
    if not digits(raw, 19) or int(raw) > INT64_MAX:
        raise ApiError(400, "invalid_tag", "passesUpdatedSince is not a tag this service handed out")
    return int(raw)


_CHANGED = (
    select(Card.serial_number, Card.change_seq, Card.id, Card.voided)
    .join(Registration, Registration.card_id == Card.id)
    .join(Device, Device.id == Registration.device_id)
    .where(Device.library_identifier == bindparam("device"), Card.change_seq > bindparam("since"))
)


def _forget_voided(library_id: str, card_ids: list[int]) -> None:
    """A voided card (an erased member's) is listed to the device one last time, so the phone
    fetches the pass that shows it void; then the device's registration for it is removed."""
    device = db.session.scalar(select(Device).where(Device.library_identifier == library_id))
    if device is None:
        return
    for card_id in card_ids:
        removed = db.session.execute(
            delete(Registration).where(Registration.device_id == device.id, Registration.card_id == card_id)
        ).rowcount  # type: ignore[attr-defined]
        if removed:
            _card_event("removed", card_id, device, reason="voided")
    _forget_if_lonely(device)
    db.session.commit()


@bp.get("/v1/devices/<device_id>/registrations/<pass_type>")
def changed_serials(device_id: str, pass_type: str) -> Response | tuple[str, int]:
    _device_id_ok(device_id)
    since = _since()
    if pass_type != current_app.config["PASS_TYPE_IDENTIFIER"]:
        return "", 204
    with db.engine.connect() as conn:
        rows = conn.execute(_CHANGED, {"device": device_id, "since": -1 if since is None else since}).all()
    if not rows:
        return "", 204
    voided = [r.id for r in rows if r.voided]
    if voided:
        _forget_voided(device_id, voided)
    return jsonify({"serialNumbers": sorted(r.serial_number for r in rows),
                    "lastUpdated": str(max(r.change_seq for r in rows))})


@bp.get("/v1/passes/<pass_type>/<serial>")
def latest_pass(pass_type: str, serial: str) -> Response:
    card = _card(pass_type, serial)
    modified = datetime.fromtimestamp(card.modified_at, timezone.utc)
    since = request.if_modified_since
    if since is not None and card.modified_at <= int(since.timestamp()):
        response = Response(status=304)
    else:
        response = Response(render_pkpass(db.session.get_one(Card, card.id)), mimetype=PKPASS)
    response.headers["Last-Modified"] = http_date(modified)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _log_messages() -> list[str]:
    try:
        body = parse_json(request.get_data() or b"null")
    except JsonRefused as exc:
        raise ApiError(400, "malformed_json", exc.message) from None
    logs = body.get("logs") if isinstance(body, dict) else None
    if not isinstance(logs, list) or not all(isinstance(m, str) for m in logs):
        raise ApiError(400, "invalid_logs", 'the body must be {"logs": ["…", …]}')
    return logs[:MAX_MESSAGES_PER_REQUEST]


@bp.post("/v1/log")
@limiter.limit(passkit_log_rate)
def log() -> tuple[str, int]:
    messages = _log_messages()
    for message in messages:
        parsed = parse(message)
        db.session.add(DeviceLog(
            message=parsed.message, task=parsed.task, device_library_identifier=parsed.device,
            pass_type_identifier=parsed.pass_type, serial_number=parsed.serial, error=parsed.error,
            remote_addr=request.remote_addr,
        ))
    db.session.flush()
    newest = db.session.scalar(select(func.max(DeviceLog.id))) or 0
    db.session.execute(delete(DeviceLog).where(DeviceLog.id <= newest - LOG_ROWS_KEPT))
    db.session.commit()
    return "", 200
