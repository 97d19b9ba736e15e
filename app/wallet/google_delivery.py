"""Keeping Google Wallet objects up to date: the push worker PATCHes the object of every card
that changed, from `google` outbox jobs (one pending job per card; later changes fold into it).

- 2xx: done, the job is deleted;
- 404: the object is missing (deleted console-side or never created): it is inserted instead;
- no answer, 429 or 5xx: retried after `backoff_delay` (a `Retry-After` is honoured), 8 attempts;
- any other 4xx: dropped, as retrying would get the same answer.
Every attempt is kept as a `PushAttempt` row with the card and no device, its reason
`google <status> <message>`. Updates are silent: no `notifyPreference`, so none of Google's
3 notifications per card a day is used (the Apple card carries the lock-screen messages).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, exists, insert, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Card, OutboxJob, PushAttempt
from app.models._common import utcnow
from app.wallet import outbox
from app.wallet.google import google_enabled, object_body, wallet
from app.wallet.outbox import ClaimedCard
from passes.apple.apns import backoff_delay
from passes.google.client import WalletApiError

KIND = "google"
MAX_ATTEMPTS = 8
BATCH_LIMIT = 50  # at 20 requests a second a batch ends well within its lease
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class Sent:
    status: int | None
    reason: str
    outcome: str  # "delivered", "retry" or "failed"
    retry_after: float | None
    elapsed_ms: int


def _patch(card: Card) -> None:
    body = object_body(card)
    client = wallet().client
    try:
        client.patch_object(body)
    except WalletApiError as exc:
        if exc.status != 404:
            raise
        client.insert("loyaltyObject", body)


def send(job: ClaimedCard) -> Sent:
    started = time.monotonic()
    card = db.session.get(Card, job.card_id)
    try:
        if card is not None:
            _patch(card)
    except WalletApiError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        outcome = "retry" if exc.retryable and job.attempt < MAX_ATTEMPTS else "failed"
        return Sent(exc.status, f"google {exc.status or ''} {exc.message}".replace("  ", " "), outcome,
                    exc.retry_after, elapsed)
    return Sent(200, "google", "delivered", None, int((time.monotonic() - started) * 1000))


def _settle(worker: str, job: ClaimedCard, sent: Sent) -> None:
    db.session.execute(insert(PushAttempt).values(
        device_id=None, card_id=job.card_id, attempt=job.attempt, status=sent.status, reason=sent.reason[:64],
        outcome=sent.outcome, elapsed_ms=sent.elapsed_ms, created_at=utcnow()))
    mine = and_(OutboxJob.id == job.job_id, OutboxJob.claimed_by == worker, OutboxJob.status == "sending")
    if sent.outcome != "retry":
        db.session.execute(delete(OutboxJob).where(mine))
        return
    sibling = aliased(OutboxJob)
    folded = exists().where(sibling.kind == KIND, sibling.status == "pending", sibling.dedupe_key == str(job.card_id))
    db.session.execute(delete(OutboxJob).where(mine, folded))  # a newer change is queued: it carries this one
    delay = max(backoff_delay(job.attempt), min(sent.retry_after or 0.0, MAX_RETRY_AFTER))
    db.session.execute(
        update(OutboxJob).where(mine)
        .values(status="pending", available_at=utcnow() + timedelta(seconds=delay), lease_until=None,
                claimed_by=None, last_error=sent.reason[:200])
        .execution_options(synchronize_session=False)
    )


def run_batch(worker: str, batch_size: int, lease_seconds: float) -> int:
    """Claim, PATCH and settle due Google jobs; returns how many were handled."""
    if not google_enabled():
        return 0
    jobs = outbox.claim_cards(worker, min(batch_size, BATCH_LIMIT), lease_seconds, KIND)
    for job in jobs:
        _settle(worker, job, send(job))
    db.session.commit()
    return len(jobs)
