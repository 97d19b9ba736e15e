from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._common import UTCDateTime, utcnow

BIGINT = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER keys


class OutboxJob(db.Model):
    """Something a device (or later a Google object) must hear of, written in the same
    transaction as the change. At most one pending job per key: later changes fold into it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "uq_outbox_pending_key", "kind", "dedupe_key", unique=True,
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_status_available_at", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    payload: Mapped[str | None] = mapped_column(Text)  # a webhook's JSON body, fixed when the event happened
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushAttempt(db.Model):
    """The outcome of one push attempt, kept for the dashboard (pruned to a bounded history)."""

    __tablename__ = "push_attempts"
    __table_args__ = (Index("ix_push_attempts_card_id", "card_id"), Index("ix_push_attempts_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeCounter(db.Model):
    """One row. Taken last in every transaction that changes cards, so the numbers it hands out
    follow commit order: the "what changed" tag never skips a change committed late."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
