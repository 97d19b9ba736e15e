"""The OpenAPI 3.1 document of the API, built from the schemas the API validates with."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from app.api import bp
from app.api import schemas as s
from app.input_guard import INT32_MAX

Op = dict[str, Any]
ERRORS = {
    400: "Malformed request (not JSON, bad query)",
    401: "Missing or unknown API key",
    403: "The key's role may not do this",
    404: "Not found, or another merchant's",
    409: "Conflict with the current state",
    413: "Body larger than the limit",
    422: "A value is invalid; the message names it",
}
ID = {"type": "integer", "minimum": 1, "maximum": INT32_MAX}  # larger ids are 404 (app/input_guard.py)


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _op(summary: str, ok: dict[int, dict[str, Any]], errors: tuple[int, ...], *, body: dict[str, Any] | None = None,
        params: list[dict[str, Any]] | None = None, tag: str = "") -> Op:
    responses: dict[str, Any] = {
        str(code): {"description": "OK", "content": {"application/json": {"schema": schema}}} for code, schema in ok.items()
    }
    for code in (401, 413, *errors):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    op: Op = {"summary": summary, "tags": [tag] if tag else [], "responses": responses}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


PROGRAM_ID = _path_param("program_id")
MEMBER_ID = _path_param("member_id")

# Operations that other API modules describe next to their routes: document(path, method, op).
EXTRA: dict[str, dict[str, Op]] = {}


def document(path: str, method: str, op: Op) -> None:
    """Add an operation to the document; `path` is relative to /api/v1, OpenAPI style."""
    EXTRA.setdefault(path, {})[method] = op


op = _op
path_param = _path_param
query_param = _query


def _paths() -> dict[str, Any]:
    return {
        "/programs": {
            "post": _op("Create a program (owner)", {201: s.PROGRAM}, (400, 403, 409, 422), body=s.PROGRAM_CREATE, tag="programs"),
            "get": _op("List your programs", {200: s.PROGRAM_LIST}, (), tag="programs"),
        },
        "/programs/{program_id}": {
            "get": _op("Read a program", {200: s.PROGRAM}, (404,), params=[PROGRAM_ID], tag="programs"),
            "patch": _op(
                "Change a program (owner); every card of it is updated",
                {200: s.PROGRAM}, (400, 403, 404, 409, 422), body=s.PROGRAM_PATCH, params=[PROGRAM_ID], tag="programs",
            ),
        },
        "/programs/{program_id}/messages": {
            "post": _op(
                "Show a message on every card of the program (owner)",
                {202: s.MESSAGE_ACCEPTED}, (400, 403, 404, 422), body=s.MESSAGE_CREATE, params=[PROGRAM_ID], tag="programs",
            ),
        },
        "/programs/{program_id}/members": {
            "post": _op("Enrol a member and issue their card", {201: s.MEMBER}, (400, 404, 409, 422),
                        body=s.MEMBER_CREATE, params=[PROGRAM_ID], tag="members"),
            "get": _op(
                "Search the program's members, newest first", {200: s.MEMBER_PAGE}, (400, 404),
                params=[
                    PROGRAM_ID,
                    _query("q", {"type": "string", "maxLength": 100}, "part of the name or e-mail, or a card number or phone"),
                    _query("page", {"type": "integer", "minimum": 1}, "page number, from 1"),
                    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "items per page (50)"),
                ],
                tag="members",
            ),
        },
        "/members/lookup": {
            "get": _op("Find a member by the number on their card (the till's scan)", {200: s.MEMBER}, (400, 404),
                       params=[_query("card_number", {"type": "string"}, "the scanned card number", True)], tag="members"),
        },
        "/members/{member_id}": {
            "get": _op("Read a member", {200: s.MEMBER}, (404,), params=[MEMBER_ID], tag="members"),
        },
        "/members/{member_id}/transactions": {
            "post": _op(
                "Earn (points > 0) or redeem (points < 0); an idempotency_key makes retries safe",
                {201: s.TRANSACTION, 200: s.TRANSACTION}, (400, 404, 409, 422), body=s.TRANSACTION_CREATE,
                params=[MEMBER_ID, {"name": "Idempotency-Key", "in": "header", "required": False,
                                    "schema": s.IDEMPOTENCY_HEADER,
                                    "description": "alternative to idempotency_key in the body"}],
                tag="transactions",
            ),
            "get": _op("The member's transactions, newest first", {200: s.TRANSACTION_LIST}, (400, 404),
                       params=[MEMBER_ID, _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "at most this many (100)")],
                       tag="transactions"),
        },
    }


def build_document(server_url: str) -> dict[str, Any]:
    paths = _paths()
    for path, operations in EXTRA.items():
        paths.setdefault(path, {}).update(operations)
    for path_item in paths.values():
        for op in path_item.values():
            op["security"] = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tessera merchant API",
            "version": "1",
            "description": "Programs, members, cards and points. Every error is "
                           '{"error": {"code", "message"}}; another merchant\'s data answers 404.',
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "an API key, tsk_…"}},
            "schemas": {"Error": s.ERROR},
            "responses": {
                f"E{code}": {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                for code, text in ERRORS.items()
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(build_document(current_app.config["PUBLIC_URL"] + "/api/v1"))
