"""Every key Tessera sends to Google exists in Google's published discovery document for the
Wallet API (walletobjects v1, as google-api-python-client ships it), with the right type."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Card, Program
from app.wallet.google import class_body, object_body
from passes.google.objects import CardSpec, ProgramSpec, loyalty_class, loyalty_object

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "walletobjects.v1.json"
JSON_TYPES = {"string": str, "integer": int, "boolean": bool, "number": (int, float), "object": dict, "array": list}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return dict(json.loads(DISCOVERY.read_text())["schemas"])


def problems(value: Any, schema: dict[str, Any], schemas: dict[str, Any], path: str) -> list[str]:
    """Where `value` strays from `schema`: unknown keys, wrong types, values outside an enum."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind and not isinstance(value, JSON_TYPES[kind]) or (kind == "integer" and isinstance(value, bool)):
        return [f"{path}: {value!r} is not {kind}"]
    if kind == "array":
        return [p for i, item in enumerate(value) for p in problems(item, schema["items"], schemas, f"{path}[{i}]")]
    if kind == "object":
        props = schema.get("properties", {})
        found = [f"{path}.{key}: not in the schema" for key in value if key not in props]
        return found + [p for key, item in value.items() if key in props
                        for p in problems(item, props[key], schemas, f"{path}.{key}")]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not one of {schema['enum']}"]
    if schema.get("format") == "int32" and not -2**31 <= value < 2**31:
        return [f"{path}: {value} out of int32"]
    return []


def _full_specs() -> tuple[ProgramSpec, CardSpec]:
    program = ProgramSpec("p", "Caffè Rossi", "Rossi Club", "https://x.example/logo.png", "#112233", "it", "Punti",
                          message="Doppi punti", account_name_label="Socio", account_id_label="N. carta")
    card = CardSpec("c", "p", "4574574653499", "Giulia", 120, "Punti", "4574574653499", "Gold", "Livello",
                    "120 punti per Platinum", "Prossimo traguardo", "it", message="Ciao", message_header="Messaggio")
    return program, card


def test_the_checker_notices_strays(schemas: dict[str, Any]) -> None:
    wrong = {"id": "1.x", "loyaltyPoints": {"balance": {"int": "12"}}, "barcode": {"type": "QR"}, "colour": "#fff"}
    found = problems(wrong, {"$ref": "LoyaltyObject"}, schemas, "object")
    assert found == ["object.colour: not in the schema", "object.loyaltyPoints.balance.int: '12' is not integer",
                     "object.barcode.type: 'QR' not one of " + str(schemas["Barcode"]["properties"]["type"]["enum"])]


def test_every_field_of_a_full_class_and_object_is_googles(schemas: dict[str, Any]) -> None:
    program, card = _full_specs()
    body = loyalty_class("3388000000022222222", program, callback_url="https://x.example/google/callback")
    assert problems(body, {"$ref": "LoyaltyClass"}, schemas, "class") == []
    assert {"messages", "callbackOptions", "localizedProgramName", "accountIdLabel"} <= body.keys()
    body = loyalty_object("3388000000022222222", card)
    assert problems(body, {"$ref": "LoyaltyObject"}, schemas, "object") == []
    assert {"messages", "textModulesData", "barcode", "loyaltyPoints"} <= body.keys()


def test_the_bodies_of_a_real_card_are_googles(app: Flask, schemas: dict[str, Any], member: dict[str, Any]) -> None:
    card = db.session.scalars(select(Card).where(Card.member_id == member["id"])).one()
    program = db.session.get(Program, card.program_id)
    assert program is not None
    assert problems(class_body(program), {"$ref": "LoyaltyClass"}, schemas, "class") == []
    assert problems(object_body(card), {"$ref": "LoyaltyObject"}, schemas, "object") == []
