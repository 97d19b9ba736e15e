"""Everything a member's page shows, gathered with a fixed number of queries."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.ledger import Totals, current_tier, totals
from app.loyalty.rewards import codes_of, effective_status
from app.models import (
    CardEvent,
    ConsentEvent,
    Device,
    LedgerEntry,
    Location,
    Member,
    PushAttempt,
    Registration,
    RewardCode,
)

LEDGER_PAGE = 25
HISTORY = 50  # push attempts and wallet events shown, newest first


@dataclass(frozen=True)
class DeviceRow:
    platform: str
    installed_at: datetime
    last_pushed_at: datetime | None


@dataclass(frozen=True)
class CodeRow:
    code: RewardCode
    status: str


@dataclass(frozen=True)
class MemberDetails:
    totals: Totals
    tier: str | None
    location: str | None
    referred_by: Member | None
    consents: Sequence[ConsentEvent]
    ledger: Sequence[LedgerEntry]
    ledger_page: int
    ledger_pages: int
    codes: list[CodeRow]
    devices: list[DeviceRow]
    pushes: Sequence[PushAttempt]
    wallet_events: Sequence[CardEvent]


def _ledger(member_id: int, page: int) -> tuple[Sequence[LedgerEntry], int, int]:
    count = int(db.session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.member_id == member_id)) or 0)
    pages = max(1, -(-count // LEDGER_PAGE))
    page = min(page, pages)
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member_id)
        .order_by(LedgerEntry.id.desc()).limit(LEDGER_PAGE).offset((page - 1) * LEDGER_PAGE)
    ).all()
    return entries, page, pages


def _devices(card_id: int) -> list[DeviceRow]:
    rows = db.session.execute(
        select(Device.platform, Registration.created_at, Registration.last_pushed_at)
        .join(Registration, Registration.device_id == Device.id)
        .where(Registration.card_id == card_id).order_by(Registration.id)
    ).all()
    return [DeviceRow(platform, installed, pushed) for platform, installed, pushed in rows]


def _location(member: Member) -> str | None:
    if member.location_id is None:
        return None
    return db.session.scalar(select(Location.name).where(Location.id == member.location_id))


def member_details(member: Member, ledger_page: int = 1) -> MemberDetails:
    card = member.card
    sums = totals(member.id)
    entries, page, pages = _ledger(member.id, ledger_page)
    consents = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member.id).order_by(ConsentEvent.id.desc())).all()
    pushes = db.session.scalars(
        select(PushAttempt).where(PushAttempt.card_id == card.id).order_by(PushAttempt.id.desc()).limit(HISTORY)).all()
    events = db.session.scalars(
        select(CardEvent).where(CardEvent.card_id == card.id).order_by(CardEvent.id.desc()).limit(HISTORY)).all()
    referrer = db.session.get(Member, member.referred_by_id) if member.referred_by_id else None
    return MemberDetails(
        totals=sums, tier=current_tier(member, sums.earned), location=_location(member), referred_by=referrer,
        consents=consents, ledger=entries, ledger_page=page, ledger_pages=pages,
        codes=[CodeRow(c, effective_status(c)) for c in codes_of(member)],
        devices=_devices(card.id), pushes=pushes, wallet_events=events,
    )
