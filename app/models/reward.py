from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._common import UTCDateTime, utcnow
from app.models.member import Member


class Reward(db.Model):
    """Something in a program's catalogue that members redeem points for."""

    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    min_tier: Mapped[str | None] = mapped_column(String(40))
    valid_days: Mapped[int | None] = mapped_column(Integer)  # how long an issued code stays good
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RewardCode(db.Model):
    """A single-use code issued when a member redeems a reward; checked once at the till."""

    __tablename__ = "reward_codes"
    __table_args__ = (UniqueConstraint("code"), Index("ix_reward_codes_member_id", "member_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10), default="issued")  # issued, used, expired, void
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reward: Mapped[Reward] = relationship()
    member: Mapped[Member] = relationship()
