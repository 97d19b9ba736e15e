"""A small REST client for the Wallet API (loyalty classes and objects).

Authentication is an OAuth access token for the service account, obtained by google-auth with
a JWT-bearer grant at the token URL and cached until it nears expiry. Every request first takes
a token from a bucket refilled at 20 a second, Google's documented limit per issuer."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from passes.google.account import ServiceAccount

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
RATE_PER_SECOND = 20.0
TIMEOUT_SECONDS = 10.0


class WalletApiError(Exception):
    """Google answered with an error status, or did not answer (status None)."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class TokenBucket:
    """At most `rate` acquisitions a second on average, bursts up to `rate`; blocks until allowed."""

    def __init__(self, rate: float = RATE_PER_SECOND, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.tokens = rate
        self.clock = clock
        self.sleep = sleep
        self.stamp = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1 - 1e-9:  # float drift must not leave a caller waiting forever
                    self.tokens = max(0.0, self.tokens - 1)
                    return
                wait = (1 - self.tokens) / self.rate
            self.sleep(wait)


class AccessTokens:
    """The service account's OAuth access token, refreshed by google-auth when it nears expiry."""

    def __init__(self, account: ServiceAccount, token_url: str) -> None:
        info = {**account.info, "token_uri": token_url}
        self.credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=[SCOPE])
        self.lock = threading.Lock()
        self.refreshes = 0

    def token(self) -> str:
        with self.lock:
            if not self.credentials.valid:
                try:
                    self.credentials.refresh(Request())
                except Exception as exc:  # google-auth raises its own and requests' errors
                    raise WalletApiError(None, f"access token: {exc}") from exc
                self.refreshes += 1
            return str(self.credentials.token)


class WalletClient:
    def __init__(self, api_url: str, tokens: AccessTokens, bucket: TokenBucket | None = None,
                 http: httpx.Client | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.bucket = bucket or TokenBucket()
        self.http = http or httpx.Client(timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> httpx.Response:
        self.bucket.acquire()
        headers = {"Authorization": f"Bearer {self.tokens.token()}"}
        try:
            return self.http.request(method, self.api_url + path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise WalletApiError(None, exc.__class__.__name__) from exc

    def _ok(self, response: httpx.Response) -> dict[str, Any]:
        if response.is_success:
            return dict(response.json()) if response.content else {}
        retry_after = response.headers.get("Retry-After")
        raise WalletApiError(response.status_code, _error_message(response),
                             float(retry_after) if retry_after and retry_after.isdigit() else None)

    def get(self, kind: str, resource_id: str) -> dict[str, Any]:
        return self._ok(self._call("GET", f"/{kind}/{resource_id}"))

    def insert(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._ok(self._call("POST", f"/{kind}", body))

    def patch(self, kind: str, resource_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._ok(self._call("PATCH", f"/{kind}/{resource_id}", body))

    def upsert(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Insert; 409 means it exists already, so patch it to the body instead."""
        response = self._call("POST", f"/{kind}", body)
        if response.status_code == 409:
            return self.patch(kind, str(body["id"]), body)
        return self._ok(response)

    def upsert_class(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.upsert("loyaltyClass", body)

    def upsert_object(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.upsert("loyaltyObject", body)

    def patch_object(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.patch("loyaltyObject", str(body["id"]), body)


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase or "error"
