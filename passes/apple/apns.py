"""Tell Wallet a pass changed: one HTTP/2 connection to APNs, many concurrent streams.

Each push is ``POST /3/device/<push token>`` with ``apns-topic`` set to the pass type identifier,
``apns-push-type: background``, ``apns-priority: 5`` and the body ``{}``; the phone then asks the
web service what changed. Passes have no sandbox: production is the only host.

:class:`ApnsClient` is the asyncio client; :class:`ApnsSender` drives one from threads, keeping
its connection open between batches. Nothing here retries on a timer: a push that should be
tried again comes back as ``Outcome.RETRY``, and :func:`retry_delay` says when.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx

from passes.apple.apns_auth import ApnsAuthError, CertificateAuth, StrPath, TokenAuth

__all__ = [
    "APNS_PRODUCTION_URL",
    "IDLE_TIMEOUT",
    "MAX_ATTEMPTS",
    "ApnsAuthError",
    "ApnsClient",
    "ApnsSender",
    "CertificateAuth",
    "Outcome",
    "PushResult",
    "TokenAuth",
    "backoff_delay",
    "classify",
    "retry_delay",
]

logger = logging.getLogger(__name__)

APNS_PRODUCTION_URL = "https://api.push.apple.com"
MAX_ATTEMPTS = 8
# httpx cannot send HTTP/2 PINGs, so a connection that sat idle is not known to be alive: APNs, or
# a NAT on the way, may have closed it, and the next batch would fail on it as a whole. Idle this
# long, it is replaced before use; batches closer together keep one connection.
IDLE_TIMEOUT = 60.0
_BODY = b"{}"
_TOKEN = re.compile(r"[0-9A-Fa-f]{16,256}")
_UNREGISTERED_400 = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic"})
_T = TypeVar("_T")
# httpcore 1.0 lets anyio's EndOfStream escape unmapped when the peer closes during a TLS write.
_CONNECTION_ERRORS = (httpx.TransportError, anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError)


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    UNREGISTERED = "unregistered"  # the caller deletes the registration
    RETRY = "retry"  # try again later, see retry_delay()
    FAILED = "failed"  # permanent for this push: do not retry


@dataclass(frozen=True, slots=True)
class PushResult:
    token: str
    status: int | None
    reason: str | None
    apns_id: str | None
    outcome: Outcome
    retry_after: float | None
    elapsed_ms: float


def classify(status: int, reason: str | None) -> Outcome:
    if status == 200:
        return Outcome.DELIVERED
    if status == 410 or (status == 400 and reason in _UNREGISTERED_400):
        return Outcome.UNREGISTERED
    if status == 429 or status >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


def backoff_delay(
    attempt: int, *, base: float = 1.0, cap: float = 300.0, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): exponential, full jitter."""
    ceiling = min(cap, base * 2.0 ** min(max(attempt - 1, 0), 64))
    return rng() * ceiling


def retry_delay(
    result: PushResult,
    attempt: int,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    base: float = 1.0,
    cap: float = 300.0,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """When to try ``result``'s push again, or None when it must not be (done, or out of attempts)."""
    if result.outcome is not Outcome.RETRY or attempt >= max_attempts:
        return None
    delay = backoff_delay(attempt, base=base, cap=cap, rng=rng)
    if result.retry_after is not None:
        return max(delay, result.retry_after)
    return delay


class ApnsClient:
    """Pushes over one long-lived HTTP/2 connection, at most ``max_streams`` at a time."""

    def __init__(
        self,
        base_url: str,
        topic: str,
        auth: CertificateAuth | TokenAuth,
        *,
        ca_file: StrPath | None = None,
        max_streams: int = 100,
        timeout: float = 10.0,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        if max_streams < 1:
            raise ValueError("max_streams must be at least 1")
        self.topic = topic
        self.auth = auth
        self.max_streams = max_streams
        self._prefix = base_url.rstrip("/") + "/3/device/"
        self._semaphore = asyncio.Semaphore(max_streams)
        self._headers = {"apns-topic": topic, "apns-push-type": "background", "apns-priority": "5"}
        self._http = _http_client(auth, ca_file, timeout, idle_timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, token: str) -> PushResult:
        async with self._semaphore:
            return await self._send(token)

    async def send_many(self, tokens: Iterable[str]) -> list[PushResult]:
        """Every token's result, in order; as many in flight as ``max_streams`` allows."""
        queue = list(tokens)
        results: list[PushResult | None] = [None] * len(queue)
        indexes = iter(range(len(queue)))

        async def worker() -> None:
            for index in indexes:
                results[index] = await self.send(queue[index])

        await asyncio.gather(*(worker() for _ in range(min(self.max_streams, len(queue)))))
        return [result for result in results if result is not None]

    async def _send(self, token: str) -> PushResult:
        started = time.perf_counter()
        if not _TOKEN.fullmatch(token):
            # What APNs would answer; checked here so a malformed token never shapes the URL path.
            return PushResult(token, None, "BadDeviceToken", None, Outcome.UNREGISTERED, None, 0.0)
        authorization = self.auth.authorization()
        result = await self._post(token, authorization, started)
        if result.status == 403 and result.reason == "ExpiredProviderToken" and authorization:
            if self.auth.renew(authorization):
                logger.info("APNs called the provider token expired; renewed it")
            result = await self._post(token, self.auth.authorization(), started)
        return result

    async def _post(self, token: str, authorization: str | None, started: float) -> PushResult:
        headers = self._headers if authorization is None else {**self._headers, "authorization": authorization}
        try:
            response = await self._http.post(self._prefix + token, content=_BODY, headers=headers)
        except _CONNECTION_ERRORS as exc:
            # Timeouts, refused or reset connections, TLS failures, GOAWAY: the push may or may not
            # have reached APNs, and a duplicate background push is harmless.
            return PushResult(token, None, exc.__class__.__name__, None, Outcome.RETRY, None, _ms(started))
        return _result(token, response, started)


def _http_client(
    auth: CertificateAuth | TokenAuth, ca_file: StrPath | None, timeout: float, idle_timeout: float
) -> httpx.AsyncClient:
    # The TLS context carries both the trusted roots and, in certificate mode, the client
    # certificate: httpx ignores cert= once verify= is given a path, so everything goes in here.
    return httpx.AsyncClient(
        http2=True,
        verify=auth.ssl_context(ca_file),
        timeout=httpx.Timeout(timeout),
        # One connection carries every stream; a second may open while a dying one drains.
        limits=httpx.Limits(max_connections=2, max_keepalive_connections=1, keepalive_expiry=idle_timeout),
        headers={"user-agent": "tessera-apns"},
    )


def _result(token: str, response: httpx.Response, started: float) -> PushResult:
    status = response.status_code
    reason = _reason(response.content) if status != 200 else None
    return PushResult(
        token,
        status,
        reason,
        response.headers.get("apns-id"),
        classify(status, reason),
        _retry_after(response.headers.get("retry-after")),
        _ms(started),
    )


def _reason(body: bytes) -> str | None:
    try:
        reason = json.loads(body).get("reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


class ApnsSender:
    """A blocking front for threads: one private event loop in a daemon thread owns the client.

    The loop outlives each call, so the HTTP/2 connection does too. Safe to call from several
    threads at once; their pushes share the connection and the ``max_streams`` bound.
    """

    def __init__(
        self,
        base_url: str,
        topic: str,
        auth: CertificateAuth | TokenAuth,
        *,
        ca_file: StrPath | None = None,
        max_streams: int = 100,
        timeout: float = 10.0,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="apns-sender", daemon=True)
        self._thread.start()
        self._closed = False
        try:
            options = {"ca_file": ca_file, "max_streams": max_streams, "timeout": timeout, "idle_timeout": idle_timeout}
            self._client = self._run(_make_client(base_url, topic, auth, options))
        except BaseException:
            self._stop_loop()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, token: str) -> PushResult:
        return self._run(self._client.send(token))

    def send_many(self, tokens: Sequence[str]) -> list[PushResult]:
        return self._run(self._client.send_many(tokens))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._client.aclose())
            self._run(self._loop.shutdown_asyncgens())
            self._run(self._loop.shutdown_default_executor())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


async def _make_client(
    base_url: str, topic: str, auth: CertificateAuth | TokenAuth, options: dict[str, Any]
) -> ApnsClient:
    # Made on the sender's loop, so anything the client binds to a loop binds to that one.
    return ApnsClient(base_url, topic, auth, **options)
