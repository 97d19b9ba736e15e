"""Signed, expiring links that download a card's `.pkpass`."""
from __future__ import annotations

import qrcode
from flask import Blueprint, Response, abort, current_app, redirect
from qrcode.image.svg import SvgPathImage
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.errors import error_response
from app.extensions import db
from app.models import Card, Member
from app.wallet.apple import render_pkpass

bp = Blueprint("passdl", __name__)
SALT = "tessera.pass-download.v1"
PKPASS = "application/vnd.apple.pkpass"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def pass_url(card: Card) -> str:
    token = _serializer().dumps(card.serial_number)
    return f"{current_app.config['PUBLIC_URL']}/p/{token}.pkpass"


@bp.get("/p/<token>.pkpass")
def download(token: str) -> Response:
    try:
        serial = _serializer().loads(token, max_age=current_app.config["PASS_URL_MAX_AGE"])
    except SignatureExpired:
        return error_response(410, "link_expired", "This link has expired. Ask the shop for a new one.")
    except BadSignature:
        return error_response(404, "link_invalid", "This link is not valid. Check that it was copied whole.")
    card = db.session.scalar(select(Card).where(Card.serial_number == str(serial)))
    if card is None or card.voided:
        return error_response(404, "card_not_found", "This card no longer exists.")
    response = Response(render_pkpass(card), mimetype=PKPASS)
    response.headers["Content-Disposition"] = f'attachment; filename="{card.program.slug}.pkpass"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/r/<code>")
def referral(code: str) -> Response:
    """A friend opens the member's invitation: on to the program's join page, code attached."""
    member = _referrer(code)
    return redirect(f"{current_app.config['PUBLIC_URL']}/join/{member.program.slug}?ref={member.referral_code}")


@bp.get("/r/<code>.svg")
def referral_qr(code: str) -> Response:
    member = _referrer(code)
    image = qrcode.make(f"{current_app.config['PUBLIC_URL']}/r/{member.referral_code}",
                        image_factory=SvgPathImage, border=2)
    response = Response(image.to_string(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _referrer(code: str) -> Member:
    member = db.session.scalar(select(Member).where(Member.referral_code == code.strip().upper()[:16]))
    if member is None or member.erased_at is not None:
        abort(404)
    return member
