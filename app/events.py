"""Business events (`member.enrolled`, `transaction.created`, …) for the merchant's webhooks.

`emit` writes one outbox row per subscribed endpoint in the caller's transaction, with the JSON
body fixed at that moment, so an event exists exactly when the change it describes committed.
The push worker delivers them (see app/webhooks).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
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
    return emit_each(event, [(merchant_id, data)])


def emit_each(event: str, items: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """`emit` for many events of one type, each (merchant id, data): one query finds the
    subscribed endpoints and one INSERT queues them all, however many events there are."""
    if not items:
        return 0
    endpoints = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.merchant_id, WebhookEndpoint.events)
        .where(WebhookEndpoint.merchant_id.in_({merchant_id for merchant_id, _ in items}),
               WebhookEndpoint.active.is_(True))
        .order_by(WebhookEndpoint.id)
    ).all()
    subscribed: dict[int, list[int]] = {}
    for endpoint_id, merchant_id, events in endpoints:
        if event in events.split():
            subscribed.setdefault(merchant_id, []).append(endpoint_id)
    now = utcnow()
    rows = []
    for merchant_id, data in items:
        targets = subscribed.get(merchant_id)
        if not targets:
            continue
        body = json.dumps(envelope(event, data), separators=(",", ":"), ensure_ascii=False)
        rows += [{"kind": KIND, "dedupe_key": uuid.uuid4().hex, "endpoint_id": endpoint_id, "payload": body,
                  "status": "pending", "attempts": 0, "available_at": now, "created_at": now}
                 for endpoint_id in targets]
    if not rows:
        return 0
    db.session.execute(insert(OutboxJob), rows)
    mark_queued(db.session)
    return len(rows)


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
