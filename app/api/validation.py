"""Request bodies: parsed as JSON, checked against the schema, errors named by field."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from app.api.schemas import Schema
from app.errors import ApiError
from app.input_guard import JsonRefused, parse_json, unstorable
from app.loyalty.idempotency import CLIENT_KEY_MAX, client_key

IDEMPOTENCY_KEY_MAX = CLIENT_KEY_MAX


@lru_cache(maxsize=None)
def _validator(schema_id: int, schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def _where(error: ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return path or "body"


def _sentence(error: ValidationError) -> str:
    where = _where(error)
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        return f"{where + '.' if where != 'body' else ''}{missing} is required"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{where}: unknown field {', '.join(extra)}"
    if kind == "type":
        wanted = value if isinstance(value, str) else " or ".join(v for v in value if v != "null")
        article = "an" if wanted[:1] in "aeiou" else "a"
        return f"{where} must be {article} {wanted}"
    if kind in {"minLength", "maxLength"}:
        bound = "at least" if kind == "minLength" else "at most"
        return f"{where} must be {bound} {value} characters" if value else f"{where} must not be empty"
    if kind in {"minimum", "maximum"}:
        bound = "at least" if kind == "minimum" else "at most"
        return f"{where} must be {bound} {value}"
    if kind == "enum":
        return f"{where} must be one of {', '.join(map(str, value))}"
    if kind == "not":
        return f"{where} must not be {error.instance!r}"
    if kind in {"maxItems", "minProperties"}:
        return f"{where}: {'too many items' if kind == 'maxItems' else 'nothing to change'}"
    if kind == "pattern":
        hint = error.schema.get("description")
        return f"{where} has the wrong format" + (f" (expected {hint})" if hint else "")
    return f"{where}: {error.message}"


def json_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON object, valid against `schema`, else a 400/422 naming the problem."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "malformed_json", "the body is empty; send a JSON object")
    try:
        data = parse_json(raw)
    except JsonRefused as exc:
        raise ApiError(exc.status, "malformed_json" if exc.status == 400 else "invalid_value", exc.message) from None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")
    validator = _validator(id(schema), json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        raise ApiError(422, "invalid_value", "; ".join(dict.fromkeys(_sentence(e) for e in errors[:5])))
    return data


def idempotency_key(body: dict[str, Any]) -> str | None:
    """The body's idempotency_key (bounded by the schema) or else the Idempotency-Key header,
    which no schema sees: a key its column cannot hold is 422, not a database error. The key is
    returned in the clients' own namespace, apart from the product's keys (app/loyalty/idempotency.py)."""
    key = body.get("idempotency_key") or request.headers.get("Idempotency-Key") or None
    if key is not None and (len(key) > IDEMPOTENCY_KEY_MAX or unstorable(key)):
        raise ApiError(422, "invalid_value", f"the Idempotency-Key header must be 1 to {IDEMPOTENCY_KEY_MAX} "
                                             "printable characters")
    return client_key(key) if key is not None else None
