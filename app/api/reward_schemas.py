"""JSON Schemas of the rewards and stamp-card operations (requests are validated with them, the
OpenAPI document is built from them)."""
from __future__ import annotations

from app.api.schemas import IDEMPOTENCY_KEY, MEMBER, Schema

REWARD_FIELDS: Schema = {
    "name": {"type": "string", "minLength": 1, "maxLength": 80},
    "description": {"type": "string", "maxLength": 300},
    "cost": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "description": "points (stamps on a stamp card)"},
    "stock": {"type": ["integer", "null"], "minimum": 0, "maximum": 1_000_000_000,
              "description": "items left; null for unlimited"},
    "min_tier": {"type": ["string", "null"], "maxLength": 40, "description": "one of the program's tiers"},
    "valid_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650,
                   "description": "days an issued code stays good; null for no limit"},
    "active": {"type": "boolean"},
}
REWARD_CREATE: Schema = {
    "type": "object",
    "required": ["name", "cost"],
    "additionalProperties": False,
    "properties": REWARD_FIELDS,
}
REWARD_PATCH: Schema = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": REWARD_FIELDS,
}
REWARD: Schema = {
    "type": "object",
    "required": ["id", "program_id", "name", "description", "cost", "stock", "min_tier", "valid_days", "active"],
    "properties": {
        "id": {"type": "integer"},
        "program_id": {"type": "integer"},
        **{name: {k: v for k, v in schema.items() if k not in ("minimum", "maximum", "minLength", "maxLength")}
           for name, schema in REWARD_FIELDS.items()},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
REWARD_LIST: Schema = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": REWARD}}}
REDEEM: Schema = {
    "type": "object",
    "additionalProperties": False,
    "description": "optional; an idempotency_key makes a till's retry return the same code",
    "properties": {"idempotency_key": IDEMPOTENCY_KEY},
}
REWARD_CODE: Schema = {
    "type": "object",
    "required": ["id", "code", "status", "reward_id", "reward", "member_id", "issued_at", "expires_at", "used_at"],
    "properties": {
        "id": {"type": "integer"},
        "code": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$"},
        "status": {"type": "string", "enum": ["issued", "used", "expired", "void"]},
        "reward_id": {"type": "integer"},
        "reward": {"type": "string", "description": "the reward's name"},
        "member_id": {"type": "integer"},
        "issued_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "used_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
REWARD_CODE_LIST: Schema = {
    "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": REWARD_CODE}},
}
REDEMPTION: Schema = {
    "type": "object",
    "required": ["code", "reward", "balance"],
    "properties": {"code": REWARD_CODE, "reward": REWARD, "balance": {"type": "integer"}},
}
CODE_USE: Schema = {
    "type": "object",
    "required": ["code"],
    "additionalProperties": False,
    "properties": {"code": {"type": "string", "minLength": 1, "maxLength": 24,
                            "description": "as printed on the card; case and the dash do not matter"}},
}
CODE_USED: Schema = {
    "type": "object",
    "required": ["code", "reward", "member"],
    "properties": {"code": REWARD_CODE, "reward": REWARD, "member": MEMBER},
}
