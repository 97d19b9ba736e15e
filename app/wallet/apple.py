"""A card's current state as a signed Apple Wallet store card."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, current_app

from app.formats import card_date_value, card_number_text
from app.loyalty.days import shop_zone
from app.loyalty.ledger import Totals, current_tier, tier_rules, totals
from app.loyalty.tiers import next_tier
from app.models import Card, Member, Program
from app.wallet.expiry_fields import expiry_fields
from app.wallet.program_art import kind_of, uploaded_images
from app.wallet.reward_fields import code_fields, reward_goal, stamp_header, stamp_row
from app.wallet.strings import MESSAGE_CHANGED, NEXT_TIER, NO_TIER, TOP_TIER, change_messages, localizations
from config import ConfigError
from passes.apple.artwork import default_images, initials
from passes.apple.pkpass import PassField, StoreCardSpec, build_pkpass
from passes.apple.signing import PassSigner, SigningError

EXTENSION_KEY = "tessera.pass_signer"


def init_signer(app: Flask) -> None:
    """Load the signing material once; a bad certificate stops start-up with one line."""
    config = app.config
    try:
        signer = PassSigner.from_files(
            config["PASS_CERT_FILE"],
            config["PASS_KEY_FILE"],
            config["WWDR_CERT_FILE"],
            password=config["PASS_KEY_PASSWORD"] or None,
            pass_type_identifier=config["PASS_TYPE_IDENTIFIER"],
            team_identifier=config["TEAM_IDENTIFIER"],
        )
    except SigningError as exc:
        raise ConfigError(str(exc)) from None
    if config["TESSERA_CONFIG"].ENV_NAME == "production" and signer.is_example:
        raise ConfigError("PASS_CERT_FILE is the bundled example certificate, refused in production")
    app.extensions[EXTENSION_KEY] = signer


def signer() -> PassSigner:
    return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CardState:
    balance: int
    earned: int
    tier: str | None
    next_goal: str


def card_state(card: Card, sums: Totals | None = None) -> CardState:
    sums = sums or totals(card.member_id)
    program = card.program
    rules = tier_rules(card.member)
    held = current_tier(card.member, sums.earned)
    upcoming = next_tier(sums.earned, rules)
    lang = program.locale
    if upcoming:
        goal = NEXT_TIER[lang].format(points=card_number_text(upcoming.min_points - sums.earned, lang),
                                      label=program.points_label.lower(), tier=upcoming.name)
    else:
        goal = TOP_TIER[lang] if rules else NO_TIER[lang]
    goal = reward_goal(card, sums.balance, held) or goal  # a reward to aim at beats the next tier
    return CardState(sums.balance, sums.earned, held, goal)


def card_message(card: Card) -> str | None:
    """The member's own message (sent to a segment) while it is newer than the program's."""
    program, member = card.program, card.member
    if member.message and member.erased_at is None and member.message_at is not None and (
        program.message_at is None or member.message_at > program.message_at
    ):
        return member.message
    return program.message


def _back_fields(card: Card) -> tuple[PassField, ...]:
    program = card.program
    fields = []
    if message := card_message(card):
        fields.append(PassField("message", "message", message, change_message=MESSAGE_CHANGED))
    fields.extend(code_fields(card))
    fields.extend(expiry_fields(card))
    fields.append(PassField("card_number_back", "card_number", card.card_number))
    fields.append(member_since(card))
    if program.terms:
        fields.append(PassField("terms", "terms", program.terms))
    if program.contact:
        fields.append(PassField("contact", "contact", program.contact))
    fields.append(PassField("referral", "referral", referral_url(card.member)))
    return tuple(fields)


def member_since(card: Card) -> PassField:
    """A date Wallet writes in the phone's language ("8 nov 2026", "Nov 8, 2026"), on the shop's day."""
    joined = card_date_value(card.member.created_at, shop_zone(card.program))
    return PassField("since", "since", joined, date_style="PKDateStyleMedium", time_style="PKDateStyleNone",
                     ignores_time_zone=True)


def description(program: Program) -> str:
    """"Rossi Club · Caffè Rossi", or one name when the other adds nothing ("Caffè Rossi" twice,
    or "Caffè Rossi Club" by "Caffè Rossi")."""
    name, organization = program.name.strip(), (program.organization_name or "").strip()
    if not organization or organization.casefold() in name.casefold():
        return name
    if name.casefold() in organization.casefold():
        return organization
    return f"{name} · {organization}"


def referral_url(member: Member) -> str:
    """The member's invitation link; /r/<code>.svg draws it as a QR code to show a friend."""
    return f"{current_app.config['PUBLIC_URL']}/r/{member.referral_code}"


def _color(program: Program, tier_name: str | None, which: str) -> str:
    """The tier's own colour while the member holds it, else the program's."""
    tier = next((t for t in program.tiers if t.name == tier_name), None)
    own = getattr(tier, f"{which}_color") if tier is not None else None
    return str(own or getattr(program, f"{which}_color"))


def _artwork(program: Program) -> dict[str, bytes]:
    """The drawn defaults, each kind the merchant uploaded replacing them (a strip only when
    uploaded). Both sources are cached, so every pass of a program shares the same bytes."""
    defaults = default_images(
        initials(program.organization_name or program.name), program.background_color, program.foreground_color
    )
    uploaded = uploaded_images(program)
    replaced = {kind_of(name) for name in uploaded}
    images = {name: data for name, data in defaults.items() if kind_of(name) not in replaced}
    images.update(uploaded)
    return images


def card_spec(card: Card, state: CardState | None = None) -> StoreCardSpec:
    state = state or card_state(card)
    program = card.program
    config = current_app.config
    changes = change_messages(program.locale, program.points_label)
    return StoreCardSpec(
        pass_type_identifier=config["PASS_TYPE_IDENTIFIER"],
        team_identifier=config["TEAM_IDENTIFIER"],
        serial_number=card.serial_number,
        authentication_token=card.auth_token,
        web_service_url=config["PUBLIC_URL"] + "/passkit",
        organization_name=program.organization_name,
        description=description(program),
        logo_text=program.name,
        background_color=_color(program, state.tier, "background"),
        foreground_color=_color(program, state.tier, "foreground"),
        label_color=_color(program, state.tier, "label"),
        barcode_message=card.card_number,
        barcode_alt_text=card.card_number,
        header_fields=stamp_header(card, state.balance)
        or (PassField("points", program.points_label, state.balance, change_message=changes["points"],
                      number_style="PKNumberStyleDecimal"),),
        primary_fields=stamp_row(card, state.balance),
        secondary_fields=(
            PassField("member", "member", card.member.name),
            PassField("tier", "tier", state.tier or NO_TIER[program.locale], change_message=changes["tier"]),
        ),
        auxiliary_fields=(PassField("next", "next", state.next_goal),),
        back_fields=_back_fields(card),
        localizations=localizations(program.locale, program.points_label),
        images=_artwork(program),
        voided=card.voided,
    )


class _RecentPasses:
    """Signed bytes of recently served card versions: a phone fetching the pass right after a
    push, and the download link, get the same bytes without signing twice."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[str, int, int], data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_recent = _RecentPasses()


def render_pkpass(card: Card) -> bytes:
    key = (card.serial_number, card.version, card.modified_at)
    if (cached := _recent.get(key)) is not None:
        return cached
    allow_http = current_app.config["TESSERA_CONFIG"].ENV_NAME != "production"
    data = build_pkpass(card_spec(card), signer(), allow_http=allow_http)
    _recent.put(key, data)
    return data
