"""Registering, changing, listing and removing a merchant's webhook endpoints; rotating a
secret; queuing a test `ping`.

Functions flush and never commit; the API commits once per request.
"""
from __future__ import annotations

import ipaddress
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from app.events import KIND, envelope
from app.extensions import db
from app.loyalty.errors import InvalidValue, NotFound
from app.models import OutboxJob, WebhookEndpoint
from app.models._common import utcnow
from app.models.webhook import EVENTS
from app.wallet.changes import mark_queued
from app.webhooks.addresses import refusal, resolve
from app.webhooks.delivery import HELD_UNTIL

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


def check_url(url: str, *, production: bool, allow_private: bool) -> str:
    """An absolute http(s) URL; plain http only to a loopback host or outside production, since a
    delivery carries what members do and its signature proves origin, not secrecy. Unless
    `allow_private`, its host must be public (see `check_public`)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue("url must be an absolute http(s) URL", field="url")
    if parts.fragment:
        raise InvalidValue("url must not have a #fragment", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidValue("url has an invalid port", field="url") from None
    if parts.scheme == "http" and production and not is_loopback(parts.hostname):
        raise InvalidValue("url must be https (plain http is accepted only for a loopback host)", field="url")
    if not allow_private:
        check_public(parts.hostname, port)
    return url


def check_public(host: str, port: int) -> None:
    """Refuse a host that is, or resolves to, an address that is not public: the sender would
    otherwise POST into the operator's own network. A name that does not resolve yet is let
    through: every delivery checks the addresses it actually connects to."""
    try:
        addresses = resolve(host, port)
    except UnicodeError:
        raise InvalidValue("url has an invalid host name", field="url") from None
    except OSError:
        return
    reason = refusal(host, addresses)
    if reason is not None:
        raise InvalidValue(f"url: {reason}; webhooks are sent only to public addresses", field="url")


def check_events(events: Sequence[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise InvalidValue(f"events: unknown event {', '.join(unknown)}; known: {', '.join(EVENTS)}", field="events")
    if not events:
        raise InvalidValue("events must name at least one event", field="events")
    return [e for e in EVENTS if e in events]  # a stable order, duplicates dropped


def create_endpoint(merchant_id: int, url: str, events: Sequence[str], *, production: bool,
                    allow_private: bool) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(merchant_id=merchant_id,
                               url=check_url(url, production=production, allow_private=allow_private),
                               events=" ".join(check_events(events)), secret=new_secret(), active=True)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, changes: dict[str, Any], *, production: bool,
                    allow_private: bool) -> WebhookEndpoint:
    """Apply any of `url`, `events`, `active`, all checked before anything changes. Queued
    deliveries follow the endpoint: they go to the new URL, and switching it off holds them,
    unattempted, until it is switched on again (events that happen meanwhile are not queued)."""
    url = endpoint.url
    if "url" in changes:
        url = check_url(changes["url"], production=production, allow_private=allow_private)
    events = " ".join(check_events(changes["events"])) if "events" in changes else endpoint.events
    active = bool(changes.get("active", endpoint.active))
    if active != endpoint.active:
        _hold_deliveries(endpoint.id, held=not active)
    endpoint.url, endpoint.events, endpoint.active = url, events, active
    db.session.flush()
    return endpoint


def _hold_deliveries(endpoint_id: int, *, held: bool) -> None:
    """Park the endpoint's waiting deliveries (switched off), or make them due now (switched on),
    in the order their events happened (the outbox is claimed by `available_at`). One being sent
    at this moment finishes its attempt; one claimed after is parked by the sender."""
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.kind == KIND, OutboxJob.endpoint_id == endpoint_id, OutboxJob.status == "pending")
        .values(available_at=HELD_UNTIL if held else OutboxJob.created_at)
        .execution_options(synchronize_session=False)
    )
    if not held:
        mark_queued(db.session)


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """A new signing secret, in force for every delivery sent from now on; the old one is forgotten."""
    endpoint.secret = new_secret()
    db.session.flush()
    return endpoint.secret


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
                    payload=json.dumps(event, separators=(",", ":"), ensure_ascii=False),
                    available_at=now if endpoint.active else HELD_UNTIL, created_at=now)
    db.session.add(job)
    db.session.flush()
    mark_queued(db.session)
    return job, event
