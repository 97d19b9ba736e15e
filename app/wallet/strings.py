"""The words on a card, in Italian and English. Keys are what pass.json carries; Wallet shows
the translation for the phone's language from `xx.lproj/pass.strings`."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "it": {
        "member": "Socio",
        "tier": "Livello",
        "next": "Prossimo traguardo",
        "card_number": "N. carta",
        "terms": "Condizioni",
        "contact": "Contatti",
        "message": "Messaggio",
        "since": "Socio dal",
        "tier_changed": "Benvenuto nel livello %@",
        "message_changed": "%@",
    },
    "en": {
        "member": "Member",
        "tier": "Tier",
        "next": "Next goal",
        "card_number": "Card number",
        "terms": "Terms",
        "contact": "Contact",
        "message": "Message",
        "since": "Member since",
        "tier_changed": "Welcome to %@",
        "message_changed": "%@",
    },
}

POINTS_CHANGED = {"it": "Ora hai %@ {label}", "en": "You now have %@ {label}"}
NEXT_TIER = {"it": "{points} {label} per {tier}", "en": "{points} {label} to {tier}"}
TOP_TIER = {"it": "Livello massimo raggiunto", "en": "Top tier reached"}
NO_TIER = {"it": "—", "en": "—"}


def localizations(points_label: str) -> dict[str, dict[str, str]]:
    """The pass.strings tables for a program, with its own name for points."""
    return {
        lang: {**table, "points_changed": POINTS_CHANGED[lang].format(label=points_label)}
        for lang, table in LABELS.items()
    }
