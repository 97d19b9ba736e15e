"""Business events (`member.enrolled`, `transaction.created`, …) for the merchant's webhooks.

`emit` writes one outbox row per subscribed endpoint in the caller's transaction, with the JSON
body fixed at that moment, so an event exists exactly when the change it describes committed.
The push worker delivers them (see app/webhooks).
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxJob, WebhookEndpoint
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
