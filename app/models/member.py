from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._common import UTCDateTime, utcnow
from app.models.merchant import StaffUser
from app.models.program import Program


class Member(db.Model):
    """A customer enrolled in one program. Consent flags mirror the latest ConsentEvent."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("program_id", "email"),
        UniqueConstraint("referral_code"),
        UniqueConstraint("enrolment_key"),
        Index("ix_members_program_id_created_at", "program_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))  # None: enrolled at the till with a phone only
    phone: Mapped[str | None] = mapped_column(String(32))
    birthday: Mapped[date | None] = mapped_column(Date)
    consent_terms: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str] = mapped_column(String(32))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    referral_code: Mapped[str] = mapped_column(String(16))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    referral_rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier: Mapped[str | None] = mapped_column(String(40))  # the status held now (upgrades at once)
    tier_locked: Mapped[bool] = mapped_column(Boolean, default=False)  # set by hand, kept as is
    tier_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    message: Mapped[str | None] = mapped_column(String(200))  # a message for this member's card only
    message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"), index=True)
    # The one-time key of the dashboard form that enrolled them: a second submission finds this member.
    enrolment_key: Mapped[str | None] = mapped_column(String(40))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("member_imports.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship()
    card: Mapped[Card] = relationship(back_populates="member", uselist=False)
    consents: Mapped[list[ConsentEvent]] = relationship(
        back_populates="member", order_by="ConsentEvent.id", cascade="all, delete-orphan"
    )



class ConsentEvent(db.Model):
    """Every consent given or withdrawn, with the version of the text the member agreed to."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # join, api, import, till, dashboard...
    # The staff login that recorded consent given in person (at the till or on the members page).
    recorded_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(back_populates="consents")
    recorded_by: Mapped[StaffUser | None] = relationship()


class Card(db.Model):
    """The wallet card of a member. `version` grows with every change that the pass shows."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("serial_number"),
        UniqueConstraint("card_number"),
        UniqueConstraint("member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    serial_number: Mapped[str] = mapped_column(String(40))
    card_number: Mapped[str] = mapped_column(String(20))
    auth_token: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    modified_at: Mapped[int] = mapped_column(BigInteger, default=lambda: int(utcnow().timestamp()))
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(back_populates="card")
    program: Mapped[Program] = relationship()
