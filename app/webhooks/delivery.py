"""Delivering webhook events: signed POSTs from the push worker, over one reused HTTP client.

Each batch claims due `webhook` outbox jobs (the same lease and SKIP LOCKED claim as pushes),
sends every endpoint's jobs in the order the events happened, endpoints side by side, and
settles them in one transaction:
- 2xx: delivered, the job row is deleted;
- no answer (time-out, refused, dropped), 429 or 5xx: retried after `backoff_delay` (exponential,
  full jitter; a `Retry-After` is honoured up to an hour), 8 attempts in all, then kept as
  `failed`;
- any other status (3xx included: redirects are not followed): kept as `failed` at once;
- the host resolves to an address that is not public (unless `WEBHOOK_ALLOW_PRIVATE`): nothing is
  sent, kept as `failed` at once (`app.webhooks.addresses` checks every connection it makes).
Jobs of a switched-off endpoint wait, unattempted, until it is switched on again (`HELD_UNTIL`).
A failed job keeps its body and `last_error`, so what was not delivered can be inspected. Every
attempt is recorded as a `PushAttempt` row without card or device, its `reason` the endpoint's
host and the answer (`hooks.example.com 503`, `hooks.example.com ConnectTimeout`).
"""
from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, insert, select, update

from app.digits import digits
from app.events import KIND
from app.extensions import db
from app.models import OutboxJob, PushAttempt, WebhookEndpoint
from app.models._common import utcnow
from app.wallet import outbox
from app.wallet.outbox import ClaimedWebhook
from app.webhooks.addresses import AddressRefused, VettedTransport
from app.webhooks.signing import sign
from passes.apple.apns import backoff_delay

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 5.0
BATCH_LIMIT = 50  # a batch must end well within its lease even when endpoints are slow
CONCURRENCY = 8  # endpoints served side by side
MAX_RETRY_AFTER = 3600.0
RESPONSE_BYTES_READ = 64 * 1024
USER_AGENT = "Tessera-Webhooks/1"
HELD_UNTIL = datetime(9000, 1, 1, tzinfo=timezone.utc)  # "not before it is switched on again"


@dataclass(frozen=True)
class Target:
    endpoint_id: int
    url: str
    secret: str
    allow_private: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "?"


@dataclass(frozen=True)
class Result:
    job: ClaimedWebhook
    host: str
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    elapsed_ms: float = 0.0
    sent: bool = True  # False: not tried in this batch (its endpoint stalled, or time ran out)
    hold_until: float | None = None  # for an unsent job: wait like the job that stalled its endpoint
    refused: bool = False  # the address was not public: no connection was made

    @property
    def outcome(self) -> str:
        return "failed" if self.refused else classify(self.status)

    @property
    def detail(self) -> str:
        return f"{self.host} {self.status if self.status is not None else self.error}"

    @property
    def summary(self) -> str:
        return self.detail[:64]

    @property
    def stalls(self) -> bool:
        """No answer (but not a refusal, which costs nothing) or a 429: the endpoint's next jobs wait."""
        return (self.status is None and not self.refused) or self.status == 429


def classify(status: int | None) -> str:
    """'delivered', 'retry' (no answer, 429, 5xx) or 'failed' (any other answer)."""
    if status is None or status == 429 or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    return "failed"


def retry_in(result: Result, attempt: int, backoff: Callable[[int], float] | None = None) -> float | None:
    """Seconds until the next attempt, or None when the job must not be tried again."""
    if result.outcome != "retry" or attempt >= MAX_ATTEMPTS:
        return None
    delay = (backoff or backoff_delay)(attempt)
    if result.retry_after is not None:
        return max(delay, min(result.retry_after, MAX_RETRY_AFTER))
    return delay


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after", "").strip()
    if digits(raw):
        return float(raw)
    if raw:
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return None


def event_type(payload: str) -> str:
    try:
        return str(json.loads(payload).get("type", ""))
    except (ValueError, AttributeError):
        return ""


class WebhookSender:
    """An `httpx.Client` (connection reuse) per address rule, made with `VettedTransport`, and a
    small thread pool, kept for the worker's life. `verify`: the CA bundle or SSL context for TLS."""

    def __init__(self, *, timeout: float = TIMEOUT_SECONDS, concurrency: int = CONCURRENCY,
                 backoff: Callable[[int], float] | None = None, verify: ssl.SSLContext | str | bool = True) -> None:
        self.timeout = timeout
        self.concurrency = concurrency
        self.backoff = backoff or backoff_delay
        self.verify = verify
        self._clients: dict[bool, httpx.Client] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def client(self, allow_private: bool) -> httpx.Client:
        with self._lock:
            if allow_private not in self._clients:
                self._clients[allow_private] = httpx.Client(
                    transport=VettedTransport(allow_private=allow_private, verify=self.verify),
                    timeout=httpx.Timeout(self.timeout), follow_redirects=False, headers={"User-Agent": USER_AGENT})
            return self._clients[allow_private]

    def post(self, target: Target, job: ClaimedWebhook) -> Result:
        body = job.payload.encode()
        headers = {"Content-Type": "application/json", "Tessera-Event": event_type(job.payload),
                   "Tessera-Delivery": str(job.job_id), "Tessera-Signature": sign(target.secret, body)}
        started = time.monotonic()
        try:
            client = self.client(target.allow_private)
            with client.stream("POST", target.url, content=body, headers=headers) as response:
                read = 0
                for chunk in response.iter_bytes():  # a little of the answer, so the connection is reused
                    read += len(chunk)
                    if read > RESPONSE_BYTES_READ:
                        break
                return Result(job, target.host, status=response.status_code, retry_after=_retry_after(response),
                              elapsed_ms=(time.monotonic() - started) * 1000)
        except httpx.HTTPError as exc:
            return Result(job, target.host, error=type(exc).__name__, elapsed_ms=(time.monotonic() - started) * 1000)
        except AddressRefused as exc:
            return Result(job, target.host, error=f"refused: {exc}", refused=True,
                          elapsed_ms=(time.monotonic() - started) * 1000)

    def _send_group(self, target: Target, jobs: list[ClaimedWebhook], deadline: float) -> list[Result]:
        """One endpoint's jobs in event order. After no answer or a 429 the rest wait for the
        next attempt of that job, so a dead endpoint costs one time-out a batch, not one a job."""
        results: list[Result] = []
        stalled: Result | None = None
        for job in jobs:
            if stalled is not None or time.monotonic() > deadline:
                hold = None
                if stalled is not None:
                    hold = retry_in(stalled, stalled.job.attempt, self.backoff) or 0.0
                results.append(Result(job, target.host, sent=False, hold_until=hold))
                continue
            result = self.post(target, job)
            results.append(result)
            if result.stalls:
                stalled = result
        return results

    def send_all(self, jobs: list[ClaimedWebhook], targets: dict[int, Target], budget: float) -> list[Result]:
        groups: dict[int, list[ClaimedWebhook]] = {}
        for job in sorted(jobs, key=lambda j: j.job_id):
            groups.setdefault(job.endpoint_id, []).append(job)
        deadline = time.monotonic() + budget
        work = [(targets[e], g) for e, g in groups.items() if e in targets]
        if len(work) <= 1:
            return [r for target, group in work for r in self._send_group(target, group, deadline)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="webhook")
        futures = [self._pool.submit(self._send_group, target, group, deadline) for target, group in work]
        return [r for f in futures for r in f.result()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _targets(endpoint_ids: Iterable[int]) -> dict[int, Target]:
    rows = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret)
        .where(WebhookEndpoint.id.in_(set(endpoint_ids)), WebhookEndpoint.active.is_(True))
    ).all()
    allow_private = bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))
    return {r.id: Target(r.id, r.url, r.secret, allow_private) for r in rows}


def _mine(worker: str, job_id: int) -> ColumnElement[bool]:
    return and_(OutboxJob.id == job_id, OutboxJob.kind == KIND, OutboxJob.claimed_by == worker,
                OutboxJob.status == "sending")


def _release(worker: str, job_id: int, later: datetime) -> None:
    """Back to pending, the attempt not counted: it was never made."""
    db.session.execute(
        update(OutboxJob).where(_mine(worker, job_id))
        .values(status="pending", attempts=OutboxJob.attempts - 1, available_at=later, lease_until=None,
                claimed_by=None)
        .execution_options(synchronize_session=False)
    )


def _settle_one(worker: str, result: Result, backoff: Callable[[int], float]) -> str:
    """Act on one answer; returns the outcome recorded for the attempt."""
    mine = _mine(worker, result.job.job_id)
    if result.outcome == "delivered":
        db.session.execute(delete(OutboxJob).where(mine))
        return "delivered"
    delay = retry_in(result, result.job.attempt, backoff)
    values: dict[str, object] = {"lease_until": None, "claimed_by": None, "last_error": result.detail[:200]}
    if delay is None:
        values["status"] = "failed"
    else:
        values.update(status="pending", available_at=utcnow() + timedelta(seconds=delay))
    db.session.execute(update(OutboxJob).where(mine).values(**values).execution_options(synchronize_session=False))
    return "failed" if delay is None else "retry"


def settle(worker: str, jobs: list[ClaimedWebhook], results: list[Result], targets: dict[int, Target],
           backoff: Callable[[int], float] = backoff_delay) -> None:
    attempts = []
    answered = {r.job.job_id for r in results}
    for job in jobs:  # switched off since the event: it waits (a deleted endpoint's jobs went with it)
        if job.endpoint_id not in targets and job.job_id not in answered:
            _release(worker, job.job_id, HELD_UNTIL)
    for result in results:
        if not result.sent:
            _release(worker, result.job.job_id, utcnow() + timedelta(seconds=result.hold_until or 0.0))
            continue
        outcome = _settle_one(worker, result, backoff)
        attempts.append({"device_id": None, "card_id": None, "attempt": result.job.attempt, "status": result.status,
                         "reason": result.summary, "outcome": outcome, "elapsed_ms": int(result.elapsed_ms),
                         "created_at": utcnow()})
    if attempts:
        db.session.execute(insert(PushAttempt), attempts)
    db.session.commit()


def run_batch(worker: str, sender: WebhookSender, limit: int, lease_seconds: float) -> int:
    """Claim, send and settle one batch of due webhook jobs; returns how many were handled."""
    jobs = outbox.claim(worker, min(limit, BATCH_LIMIT), lease_seconds, kind="webhook")
    if not jobs:
        return 0
    targets = _targets(j.endpoint_id for j in jobs)
    db.session.rollback()  # no transaction held open while waiting on the network
    results = sender.send_all(jobs, targets, budget=lease_seconds / 2)
    settle(worker, jobs, results, targets, sender.backoff)
    return len(jobs)
