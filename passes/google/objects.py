"""LoyaltyClass (one per program) and LoyaltyObject (one per card) bodies, with the field names
of Google's Wallet API (walletobjects v1). Only fields Tessera fills are sent, so a PATCH never
blanks a field someone set in the Google Pay console."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_SUFFIX = 200  # ids are kept well under Google's limits; ours are short anyway
TIER_MODULE = "tier"
GOAL_MODULE = "next_goal"
MESSAGE_ID = "program_message"


def resource_id(issuer_id: str, suffix: str) -> str:
    """`<issuerId>.<suffix>` with only the characters Google accepts (others become `_`)."""
    if not issuer_id.isdigit():
        raise ValueError(f"a Google issuer id is a number, got {issuer_id!r}")
    return f"{issuer_id}.{ID_UNSAFE.sub('_', suffix)[:MAX_SUFFIX]}"


@dataclass(frozen=True)
class ProgramSpec:
    """What a program shows on every card of it."""

    suffix: str
    issuer_name: str
    program_name: str
    logo_uri: str
    background_color: str  # "#rrggbb"
    locale: str  # "it", "en": the language of the default strings
    points_label: str
    message: str | None = None
    account_name_label: str | None = None
    account_id_label: str | None = None


@dataclass(frozen=True)
class CardSpec:
    """One member's card: the live figures a PATCH keeps up to date."""

    suffix: str
    class_suffix: str
    account_id: str
    account_name: str
    balance: int
    points_label: str
    barcode_value: str
    tier: str | None
    tier_header: str
    next_goal: str
    next_goal_header: str
    locale: str
    message: str | None = None
    message_header: str | None = None
    active: bool = True


def localized(value: str, language: str) -> dict[str, Any]:
    return {"defaultValue": {"language": language, "value": value}}


def _message(text: str, header: str) -> dict[str, Any]:
    # TEXT, never TEXT_AND_NOTIFY: a notification counts against 3 per card a day (see README).
    return {"id": MESSAGE_ID, "header": header, "body": text, "messageType": "TEXT"}


def loyalty_class(issuer_id: str, program: ProgramSpec, callback_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": resource_id(issuer_id, program.suffix),
        "issuerName": program.issuer_name,
        "localizedIssuerName": localized(program.issuer_name, program.locale),
        "programName": program.program_name,
        "localizedProgramName": localized(program.program_name, program.locale),
        "programLogo": {"sourceUri": {"uri": program.logo_uri}},
        "hexBackgroundColor": program.background_color,
        "reviewStatus": "UNDER_REVIEW",
    }
    if program.account_name_label:
        body["accountNameLabel"] = program.account_name_label
    if program.account_id_label:
        body["accountIdLabel"] = program.account_id_label
    if callback_url:
        body["callbackOptions"] = {"url": callback_url}
    if program.message:
        body["messages"] = [_message(program.message, program.program_name)]
    return body


def loyalty_object(issuer_id: str, card: CardSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": resource_id(issuer_id, card.suffix),
        "classId": resource_id(issuer_id, card.class_suffix),
        "state": "ACTIVE" if card.active else "INACTIVE",
        "accountId": card.account_id,
        "accountName": card.account_name,
        "loyaltyPoints": {"label": card.points_label, "balance": {"int": card.balance}},
        "barcode": {"type": "QR_CODE", "value": card.barcode_value, "alternateText": card.account_id},
        "textModulesData": [
            {"id": TIER_MODULE, "header": card.tier_header, "body": card.tier or "-"},
            {"id": GOAL_MODULE, "header": card.next_goal_header, "body": card.next_goal},
        ],
        # An empty list clears a message that was withdrawn; a PATCH replaces the whole list.
        "messages": [_message(card.message, card.message_header or "")] if card.message else [],
    }
    return body
