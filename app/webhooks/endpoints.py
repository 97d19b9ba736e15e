"""Registering, listing and removing a merchant's webhook endpoints; queuing a test `ping`.

Functions flush and never commit; the API commits once per request.
"""
from __future__ import annotations

import ipaddress
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.events import KIND, envelope
from app.extensions import db
from app.loyalty.errors import InvalidValue, NotFound
from app.models import OutboxJob, WebhookEndpoint
from app.models._common import utcnow
from app.models.webhook import EVENTS
from app.wallet.changes import mark_queued

SECRET_PREFIX = "whsec_"
PING = "ping"


class EndpointNotFound(NotFound):
    code = "webhook_not_found"


@dataclass(frozen=True)
class Backlog:
    pending: int
    failed: int


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, production: bool) -> str:
    """An absolute http(s) URL; plain http only to a loopback host or outside production, since a
    delivery carries what members do and its signature proves origin, not secrecy."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue("url must be an absolute http(s) URL", field="url")
    if parts.fragment:
        raise InvalidValue("url must not have a #fragment", field="url")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        raise InvalidValue("url has an invalid port", field="url") from None
    if parts.scheme == "http" and production and not is_loopback(parts.hostname):
        raise InvalidValue("url must be https (plain http is accepted only for a loopback host)", field="url")
    return url


def check_events(events: Sequence[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise InvalidValue(f"events: unknown event {', '.join(unknown)}; known: {', '.join(EVENTS)}", field="events")
    if not events:
        raise InvalidValue("events must name at least one event", field="events")
    return [e for e in EVENTS if e in events]  # a stable order, duplicates dropped


def create_endpoint(merchant_id: int, url: str, events: Sequence[str], *, production: bool) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(merchant_id=merchant_id, url=check_url(url, production=production),
                               events=" ".join(check_events(events)), secret=new_secret(), active=True)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def merchant_endpoint(merchant_id: int, endpoint_id: int) -> WebhookEndpoint:
    """The merchant's endpoint; another merchant's is not found, like a missing one."""
    endpoint = db.session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.merchant_id == merchant_id)
    )
    if endpoint is None:
        raise EndpointNotFound(f"there is no webhook endpoint {endpoint_id}", field="id")
    return endpoint


def list_endpoints(merchant_id: int) -> list[WebhookEndpoint]:
    return list(db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id).order_by(WebhookEndpoint.id)
    ))


def backlogs(endpoint_ids: Sequence[int]) -> dict[int, Backlog]:
    """Deliveries waiting and deliveries given up on, per endpoint, in one grouped query."""
    counts: dict[int, dict[str, int]] = {i: {} for i in endpoint_ids}
    if endpoint_ids:
        rows = db.session.execute(
            select(OutboxJob.endpoint_id, OutboxJob.status, func.count())
            .where(OutboxJob.kind == KIND, OutboxJob.endpoint_id.in_(list(endpoint_ids)))
            .group_by(OutboxJob.endpoint_id, OutboxJob.status)
        ).all()
        for endpoint_id, status, count in rows:
            if endpoint_id is not None:
                counts[endpoint_id][status] = int(count)
    return {i: Backlog(pending=c.get("pending", 0) + c.get("sending", 0), failed=c.get("failed", 0))
            for i, c in counts.items()}


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Its queued and failed deliveries go with it (the outbox rows cascade)."""
    db.session.delete(endpoint)
    db.session.flush()


def queue_ping(endpoint: WebhookEndpoint) -> tuple[OutboxJob, dict[str, object]]:
    """A `ping` event for this endpoint only, whatever it subscribed to: a way to check the
    receiving side and its signature check before real events flow."""
    event = envelope(PING, {"endpoint_id": endpoint.id})
    now = utcnow()
    job = OutboxJob(kind=KIND, dedupe_key=uuid.uuid4().hex, endpoint_id=endpoint.id, status="pending", attempts=0,
                    payload=json.dumps(event, separators=(",", ":"), ensure_ascii=False), available_at=now,
                    created_at=now)
    db.session.add(job)
    db.session.flush()
    mark_queued(db.session)
    return job, event
