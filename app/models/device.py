from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._common import UTCDateTime, utcnow
from app.models.member import Card


class Device(db.Model):
    """A phone's Wallet, known by the library identifier it registers with."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("library_identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_identifier: Mapped[str] = mapped_column(String(128))
    push_token: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(16), default="apple")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Registration(db.Model):
    """A card installed on a device. Removed when the phone unregisters or APNs says it is gone."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("device_id", "card_id"), Index("ix_registrations_card_id", "card_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship()
    card: Mapped[Card] = relationship()


class DeviceLog(db.Model):
    """A message a phone's Wallet posted to /v1/log, with what could be parsed out of it."""

    __tablename__ = "device_logs"
    __table_args__ = (Index("ix_device_logs_serial_number", "serial_number"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    task: Mapped[str | None] = mapped_column(String(32))
    device_library_identifier: Mapped[str | None] = mapped_column(String(128))
    pass_type_identifier: Mapped[str | None] = mapped_column(String(128))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardEvent(db.Model):
    """A card arriving on or leaving a phone, kept for the figures (registrations themselves
    are deleted when a card leaves, so they cannot tell how many left)."""

    __tablename__ = "card_events"
    __table_args__ = (Index("ix_card_events_program_id_kind", "program_id", "kind"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(Integer)  # the device row may be gone: no key
    kind: Mapped[str] = mapped_column(String(10))  # "installed" or "removed"
    reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
