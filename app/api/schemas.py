"""JSON Schemas of the API. Requests are validated against these very schemas and the OpenAPI
document is built from them, so the document cannot drift from what the API accepts."""
from __future__ import annotations

from typing import Any

from app.loyalty.idempotency import CLIENT_KEY_MAX
from app.loyalty.programs import RULE_FIELDS

Schema = dict[str, Any]

IDEMPOTENCY_KEY: Schema = {"type": "string", "minLength": 1, "maxLength": CLIENT_KEY_MAX}
IDEMPOTENCY_HEADER: Schema = {"type": "string", "maxLength": CLIENT_KEY_MAX}  # an empty header is no key
COLOR: Schema = {
    "type": "string",
    "maxLength": 40,
    "pattern": r"^(#[0-9a-fA-F]{6}|rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\))$",
    "description": "`#rrggbb` or `rgb(r, g, b)`",
}
DECIMAL = {"type": ["string", "number"], "pattern": r"^\d{1,6}(\.\d{1,4})?$", "description": "a decimal such as \"1.5\""}
TIER: Schema = {
    "type": "object",
    "required": ["name", "min_points"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "min_points": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
        "multiplier": {**DECIMAL, "description": "earning multiplier of this tier, e.g. \"1.5\" (default 1)"},
        "colors": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"background": COLOR, "foreground": COLOR, "label": COLOR},
            "description": "the card's colours while the member holds this tier",
        },
    },
}
PROGRAM_FIELDS: Schema = {
    "name": {"type": "string", "minLength": 1, "maxLength": 80},
    "slug": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"},
    "organization_name": {"type": "string", "minLength": 1, "maxLength": 80},
    "points_label": {"type": "string", "minLength": 1, "maxLength": 20},
    "locale": {"type": "string", "enum": ["it", "en"]},
    "colors": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"background": COLOR, "foreground": COLOR, "label": COLOR},
    },
    "tiers": {"type": "array", "maxItems": 10, "items": TIER},
    "terms": {"type": "string", "maxLength": 4000},
    "contact": {"type": "string", "maxLength": 200},
    "kind": {"type": "string", "enum": ["points", "stamps"]},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "earn_rate": {**DECIMAL, "description": "points per unit of currency spent, e.g. \"1\" or \"0.5\""},
    "rounding": {"type": "string", "enum": ["down", "nearest", "up"]},
    "welcome_bonus": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    "birthday_bonus": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    "tier_basis": {"type": "string", "enum": ["lifetime", "rolling"]},
    "tier_window_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650},
    "downgrade_policy": {"type": "string", "enum": ["never", "scheduled"]},
    "downgrade_grace_days": {"type": "integer", "minimum": 0, "maximum": 3650},
    "stamps_required": {"type": ["integer", "null"], "minimum": 2, "maximum": 50},
    "stamp_reward": {"type": ["string", "null"], "maxLength": 80},
    "expiry_policy": {"type": "string", "enum": ["never", "inactivity", "fixed_date"]},
    "expiry_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650},
    "expiry_date": {"type": ["string", "null"], "pattern": r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
                    "description": "MM-DD, every year"},
    "expiry_warning_days": {"type": "integer", "minimum": 0, "maximum": 365},
    "referrer_bonus": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    "referee_bonus": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    "referral_monthly_limit": {"type": "integer", "minimum": 0, "maximum": 1000},
}

PROGRAM_CREATE: Schema = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": PROGRAM_FIELDS,
}
PROGRAM_PATCH: Schema = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": PROGRAM_FIELDS,
}
PROGRAM: Schema = {
    "type": "object",
    "required": ["id", "slug", "name", "organization_name", "points_label", "locale", "colors", "tiers", "enroll_url"],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "organization_name": {"type": "string"},
        "points_label": {"type": "string"},
        "locale": {"type": "string", "enum": ["it", "en"]},
        "colors": {
            "type": "object",
            "required": ["background", "foreground", "label"],
            "properties": {"background": COLOR, "foreground": COLOR, "label": COLOR},
        },
        "tiers": {"type": "array", "items": TIER},
        "terms": {"type": "string"},
        "contact": {"type": "string"},
        "message": {"type": ["string", "null"]},
        "enroll_url": {"type": "string", "format": "uri"},
        **{name: {k: v for k, v in PROGRAM_FIELDS[name].items() if k != "pattern"} for name in RULE_FIELDS},
        "earn_rate": {"type": "string"},
        "members": {"type": "integer", "description": "members enrolled"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
MEMBER_CREATE: Schema = {
    "type": "object",
    "required": ["name", "email", "consent"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "email": {"type": "string", "minLength": 3, "maxLength": 254},
        "phone": {"type": ["string", "null"], "maxLength": 32},
        "birthday": {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "YYYY-MM-DD"},
        "consent": {
            "type": "object",
            "required": ["terms"],
            "additionalProperties": False,
            "properties": {"terms": {"type": "boolean"}, "marketing": {"type": "boolean"}},
        },
        "referral_code": {"type": ["string", "null"], "maxLength": 16},
    },
}
MEMBER: Schema = {
    "type": "object",
    "required": ["id", "program_id", "name", "email", "card_number", "serial_number", "points", "tier", "pass_url"],
    "properties": {
        "id": {"type": "integer"},
        "program_id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": ["string", "null"], "description": "null for a member enrolled at the till with a phone only"},
        "phone": {"type": ["string", "null"]},
        "birthday": {"type": ["string", "null"], "format": "date"},
        "consent": {
            "type": "object",
            "properties": {
                "terms": {"type": "boolean"},
                "marketing": {"type": "boolean"},
                "version": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
            },
        },
        "card_number": {"type": "string"},
        "serial_number": {"type": "string"},
        "points": {"type": "integer"},
        "points_earned": {"type": "integer"},
        "tier": {"type": ["string", "null"]},
        "tier_locked": {"type": "boolean"},
        "next_tier": {
            "type": ["object", "null"],
            "properties": {"name": {"type": "string"}, "points_needed": {"type": "integer"}},
        },
        "referral_code": {"type": "string"},
        "referral_url": {"type": "string", "format": "uri", "description": "invitation link; add .svg for its QR code"},
        "pass_url": {"type": "string", "format": "uri"},
        "google_save_url": {"type": "string", "format": "uri",
                            "description": "only when Google Wallet is configured; opening it saves the card to Google Wallet"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
MEMBER_PAGE: Schema = {
    "type": "object",
    "required": ["items", "page", "pages", "total"],
    "properties": {
        "items": {"type": "array", "items": MEMBER},
        "page": {"type": "integer"},
        "pages": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
    },
}
TRANSACTION_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "description": "either points (negative redeems) or amount (money spent, turned into points by the program's rules)",
    "properties": {
        "points": {"type": "integer", "not": {"const": 0}, "minimum": -1_000_000, "maximum": 1_000_000},
        "amount": {"type": ["string", "number"], "description": "money spent, e.g. \"12.50\""},
        "reason": {"type": "string", "maxLength": 200},
        "idempotency_key": IDEMPOTENCY_KEY,
    },
}
TRANSACTION: Schema = {
    "type": "object",
    "required": ["id", "points", "balance", "tier"],
    "properties": {
        "id": {"type": "integer"},
        "points": {"type": "integer"},
        "balance": {"type": "integer"},
        "tier": {"type": ["string", "null"]},
        "kind": {"type": "string", "enum": ["earn", "redeem", "bonus", "reward", "expire", "adjust"]},
        "amount": {"type": ["string", "null"]},
        "reason": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
TRANSACTION_LIST: Schema = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": TRANSACTION}},
}
MESSAGE_CREATE: Schema = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 200}},
}
MESSAGE_ACCEPTED: Schema = {
    "type": "object",
    "required": ["program_id", "text", "cards"],
    "properties": {
        "program_id": {"type": "integer"},
        "text": {"type": "string"},
        "cards": {"type": "integer", "description": "cards that will show the message"},
    },
}
PROGRAM_LIST: Schema = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": PROGRAM}},
}
ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string", "pattern": "^[a-z0-9_]+$"}, "message": {"type": "string"}},
        }
    },
}
