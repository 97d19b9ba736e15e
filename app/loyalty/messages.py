"""Messages sent to a segment: the record kept of each, and what became of their pushes.

Pushes are not tied to a message (a card's pending push folds every change into one), so a
message's outcomes are the push attempts for the program's cards from the moment it was sent
until the next message. Each figure below is one statement, whatever the number of messages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select

from app.extensions import db
from app.models import Card, OutboxJob, PushAttempt, SentMessage

OUTCOMES = ("delivered", "retry", "failed", "unregistered")  # what the push workers record
PENDING_STATUSES = ("pending", "sending")
WEBHOOK_KIND = "webhook"  # outbox rows that are not pushes to a card


@dataclass
class MessageOutcome:
    message: SentMessage
    segment: dict[str, object]
    outcomes: dict[str, int] = field(default_factory=dict)
    pending: int = 0

    @property
    def attempted(self) -> int:
        return sum(self.outcomes.values())


def _windows(program_id: int) -> Subquery:
    """Each message of the program with the time the next one was sent (NULL for the latest)."""
    following = func.lead(SentMessage.created_at).over(order_by=(SentMessage.created_at, SentMessage.id))
    return (
        select(SentMessage.id.label("id"), SentMessage.created_at.label("start"), following.label("until"))
        .where(SentMessage.program_id == program_id)
        .subquery("windows")
    )


def _in_window(windows: Subquery, moment: ColumnElement[Any]) -> ColumnElement[bool]:
    return and_(moment >= windows.c.start, or_(windows.c.until.is_(None), moment < windows.c.until))


def _attempt_counts(program_id: int, ids: list[int]) -> dict[tuple[int, str], int]:
    windows = _windows(program_id)
    rows = db.session.execute(
        select(windows.c.id, PushAttempt.outcome, func.count())
        .select_from(windows)
        .join(PushAttempt, _in_window(windows, PushAttempt.created_at))
        .join(Card, Card.id == PushAttempt.card_id)
        .where(Card.program_id == program_id, windows.c.id.in_(ids))
        .group_by(windows.c.id, PushAttempt.outcome)
    ).all()
    return {(int(message_id), str(outcome)): int(count) for message_id, outcome, count in rows}


def _pending_counts(program_id: int, ids: list[int]) -> dict[int, int]:
    windows = _windows(program_id)
    rows = db.session.execute(
        select(windows.c.id, func.count())
        .select_from(windows)
        .join(OutboxJob, _in_window(windows, OutboxJob.created_at))
        .join(Card, Card.id == OutboxJob.card_id)
        .where(Card.program_id == program_id, windows.c.id.in_(ids),
               OutboxJob.status.in_(PENDING_STATUSES), OutboxJob.kind != WEBHOOK_KIND)
        .group_by(windows.c.id)
    ).all()
    return {int(message_id): int(count) for message_id, count in rows}


def sent_messages(program_id: int, limit: int = 20, offset: int = 0) -> list[MessageOutcome]:
    """The program's messages, newest first, each with its push outcomes and pushes still queued:
    three statements for the whole page."""
    messages = db.session.scalars(
        select(SentMessage).where(SentMessage.program_id == program_id)
        .order_by(SentMessage.created_at.desc(), SentMessage.id.desc()).limit(limit).offset(offset)
    ).all()
    if not messages:
        return []
    ids = [m.id for m in messages]
    attempts = _attempt_counts(program_id, ids)
    pending = _pending_counts(program_id, ids)
    return [
        MessageOutcome(
            message=m, segment=json.loads(m.segment),
            outcomes={o: attempts.get((m.id, o), 0) for o in _outcome_names(m.id, attempts)},
            pending=pending.get(m.id, 0),
        )
        for m in messages
    ]


def _outcome_names(message_id: int, attempts: dict[tuple[int, str], int]) -> list[str]:
    """The usual outcomes in a fixed order, then any other a worker recorded."""
    others = sorted(o for (i, o) in attempts if i == message_id and o not in OUTCOMES)
    return [*OUTCOMES, *others]


def count_sent(program_id: int) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(SentMessage).where(SentMessage.program_id == program_id)
    ) or 0)
