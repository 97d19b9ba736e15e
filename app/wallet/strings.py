"""The words on a card, in Italian and English. Keys are what pass.json carries; Wallet shows
the translation for the phone's language from `xx.lproj/pass.strings`."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "it": {
        "member": "Cliente",
        "tier": "Livello",
        "next": "Prossimo traguardo",
        "card_number": "N. carta",
        "terms": "Condizioni",
        "contact": "Contatti",
        "message": "Messaggio",
        "since": "Cliente dal",
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
TIER_CHANGED = {"it": "Nuovo livello: %@", "en": "Welcome to %@"}
MESSAGE_CHANGED = "%@"
# A tier's or a reward's name is the merchant's own words ("Una colazione omaggio"): it opens the
# text or follows a colon, so its capital letter and gender never break the sentence.
NEXT_TIER = {"it": "{tier}: mancano {points} {label}", "en": "{tier}: {points} {label} to go"}
TOP_TIER = {"it": "Livello massimo raggiunto", "en": "Top tier reached"}
NO_TIER = {"it": "—", "en": "—"}
NEXT_REWARD = {"it": "{reward}: mancano {points} {label}", "en": "{reward}: {points} {label} to go"}
REWARD_READY = {"it": "Premio disponibile: {reward}", "en": "Reward available: {reward}"}
STAMPS_TO_GO = {"it": "{reward}: mancano {count} timbri", "en": "{reward}: {count} stamps to go"}
ONE_STAMP_TO_GO = {"it": "{reward}: manca 1 timbro", "en": "{reward}: 1 stamp to go"}
STAMPS_FULL = {"it": "Carta completa. Il tuo premio: {reward}", "en": "Card full. Your reward: {reward}"}
STAMPS_CHANGED = {"it": "Timbri: %@", "en": "Stamps: %@"}
CODE_VALUE = "{code} · {reward}"
CODE_EXPIRES = {"it": "{code} · {reward} (valido fino al {date})", "en": "{code} · {reward} (until {date})"}


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
