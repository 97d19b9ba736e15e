"""Business events (`member.enrolled`, `transaction.created`, …) for the merchant's webhooks.

`emit` writes one outbox row per subscribed endpoint in the caller's transaction, with the JSON
body fixed at that moment, so an event exists exactly when the change it describes committed.
The push worker delivers them (see app/webhooks).
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import insert, select

from app.extensions import db
from app.models import Card, CardEvent, Member, OutboxJob, WebhookEndpoint
from app.models._common import utcnow
from app.wallet.changes import mark_queued

KIND = "webhook"


def envelope(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"evt_{uuid.uuid4().hex}", "type": event,
            "created_at": utcnow().isoformat().replace("+00:00", "Z"), "data": data}


def emit(event: str, merchant_id: int, data: dict[str, Any]) -> int:
    """Queue `event` for every active endpoint of the merchant that subscribed to it."""
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.active.is_(True))
    ).all()
    subscribed = [e for e in endpoints if event in e.events.split()]
    if not subscribed:
        return 0
    body = json.dumps(envelope(event, data), separators=(",", ":"), ensure_ascii=False)
    now = utcnow()
    for endpoint in subscribed:
        db.session.add(OutboxJob(kind=KIND, dedupe_key=uuid.uuid4().hex, endpoint_id=endpoint.id, payload=body,
                                 status="pending", attempts=0, available_at=now, created_at=now))
    mark_queued(db.session)
    return len(subscribed)


def card_moved(kind: str, card_ids: list[int], device_id: int | None, platform: str, reason: str | None = None) -> None:
    """Cards installed on or removed from a device: kept for the figures, told to the webhooks."""
    if not card_ids:
        return
    rows = db.session.execute(
        select(Card.id, Member.id, Member.program_id, Member.merchant_id).join(Member, Member.id == Card.member_id)
        .where(Card.id.in_(card_ids))
    ).all()
    now = utcnow()
    db.session.execute(insert(CardEvent), [
        {"program_id": program_id, "card_id": card_id, "device_id": device_id, "kind": kind, "reason": reason,
         "created_at": now} for card_id, _, program_id, _ in rows])
    extra = {"reason": reason} if reason else {}
    for card_id, member_id, program_id, merchant_id in rows:
        emit(f"card.{kind}", merchant_id, {"member_id": member_id, "program_id": program_id, "card_id": card_id,
                                           "device_id": device_id, "platform": platform, **extra})
