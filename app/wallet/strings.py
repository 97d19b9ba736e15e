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
        "referral": "Invita un amico",
        "stamps": "Timbri",
        "stamp_card": "La tua carta",
        "reward_code": "Codice premio",
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
        "referral": "Invite a friend",
        "stamps": "Stamps",
        "stamp_card": "Your card",
        "reward_code": "Reward code",
    },
}

POINTS_CHANGED = {"it": "Ora hai %@ {label}", "en": "You now have %@ {label}"}
TIER_CHANGED = {"it": "Benvenuto nel livello %@", "en": "Welcome to %@"}
MESSAGE_CHANGED = "%@"
NEXT_TIER = {"it": "{points} {label} per {tier}", "en": "{points} {label} to {tier}"}
TOP_TIER = {"it": "Livello massimo raggiunto", "en": "Top tier reached"}
NO_TIER = {"it": "—", "en": "—"}
NEXT_REWARD = {"it": "{points} {label} per {reward}", "en": "{points} {label} to {reward}"}
REWARD_READY = {"it": "Premio disponibile: {reward}", "en": "Reward available: {reward}"}
STAMPS_TO_GO = {"it": "{count} timbri per {reward}", "en": "{count} stamps to {reward}"}
ONE_STAMP_TO_GO = {"it": "Ancora 1 timbro per {reward}", "en": "1 stamp to {reward}"}
STAMPS_FULL = {"it": "Carta completa: {reward} ti aspetta", "en": "Card full: {reward} is ready"}
STAMPS_CHANGED = {"it": "Timbri: %@", "en": "Stamps: %@"}
CODE_VALUE = "{code} · {reward}"
CODE_EXPIRES = {"it": "{code} · {reward} (fino al {date})", "en": "{code} · {reward} (until {date})"}


def change_messages(locale: str, points_label: str) -> dict[str, str]:
    """Lock-screen texts in the program's language. Each carries `%@` itself and is also a
    pass.strings key, so a phone in the other language shows its own translation."""
    return {"points": POINTS_CHANGED[locale].format(label=points_label), "tier": TIER_CHANGED[locale]}


def localizations(locale: str, points_label: str) -> dict[str, dict[str, str]]:
    """The pass.strings tables for a program, with its own name for points."""
    keys = change_messages(locale, points_label)
    return {
        lang: {
            **table,
            keys["points"]: POINTS_CHANGED[lang].format(label=points_label),
            keys["tier"]: TIER_CHANGED[lang],
            STAMPS_CHANGED[locale]: STAMPS_CHANGED[lang],
        }
        for lang, table in LABELS.items()
    }
