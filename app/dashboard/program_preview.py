"""What the editor's live preview shows: a sample member's card with the program's real words.

The labels come from the very tables the passes use (app/wallet/strings.py), in both languages,
so preview.js can switch language as the owner changes it without asking the server."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app

from app.formats import card_date, card_number_text
from app.models import Program
from app.poster.qr import qr_svg
from app.wallet.reward_fields import EMPTY, FILLED
from app.wallet.strings import LABELS, NEXT_TIER, NO_TIER, STAMPS_TO_GO, TOP_TIER
from passes.apple.artwork import initials

HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
SAMPLE_NAME = "Giulia Bianchi"
SAMPLE_POINTS = 120
SAMPLE_STAMPS = 3
SAMPLE_CARD_NUMBER = "4821 7730 1596"
SAMPLE_SINCE = date(2026, 3, 14)


def _next_goal(program: Program, lang: str) -> str:
    if program.kind == "stamps":
        left = max((program.stamps_required or 0) - SAMPLE_STAMPS, 1)
        return STAMPS_TO_GO[lang].format(count=left, reward=program.stamp_reward or "—")
    upcoming = next((t for t in program.tiers if t.min_points > SAMPLE_POINTS), None)
    if upcoming is None:
        return TOP_TIER[lang] if program.tiers else NO_TIER[lang]
    return NEXT_TIER[lang].format(
        points=card_number_text(upcoming.min_points - SAMPLE_POINTS, lang), label=program.points_label.lower(),
        tier=upcoming.name,
    )


def _tier(program: Program, lang: str) -> str:
    held = [t for t in program.tiers if t.min_points <= SAMPLE_POINTS]
    return held[-1].name if held else NO_TIER[lang]


def _colors(program: Program, values: Mapping[str, str]) -> dict[str, str]:
    """The typed colours where valid, else the saved ones: only `#rrggbb` reaches the style."""
    colors = {}
    for which in ("background", "foreground", "label"):
        typed = str(values.get(f"{which}_color", "")).strip()
        colors[which] = typed.lower() if HEX_RE.match(typed) else getattr(program, f"{which}_color")
    return colors


def preview_context(program: Program, values: Mapping[str, str], images: Mapping[str, str]) -> dict[str, Any]:
    """`values` are the form's current texts (as typed), `images` data: URLs of uploaded art."""
    lang = values.get("locale") if values.get("locale") in LABELS else program.locale
    required = program.stamps_required or 0
    texts = {
        # Wallet writes the member-since date in the phone's language: the sample follows the card's.
        code: {"labels": LABELS[code], "next": _next_goal(program, code), "tier": _tier(program, code),
               "since": card_date(SAMPLE_SINCE, code)}
        for code in LABELS
    }
    qr = base64.b64encode(qr_svg(SAMPLE_CARD_NUMBER.replace(" ", ""))).decode()
    return {
        "lang": lang,
        "labels": LABELS[str(lang)],
        "texts_json": json.dumps(texts, ensure_ascii=False),
        "name": SAMPLE_NAME,
        "card_number": SAMPLE_CARD_NUMBER,
        "since": texts[str(lang)]["since"],
        "points": f"{SAMPLE_STAMPS}/{required}" if program.kind == "stamps" else str(SAMPLE_POINTS),
        "stamp_row": FILLED * SAMPLE_STAMPS + EMPTY * max(required - SAMPLE_STAMPS, 0) if program.kind == "stamps" else "",
        "tier": texts[str(lang)]["tier"],
        "next": texts[str(lang)]["next"],
        "initials": initials(values.get("organization_name") or values.get("name") or program.name),
        "qr_src": f"data:image/svg+xml;base64,{qr}",
        "images": images,
        "message": program.message,
        "referral": f"{current_app.config['PUBLIC_URL']}/r/ABCD1234",
        "is_stamps": program.kind == "stamps",
        "colors": _colors(program, values),
    }


def data_url(png: bytes | None) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else ""
