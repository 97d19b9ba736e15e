"""Checks every API answer given during the suite against the OpenAPI document.

A response whose status the document does not list for that operation, or whose body does not
match the documented schema, is recorded and fails the test that caused it.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from jsonschema import Draft202012Validator
from werkzeug.wrappers import Response

from app.api.openapi import build_document

RULE_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def openapi_path(rule: str) -> str:
    return RULE_PARAM.sub(r"{\1}", rule.removeprefix("/api/v1"))


def resolve(doc: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(doc, target)
        return {k: resolve(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(doc, v) for v in node]
    return node


class OpenApiRecorder:
    def __init__(self, app: Flask) -> None:
        doc = build_document("http://tessera.test/api/v1")
        self.doc: dict[str, Any] = resolve(doc, doc)
        self.problems: list[str] = []
        self.seen: set[tuple[str, str, int]] = set()
        app.after_request(self._check)

    def _check(self, response: Response) -> Response:
        if not request.path.startswith("/api/v1/") or request.method == "OPTIONS":
            return response  # OPTIONS: HTTP's own answer (an empty 200 with Allow), no operation of the document
        where = f"{request.method} {request.path} -> {response.status_code}"
        body = response.get_data()
        payload: Any = None
        if response.status_code == 204:
            if body:
                self.problems.append(f"{where}: a 204 answer must have no body")
        else:
            try:
                payload = json.loads(body)
            except ValueError:
                self.problems.append(f"{where}: body is not JSON")
                return response
        rule = request.url_rule.rule if request.url_rule else None
        if rule is None or request.endpoint == "api.openapi_document":
            if rule is None and (payload is None or "error" not in payload):
                self.problems.append(f"{where}: routing error without the error shape")
            return response
        self._against(where, openapi_path(rule), request.method.lower(), response.status_code, payload)
        return response

    def _against(self, where: str, path: str, method: str, status: int, payload: Any) -> None:
        operation = self.doc["paths"].get(path, {}).get(method)
        if operation is None:
            self.problems.append(f"{where}: {method.upper()} {path} is not in the OpenAPI document")
            return
        spec = operation["responses"].get(str(status)) or operation["responses"].get("default")
        if spec is None:
            self.problems.append(f"{where}: status {status} is not documented for {method.upper()} {path}")
            return
        self.seen.add((path, method, status))
        if "content" not in spec or payload is None:  # a documented answer without a body (204)
            if ("content" in spec) != (payload is not None):
                self.problems.append(f"{where}: the document and the answer disagree on having a body")
            return
        schema = spec["content"]["application/json"]["schema"]
        for error in Draft202012Validator(schema).iter_errors(payload):
            self.problems.append(f"{where}: {error.message} at {list(error.absolute_path)}")

    def assert_clean(self) -> None:
        assert not self.problems, "answers that differ from the OpenAPI document:\n" + "\n".join(self.problems)
