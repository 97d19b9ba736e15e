from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.loyalty.idempotency import KEY_COLUMN_WIDTH
from app.models._common import UTCDateTime, utcnow
from app.models.member import Member


class LedgerEntry(db.Model):
    """One movement of points. Rows are only ever added; a balance is the sum of a member's rows.

    `balance_after` and `tier_after` record what the member had once this row was written, so an
    idempotent replay answers exactly what the first request answered.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key"),
        CheckConstraint("points <> 0", name="points_nonzero"),
        Index("ix_ledger_entries_member_id_id", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # money spent, when points came from it
    reason: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(KEY_COLUMN_WIDTH))  # app/loyalty/idempotency.py
    balance_after: Mapped[int] = mapped_column(Integer)
    tier_after: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
