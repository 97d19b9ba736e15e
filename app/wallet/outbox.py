"""Claiming and settling outbox jobs. Several workers on PostgreSQL never claim the same row
(`FOR UPDATE SKIP LOCKED`); a worker that dies leaves its rows to be reclaimed once the lease
runs out, so every push is delivered at least once."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, overload

from sqlalchemy import and_, delete, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import aliased

from app.events import card_moved
from app.extensions import db
from app.models import Device, OutboxJob, PushAttempt, Registration
from app.models._common import utcnow
from passes.apple.apns import Outcome, PushResult, retry_delay

KIND = "apns"


@dataclass(frozen=True)
class Claimed:
    job_id: int
    device_id: int
    card_id: int
    attempt: int
    push_token: str


@dataclass(frozen=True)
class ClaimedWebhook:
    job_id: int
    endpoint_id: int
    attempt: int
    payload: str


def _take(worker: str, limit: int, lease_seconds: float, kind: str) -> Sequence[Any]:
    """Mark up to `limit` due jobs of `kind` as this worker's, under a lease (not committed)."""
    now = utcnow()
    due = or_(
        and_(OutboxJob.status == "pending", OutboxJob.available_at <= now),
        and_(OutboxJob.status == "sending", OutboxJob.lease_until < now),
    )
    ids = (
        select(OutboxJob.id).where(OutboxJob.kind == kind, due).order_by(OutboxJob.available_at)
        .limit(limit).with_for_update(skip_locked=True)
    )
    return db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_(ids.scalar_subquery()))
        .values(status="sending", attempts=OutboxJob.attempts + 1, claimed_by=worker,
                lease_until=now + timedelta(seconds=lease_seconds))
        .returning(OutboxJob.id, OutboxJob.device_id, OutboxJob.card_id, OutboxJob.attempts, OutboxJob.endpoint_id,
                   OutboxJob.payload)
        .execution_options(synchronize_session=False)
    ).all()


@overload
def claim(worker: str, limit: int, lease_seconds: float, kind: Literal["apns"] = ...) -> list[Claimed]: ...


@overload
def claim(worker: str, limit: int, lease_seconds: float, kind: Literal["webhook"]) -> list[ClaimedWebhook]: ...


def claim(worker: str, limit: int, lease_seconds: float, kind: str = KIND) -> list[Claimed] | list[ClaimedWebhook]:
    """Take up to `limit` due jobs of `kind` ("apns" pushes or "webhook" deliveries) for `worker`
    and commit the claim."""
    if kind == "webhook":
        taken = _take(worker, limit, lease_seconds, kind)
        db.session.commit()
        return [ClaimedWebhook(r.id, r.endpoint_id, r.attempts, r.payload) for r in taken
                if r.endpoint_id is not None and r.payload is not None]
    return _claim_pushes(worker, limit, lease_seconds)


@dataclass(frozen=True)
class ClaimedCard:
    job_id: int
    card_id: int
    attempt: int


def claim_cards(worker: str, limit: int, lease_seconds: float, kind: str) -> list[ClaimedCard]:
    """Take up to `limit` due per-card jobs of `kind` (a Google object to PATCH) and commit."""
    taken = _take(worker, limit, lease_seconds, kind)
    db.session.commit()
    return [ClaimedCard(r.id, r.card_id, r.attempts) for r in taken if r.card_id is not None]


def _claim_pushes(worker: str, limit: int, lease_seconds: float) -> list[Claimed]:
    now = utcnow()
    rows = _take(worker, limit, lease_seconds, KIND)
    tokens: dict[int, str] = {}
    if rows:
        tokens = dict(db.session.execute(  # type: ignore[arg-type]
            select(Device.id, Device.push_token).where(Device.id.in_({r.device_id for r in rows}))
        ).all())
        # Spacing is measured from when a push leaves: changes while it is in flight wait their turn.
        db.session.execute(
            update(Registration)
            .where(tuple_(Registration.device_id, Registration.card_id).in_([(r.device_id, r.card_id) for r in rows]))
            .values(last_pushed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return [Claimed(r.id, r.device_id, r.card_id, r.attempts, tokens[r.device_id]) for r in rows if r.device_id in tokens]


def next_due() -> float | None:
    """Seconds until the earliest pending job is due (0 if one is due now), None if none waits."""
    earliest = db.session.scalar(select(func.min(OutboxJob.available_at)).where(OutboxJob.status == "pending"))
    db.session.rollback()
    if earliest is None:
        return None
    return max(0.0, (earliest - utcnow()).total_seconds())


def _mine(worker: str, job_ids: Iterable[int]) -> object:
    return and_(OutboxJob.id.in_(list(job_ids)), OutboxJob.claimed_by == worker, OutboxJob.status == "sending")


def _attempts(jobs: list[Claimed], results: dict[str, PushResult], final_failures: set[int]) -> None:
    rows = []
    for job in jobs:
        result = results[job.push_token]
        outcome = "failed" if job.job_id in final_failures else str(result.outcome)
        rows.append({"device_id": job.device_id, "card_id": job.card_id, "attempt": job.attempt,
                     "status": result.status, "reason": (result.reason or "")[:64] or None, "outcome": outcome,
                     "elapsed_ms": int(result.elapsed_ms), "created_at": utcnow()})
    if rows:
        db.session.execute(insert(PushAttempt), rows)


def _delivered(worker: str, jobs: list[Claimed]) -> None:
    if jobs:
        db.session.execute(delete(OutboxJob).where(_mine(worker, [j.job_id for j in jobs])))


def _retry(worker: str, jobs: list[Claimed], results: dict[str, PushResult]) -> set[int]:
    """Put retryable jobs back with a backoff; returns the ids that ran out of attempts."""
    exhausted: set[int] = set()
    sibling = aliased(OutboxJob)
    now = utcnow()
    for job in jobs:
        delay = retry_delay(results[job.push_token], job.attempt)
        folded = exists().where(sibling.kind == KIND, sibling.status == "pending",
                                sibling.dedupe_key == f"{job.device_id}:{job.card_id}")
        if delay is None:
            exhausted.add(job.job_id)
            db.session.execute(delete(OutboxJob).where(_mine(worker, [job.job_id])))
            continue
        db.session.execute(delete(OutboxJob).where(_mine(worker, [job.job_id]), folded))
        db.session.execute(
            update(OutboxJob).where(_mine(worker, [job.job_id]))
            .values(status="pending", available_at=now + timedelta(seconds=delay), lease_until=None,
                    claimed_by=None, last_error=(results[job.push_token].reason or "no answer")[:200])
            .execution_options(synchronize_session=False)
        )
    return exhausted


def settle(worker: str, jobs: list[Claimed], results: dict[str, PushResult]) -> None:
    """Record what APNs said and act on it, in one transaction."""
    by_outcome: dict[Outcome, list[Claimed]] = {o: [] for o in Outcome}
    for job in jobs:
        by_outcome[results[job.push_token].outcome].append(job)
    exhausted = _retry(worker, by_outcome[Outcome.RETRY], results)
    _attempts(jobs, results, exhausted)
    _delivered(worker, by_outcome[Outcome.DELIVERED])
    failed = [j.job_id for j in by_outcome[Outcome.FAILED]]
    if failed:
        db.session.execute(delete(OutboxJob).where(_mine(worker, failed)))
    gone = {j.device_id for j in by_outcome[Outcome.UNREGISTERED]}
    if gone:  # the token is dead for this topic: the device's registrations go with it
        _removed_from(gone)
        db.session.execute(delete(Device).where(Device.id.in_(gone)))
    db.session.commit()


def _removed_from(device_ids: set[int]) -> None:
    """A `card.removed` event for every card the vanished devices held, before they are deleted."""
    held = db.session.execute(
        select(Registration.device_id, Registration.card_id, Device.platform)
        .join(Device, Device.id == Registration.device_id).where(Registration.device_id.in_(device_ids))
    ).all()
    by_device: dict[tuple[int, str], list[int]] = {}
    for device_id, card_id, platform in held:
        by_device.setdefault((device_id, platform), []).append(card_id)
    for (device_id, platform), card_ids in by_device.items():
        card_moved("removed", card_ids, device_id, platform, reason="device_gone")


def prune_attempts(keep: int) -> None:
    newest = db.session.scalar(select(func.max(PushAttempt.id)))
    if newest is not None and newest > keep:
        db.session.execute(delete(PushAttempt).where(PushAttempt.id <= newest - keep))
    db.session.commit()
