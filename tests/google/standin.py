"""A real HTTP server on loopback standing in for Google: the OAuth token endpoint, the Wallet
API's loyaltyClass/loyaltyObject resources and the callback root keys, recording every request."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs

API_PREFIX = "/walletobjects/v1"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class State:
    requests: list[Seen] = field(default_factory=list)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "loyaltyObject/<id>" -> body
    tokens: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses to answer the next API calls with
    root_keys: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _read(self) -> Seen:
        length = int(self.headers.get("Content-Length") or 0)
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
        with self.state.lock:
            self.state.requests.append(seen)
        return seen

    def _answer(self, status: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        seen = self._read()
        if seen.path == "/keys":
            return self._answer(200, self.state.root_keys)
        self._api(seen)

    def do_POST(self) -> None:
        seen = self._read()
        if seen.path == "/token":
            return self._token(seen)
        self._api(seen)

    def do_PATCH(self) -> None:
        self._api(self._read())

    def _token(self, seen: Seen) -> None:
        form = seen.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or "assertion" not in form:
            return self._answer(400, {"error": "invalid_grant"})
        with self.state.lock:
            token = f"ya29.test-{len(self.state.tokens) + 1}"
            self.state.tokens.append(token)
        self._answer(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _api(self, seen: Seen) -> None:
        if not seen.path.startswith(API_PREFIX + "/"):
            return self._answer(404, {"error": {"code": 404, "message": "no such path"}})
        if seen.headers.get("authorization", "").removeprefix("Bearer ") not in self.state.tokens:
            return self._answer(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
        with self.state.lock:
            failure = self.state.failures.pop(0) if self.state.failures else None
        if failure:
            return self._answer(failure, {"error": {"code": failure, "message": f"told to fail with {failure}"}})
        parts = seen.path[len(API_PREFIX) + 1:].split("/")
        self._resource(seen, parts[0], parts[1] if len(parts) > 1 else None)

    def _resource(self, seen: Seen, kind: str, resource_id: str | None) -> None:
        resources = self.state.resources
        if seen.method == "POST" and resource_id is None:
            body = seen.json()
            key = f"{kind}/{body['id']}"
            if key in resources:
                return self._answer(409, {"error": {"code": 409, "message": "Resource already exists"}})
            resources[key] = body
            return self._answer(200, body)
        key = f"{kind}/{resource_id}"
        if key not in resources:
            return self._answer(404, {"error": {"code": 404, "message": "Resource not found"}})
        if seen.method == "PATCH":
            resources[key] = {**resources[key], **seen.json()}
        self._answer(200, resources[key])


class GoogleStandIn:
    def __init__(self) -> None:
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def calls(self, method: str, path_part: str) -> list[Seen]:
        with self.state.lock:
            return [r for r in self.state.requests if r.method == method and path_part in r.path]
