from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._common import UTCDateTime, utcnow
from app.models.merchant import Merchant


class Program(db.Model):
    """A merchant's loyalty program: what every card of it looks like and says."""

    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(64))
    organization_name: Mapped[str] = mapped_column(String(80))
    points_label: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(2), default="it")
    background_color: Mapped[str] = mapped_column(String(7))
    foreground_color: Mapped[str] = mapped_column(String(7))
    label_color: Mapped[str] = mapped_column(String(7))
    terms: Mapped[str] = mapped_column(Text, default="")
    terms_version: Mapped[int] = mapped_column(Integer, default=1)
    contact: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str | None] = mapped_column(String(200))
    message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(8), default="points")  # "points" or "stamps"
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    earn_rate: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(1))  # points per currency unit
    rounding: Mapped[str] = mapped_column(String(8), default="down")  # "down", "nearest" or "up"
    welcome_bonus: Mapped[int] = mapped_column(Integer, default=0)
    birthday_bonus: Mapped[int] = mapped_column(Integer, default=0)
    tier_basis: Mapped[str] = mapped_column(String(8), default="lifetime")  # or "rolling"
    tier_window_days: Mapped[int | None] = mapped_column(Integer)
    downgrade_policy: Mapped[str] = mapped_column(String(10), default="never")  # or "scheduled"
    downgrade_grace_days: Mapped[int] = mapped_column(Integer, default=0)
    stamps_required: Mapped[int | None] = mapped_column(Integer)
    stamp_reward: Mapped[str | None] = mapped_column(String(80))
    expiry_policy: Mapped[str] = mapped_column(String(12), default="never")  # "inactivity", "fixed_date"
    expiry_days: Mapped[int | None] = mapped_column(Integer)
    expiry_date: Mapped[str | None] = mapped_column(String(5))  # "MM-DD", every year
    expiry_warning_days: Mapped[int] = mapped_column(Integer, default=30)
    referrer_bonus: Mapped[int] = mapped_column(Integer, default=0)
    referee_bonus: Mapped[int] = mapped_column(Integer, default=0)
    referral_monthly_limit: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant: Mapped[Merchant] = relationship()
    tiers: Mapped[list[Tier]] = relationship(
        back_populates="program", order_by="Tier.min_points", cascade="all, delete-orphan"
    )


class Tier(db.Model):
    """A status level reached once the member's earned points pass `min_points`."""

    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("program_id", "name"), UniqueConstraint("program_id", "min_points"))

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    min_points: Mapped[int] = mapped_column(Integer)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(1))
    background_color: Mapped[str | None] = mapped_column(String(7))
    foreground_color: Mapped[str | None] = mapped_column(String(7))
    label_color: Mapped[str | None] = mapped_column(String(7))

    program: Mapped[Program] = relationship(back_populates="tiers")


class Campaign(db.Model):
    """A limited-time earning multiplier (double points at the weekend)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    multiplier: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
