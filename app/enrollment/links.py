"""The links a new member gets: the after-join page, Apple's pass, Google's save link."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import Card
from app.models._common import utcnow
from app.passdl import pass_url

SALT = "tessera.join-card.v1"


class LinkExpired(Exception):
    """A genuine after-join link past its age (PASS_URL_MAX_AGE, or TILL_LINK_MAX_AGE for one shown
    on the till's screen): joining again brings the card back."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def card_token(card: Card) -> str:
    return _serializer().dumps(card.serial_number)


def till_card_token(card: Card) -> str:
    """A short-lived token for the QR code on the till's screen: a photo of the screen, or the
    link left in a phone's history, stops opening the card after TILL_LINK_MAX_AGE seconds."""
    return _serializer().dumps([card.serial_number, "till"])


def _max_age(data: object) -> int:
    config = current_app.config
    return int(config["TILL_LINK_MAX_AGE"] if isinstance(data, list) else config["PASS_URL_MAX_AGE"])


def card_from_token(token: str) -> Card | None:
    """The card a genuine, unexpired token names; None for a forged or mangled one."""
    longest = max(current_app.config["PASS_URL_MAX_AGE"], current_app.config["TILL_LINK_MAX_AGE"])
    try:
        data, signed_at = _serializer().loads(token, max_age=longest, return_timestamp=True)
    except SignatureExpired:
        raise LinkExpired from None
    except BadSignature:
        return None
    if (utcnow() - signed_at).total_seconds() > _max_age(data):
        raise LinkExpired
    serial = data[0] if isinstance(data, list) and data else data
    return db.session.scalar(select(Card).where(Card.serial_number == str(serial), Card.voided.is_(False)))


def google_save_url(card: Card) -> str | None:
    """The "Save to Google Wallet" link, or None while Google Wallet is off.

    `app.wallet.google.google_save_link(card) -> str` builds it: Tessera's own link that creates
    the Google object when opened, so neither this page nor the e-mail waits on Google. It is
    imported lazily so the join pages run on trees without the Google side.
    """
    if not current_app.config["TESSERA_CONFIG"].google_wallet_enabled:
        return None
    try:
        google = importlib.import_module("app.wallet.google")
    except ModuleNotFoundError as exc:
        if exc.name != "app.wallet.google":
            raise  # the module is there but something it needs is not: a real error
        return None
    return str(google.google_save_link(card))


@dataclass(frozen=True)
class WalletButton:
    kind: str  # "apple" or "google"
    url: str


def wallet_buttons(apple_url: str, google_url: str | None, user_agent: str) -> list[WalletButton]:
    """Both wallets that apply, the phone's own first: Android phones get Google's on top."""
    buttons = [WalletButton("apple", apple_url)]
    if google_url:
        google = WalletButton("google", google_url)
        buttons = [google, *buttons] if "android" in user_agent.lower() else [*buttons, google]
    return buttons


def card_links(card: Card, user_agent: str = "") -> list[WalletButton]:
    return wallet_buttons(pass_url(card), google_save_url(card), user_agent)
