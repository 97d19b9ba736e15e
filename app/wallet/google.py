"""A card as a Google Wallet loyalty object, its program as a loyalty class, and the save link.

Ids are derived, never stored: the class of program 7 is `<issuer>.tessera_program_7`, the
object of a card is `<issuer>.tessera_card_<serial number>`."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from app.models import Card, Program
from app.wallet.apple import card_message, card_state
from app.wallet.strings import LABELS, NO_TIER
from passes.google.account import ServiceAccount, load_service_account
from passes.google.client import AccessTokens, WalletClient
from passes.google.jwt import load_private_key, save_link
from passes.google.objects import (
    CardSpec,
    ProgramSpec,
    loyalty_class,
    loyalty_object,
    resource_id,
)

EXTENSION_KEY = "tessera.google_wallet"
LINK_SALT = "tessera.google-save.v2"
UNTIMED_LINK_SALT = "tessera.google-save.v1"  # links handed out before they carried a date: expired
_lock = threading.Lock()


def google_enabled(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config.get("GOOGLE_ISSUER_ID") and config.get("GOOGLE_SERVICE_ACCOUNT_FILE"))


@dataclass
class GoogleWallet:
    """What one process keeps: the key (parsed once) and one REST client with its token cache."""

    issuer_id: str
    account: ServiceAccount
    key: RSAPrivateKey
    client: WalletClient

    @classmethod
    def from_app(cls, app: Flask) -> GoogleWallet:
        config = app.config
        account = load_service_account(Path(config["GOOGLE_SERVICE_ACCOUNT_FILE"]).read_text(encoding="utf-8"))
        tokens = AccessTokens(account, config["GOOGLE_TOKEN_URL"])
        return cls(config["GOOGLE_ISSUER_ID"], account, load_private_key(account.private_key), WalletClient(config["GOOGLE_WALLET_API_URL"], tokens))


def wallet(app: Flask | None = None) -> GoogleWallet:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        if EXTENSION_KEY not in app.extensions:
            app.extensions[EXTENSION_KEY] = GoogleWallet.from_app(app)
        return app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]


def class_suffix(program: Program) -> str:
    return f"tessera_program_{program.id}"


def object_suffix(card: Card) -> str:
    return f"tessera_card_{card.serial_number}"


def object_id(card: Card) -> str:
    return resource_id(current_app.config["GOOGLE_ISSUER_ID"], object_suffix(card))


def logo_url(program: Program) -> str:
    return f"{current_app.config['PUBLIC_URL']}/google/logo/{program.id}.png"


def program_spec(program: Program) -> ProgramSpec:
    labels = LABELS[program.locale]
    return ProgramSpec(
        suffix=class_suffix(program), issuer_name=program.organization_name or program.name,
        program_name=program.name, logo_uri=logo_url(program), background_color=program.background_color,
        locale=program.locale, points_label=program.points_label, message=None,
        account_name_label=labels["member"], account_id_label=labels["card_number"],
    )


def card_spec(card: Card) -> CardSpec:
    program = card.program
    state = card_state(card)
    labels = LABELS[program.locale]
    erased = card.member.erased_at is not None
    return CardSpec(
        suffix=object_suffix(card), class_suffix=class_suffix(program), account_id=card.card_number,
        account_name=card.member.name, balance=state.balance, points_label=program.points_label,
        barcode_value=card.card_number, tier=state.tier or NO_TIER[program.locale], tier_header=labels["tier"],
        next_goal=state.next_goal, next_goal_header=labels["next"], locale=program.locale,
        # The member's own message or the program's, whichever is newer, as on the Apple card.
        message=card_message(card), message_header=labels["message"], active=not (card.voided or erased),
    )


def class_body(program: Program) -> dict[str, object]:
    callback = f"{current_app.config['PUBLIC_URL']}/google/callback"
    return loyalty_class(current_app.config["GOOGLE_ISSUER_ID"], program_spec(program), callback_url=callback)


def object_body(card: Card) -> dict[str, object]:
    return loyalty_object(current_app.config["GOOGLE_ISSUER_ID"], card_spec(card))


def google_save_url(card: Card) -> str:
    """Create or update the class and the object by REST, then sign the short save link."""
    google = wallet()
    google.client.upsert_class(class_body(card.program))
    google.client.upsert_object(object_body(card))
    return save_link(google.account.client_email, google.key, [object_id(card)], [current_app.config["PUBLIC_URL"]],
                     key_id=google.account.private_key_id)


class SaveLinkExpired(Exception):
    """A genuine save link past PASS_URL_MAX_AGE: the card it names may ask for a fresh one."""

    def __init__(self, serial: str) -> None:
        super().__init__(serial)
        self.serial = serial


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def _untimed_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNTIMED_LINK_SALT)


def google_save_link(card: Card) -> str:
    """Tessera's own link to the save link: opening it creates the object and redirects to
    Google. Handing this out costs no call to Google, so listing members never waits on it.
    It expires like the `.pkpass` link (PASS_URL_MAX_AGE): a forwarded e-mail stops adding the
    card to somebody else's phone."""
    return f"{current_app.config['PUBLIC_URL']}/google/save/{_serializer().dumps(card.serial_number)}"


def genuine_serial(token: str) -> str | None:
    """The serial number a link signed by us names, however old; None for a forged one."""
    try:
        return str(_serializer().loads(token))
    except BadSignature:
        pass
    try:
        return str(_untimed_serializer().loads(token))
    except BadSignature:
        return None


def serial_from_link(token: str) -> str | None:
    """The serial number of a genuine, fresh link; None for a forged one; SaveLinkExpired for an old one."""
    try:
        return str(_serializer().loads(token, max_age=current_app.config["PASS_URL_MAX_AGE"]))
    except BadSignature:  # SignatureExpired among them: genuine_serial tells old from forged
        pass
    serial = genuine_serial(token)
    if serial is None:
        return None
    raise SaveLinkExpired(serial)
