"""Google Wallet's side of a card: the save redirect, the program logo Google fetches, and the
save/delete callbacks, verified (ECv2SigningOnly) and counted as installs and removals."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx
from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from app.enrollment.views import expired_save_link, invalid_link
from app.events import card_moved
from app.extensions import csrf, db
from app.models import Card, CardEvent, Program
from app.wallet.google import (
    SaveLinkExpired,
    google_enabled,
    google_save_url,
    object_suffix,
    serial_from_link,
)
from app.wallet.program_art import image_data
from passes.apple.artwork import default_images, initials
from passes.google.callbacks import CallbackInvalid, verify_callback
from passes.google.client import WalletApiError
from passes.google.objects import resource_id

bp = Blueprint("google", __name__, url_prefix="/google")
csrf.exempt(bp)  # Google signs its callbacks; no browser session is involved
log = logging.getLogger(__name__)
KEYS_MAX_AGE = 3600.0  # Google rotates root keys rarely and announces it long before
KEYS_MIN_AGE = 60.0
PLATFORM = "google"
EVENT_KINDS = {"save": "installed", "del": "removed"}
_keys_lock = threading.Lock()
_keys_cache: dict[str, tuple[float, Any]] = {}


def _root_keys(url: str, refresh: bool = False) -> Any:
    with _keys_lock:
        cached = _keys_cache.get(url)
        age = time.monotonic() - cached[0] if cached else KEYS_MAX_AGE
        # A refresh asked for by a bad callback is granted once a minute: forged callbacks
        # must not turn into a stream of requests to Google.
        if cached and age < (KEYS_MIN_AGE if refresh else KEYS_MAX_AGE):
            return cached[1]
        document = httpx.get(url, timeout=10.0).raise_for_status().json()
        _keys_cache[url] = (time.monotonic(), document)
        return document


def _verified(body: Any) -> Any:
    """Verify with the cached root keys, and once more with fresh ones (they may have rotated)."""
    url, issuer = current_app.config["GOOGLE_CALLBACK_KEYS_URL"], current_app.config["GOOGLE_ISSUER_ID"]
    try:
        return verify_callback(body, _root_keys(url), issuer)
    except CallbackInvalid:
        return verify_callback(body, _root_keys(url, refresh=True), issuer)


def _card_for(object_id: str) -> Card | None:
    issuer = current_app.config["GOOGLE_ISSUER_ID"]
    prefix = resource_id(issuer, "tessera_card_")
    if not object_id.startswith(prefix):
        return None
    card = db.session.scalar(select(Card).where(Card.serial_number == object_id[len(prefix):]))
    if card is None or resource_id(issuer, object_suffix(card)) != object_id:
        return None
    return card


def _last_google_event(card_id: int) -> str | None:
    return db.session.scalar(
        select(CardEvent.kind).where(CardEvent.card_id == card_id, CardEvent.reason == PLATFORM)
        .order_by(CardEvent.id.desc()).limit(1)
    )


@bp.post("/callback")
def callback() -> Response | tuple[Response, int]:
    if not google_enabled():
        abort(404)
    try:
        event = _verified(request.get_json(silent=True))
    except CallbackInvalid as exc:
        log.warning("Google callback refused: %s", exc)
        return jsonify({"error": {"code": "invalid_callback", "message": str(exc)}}), 400
    except httpx.HTTPError as exc:  # no root keys: Google retries later
        log.warning("Google root keys unavailable: %s", exc)
        return jsonify({"error": {"code": "keys_unavailable", "message": "root keys unavailable"}}), 503
    card = _card_for(event.object_id)
    kind = EVENT_KINDS[event.event_type]
    # Google retries callbacks: a save after a save (or a delete after a delete) is a repeat.
    if card is not None and _last_google_event(card.id) != kind:
        card_moved(kind, [card.id], None, PLATFORM, reason=PLATFORM)
        db.session.commit()
    return jsonify({"status": "ok"})


@bp.get("/save/<token>")
def save(token: str) -> WerkzeugResponse:
    """Create or refresh the object, then send the phone on to Google's save page with a JWT
    signed now (its `iat` is the moment of the click, never the day the e-mail went out)."""
    if not google_enabled():
        abort(404)
    try:
        serial = serial_from_link(token)
    except SaveLinkExpired as expired:
        old = db.session.scalar(select(Card).where(Card.serial_number == expired.serial))
        return expired_save_link(old, token) if old is not None and not old.voided else invalid_link()
    card = db.session.scalar(select(Card).where(Card.serial_number == serial)) if serial else None
    if card is None or card.voided:
        return invalid_link()
    try:
        url = google_save_url(card)
    except WalletApiError as exc:
        log.warning("Google Wallet refused the object of card %s: %s", card.id, exc)
        abort(503)
    return redirect(url, code=302)


@bp.get("/logo/<int:program_id>.png")
def logo(program_id: int) -> Response:
    """The program's logo for Google to fetch: the uploaded square icon, else the drawn badge
    (the same artwork as the Apple card's)."""
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    uploaded = image_data(program, "icon", 3)
    if uploaded is None:
        uploaded = default_images(initials(program.organization_name or program.name), program.background_color,
                                  program.foreground_color)["icon@3x.png"]
    response = Response(uploaded, mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
