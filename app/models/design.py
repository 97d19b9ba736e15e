from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._common import UTCDateTime, utcnow


class ProgramImage(db.Model):
    """An image the merchant uploaded, stored as the PNG the pass carries at one scale.

    `kind` is logo, icon or strip; `scale` 1, 2 or 3 (logo@2x.png is kind logo, scale 2)."""

    __tablename__ = "program_images"
    __table_args__ = (UniqueConstraint("program_id", "kind", "scale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    scale: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha1: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Location(db.Model):
    """A place the shop puts a QR poster (the till, the window, a second shop).

    `/join/<slug>?at=<code>` records it on the members who join there."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SentMessage(db.Model):
    """A message sent from the dashboard or the API to a segment's cards, kept for its outcomes."""

    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(200))  # the segment as JSON
    recipients: Mapped[int] = mapped_column(Integer)
    cards: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Cards are changed in short batches in id order: "sending" until the last one, then "sent" ("replaced" when a
    # newer message to every card took over first). `through_id` is the last card id (a message to every card) or
    # member id (a segment) done; `recipients` and `cards` count what is done so far.
    status: Mapped[str] = mapped_column(String(10), default="sent", server_default="sent")
    through_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CardSweep(db.Model):
    """A change every card of a program shows (its design, rules, artwork or rewards), worked in short
    committed batches of card ids in order: "sweeping" until the last batch, then "done" ("replaced"
    when a newer sweep of the program took over first). `through_id` is the last card id done and
    `cards` how many were changed so far; both commit with each batch."""

    __tablename__ = "card_sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # design, artwork, rewards
    status: Mapped[str] = mapped_column(String(10), default="sweeping")
    through_id: Mapped[int] = mapped_column(BigInteger, default=0)
    cards: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
