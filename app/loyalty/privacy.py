"""A member's rights over their data: a full export, erasure, and recorded consent changes.

Erasure removes what identifies the person and keeps what the merchant's figures need: the
ledger rows stay (balances, points issued and redeemed stay right), the member row stays as
"Erased member" with a placeholder e-mail, and the card is voided so the phone shows it void.
Functions flush and never commit.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update

from app.extensions import db
from app.loyalty.days import local_date
from app.loyalty.errors import Conflict
from app.loyalty.rewards import effective_status
from app.models import (
    Card,
    ConsentEvent,
    Device,
    LedgerEntry,
    Member,
    PushAttempt,
    Registration,
    Reward,
    RewardCode,
)
from app.models._common import utcnow
from app.wallet.changes import card_changed

ERASED_NAME = "Erased member"


class MemberErased(Conflict):
    code = "member_erased"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def terms_version(member: Member) -> str:
    return f"terms-v{member.program.terms_version}"


def ensure_not_erased(member: Member) -> None:
    if member.erased_at is not None:
        raise MemberErased(f"member {member.id} was erased on {local_date(member.erased_at).isoformat()}", field="member_id")


def record_consent(member: Member, *, marketing: bool, source: str = "api", now: datetime | None = None) -> ConsentEvent:
    """Marketing consent given or withdrawn, stamped with the time and the terms text in force."""
    ensure_not_erased(member)
    now = now or utcnow()
    version = terms_version(member)
    event = ConsentEvent(kind="marketing", granted=marketing, text_version=version, source=source, created_at=now)
    member.consents.append(event)
    member.consent_marketing = marketing
    member.consent_version = version
    member.consent_at = now
    db.session.flush()
    return event


def erase_member(member: Member, *, source: str = "api", now: datetime | None = None) -> None:
    """Remove the person from the member row and void the card; a second erasure is refused.

    The placeholder e-mail `erased-<id>@invalid` keeps the program's unique e-mail constraint,
    and a fresh random referral code stops the old one (which the person may have shared) from
    attributing new members to nobody. Device registrations are removed once each phone has
    been told (see app/passkit/views.py), so the push that voids the card still reaches it.
    """
    ensure_not_erased(member)
    now = now or utcnow()
    version = terms_version(member)
    member.name = ERASED_NAME
    member.email = f"erased-{member.id}@invalid"
    member.phone = None
    member.birthday = None
    member.referred_by_id = None
    member.referral_code = secrets.token_hex(8).upper()
    member.message = None
    member.message_at = None
    member.consent_terms = False
    member.consent_marketing = False
    member.consent_version = version
    member.consent_at = now
    member.consents.append(ConsentEvent(kind="erasure", granted=False, text_version=version, source=source,
                                        created_at=now))
    member.erased_at = now
    # Open codes only: one past its date stays expired, as it reads whether or not the codes job ran.
    db.session.execute(update(RewardCode).where(RewardCode.member_id == member.id, RewardCode.status == "issued",
                                                or_(RewardCode.expires_at.is_(None), RewardCode.expires_at > now))
                       .values(status="void").execution_options(synchronize_session=False))
    db.session.execute(update(Card).where(Card.member_id == member.id).values(voided=True)
                       .execution_options(synchronize_session="fetch"))
    card_changed(member.id)  # the pass turns void on the phone at commit
    db.session.flush()


def _amount(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


def _profile(member: Member) -> dict[str, Any]:
    return {
        "id": member.id, "program_id": member.program_id, "name": member.name, "email": member.email,
        "phone": member.phone, "birthday": member.birthday.isoformat() if member.birthday else None,
        "consent": {"terms": member.consent_terms, "marketing": member.consent_marketing,
                    "version": member.consent_version, "at": _iso(member.consent_at)},
        "referral_code": member.referral_code, "referred_by": member.referred_by_id,
        "tier": member.tier, "tier_locked": member.tier_locked, "tier_changed_at": _iso(member.tier_changed_at),
        "message": member.message, "last_activity_at": _iso(member.last_activity_at),
        "created_at": _iso(member.created_at), "erased_at": _iso(member.erased_at),
    }


def _ledger(member_id: int) -> list[dict[str, Any]]:
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id).order_by(LedgerEntry.id))
    return [{"id": e.id, "kind": e.kind, "points": e.points, "amount": _amount(e.amount), "reason": e.reason,
             "balance": e.balance_after, "tier": e.tier_after, "created_at": _iso(e.created_at)} for e in entries]


def _devices(card_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Device.id, Device.library_identifier, Device.platform, Registration.created_at,
               Registration.last_pushed_at)
        .join(Registration, Registration.device_id == Device.id).where(Registration.card_id == card_id)
        .order_by(Registration.id)
    ).all()
    return [{"device_id": r[0], "library_identifier": r[1], "platform": r[2], "registered_at": _iso(r[3]),
             "last_pushed_at": _iso(r[4])} for r in rows]


def _reward_codes(member_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(RewardCode, Reward.name).join(Reward, Reward.id == RewardCode.reward_id)
        .where(RewardCode.member_id == member_id).order_by(RewardCode.id)
    ).all()
    return [{"code": c.code, "reward": name, "status": effective_status(c), "issued_at": _iso(c.issued_at),
             "expires_at": _iso(c.expires_at), "used_at": _iso(c.used_at)} for c, name in rows]


def _push_attempts(card_id: int) -> list[dict[str, Any]]:
    attempts = db.session.scalars(select(PushAttempt).where(PushAttempt.card_id == card_id).order_by(PushAttempt.id))
    return [{"device_id": a.device_id, "attempt": a.attempt, "status": a.status, "reason": a.reason,
             "outcome": a.outcome, "created_at": _iso(a.created_at)} for a in attempts]


def export_member(member: Member) -> dict[str, Any]:
    """Everything kept about the member, as plain JSON values. The devices' push tokens are left
    out: they address Apple's push service, they say nothing about the person."""
    card = member.card
    program = member.program
    return {
        "exported_at": _iso(utcnow()),
        "member": _profile(member),
        "program": {"id": program.id, "name": program.name, "organization_name": program.organization_name},
        "consents": [{"kind": c.kind, "granted": c.granted, "text_version": c.text_version, "source": c.source,
                      "at": _iso(c.created_at)} for c in member.consents],
        "ledger": _ledger(member.id),
        "cards": [{"serial_number": card.serial_number, "card_number": card.card_number, "voided": card.voided,
                   "version": card.version, "created_at": _iso(card.created_at), "updated_at": _iso(card.updated_at)}],
        "devices": _devices(card.id),
        "reward_codes": _reward_codes(member.id),
        "push_attempts": _push_attempts(card.id),
        "referred_members": list(db.session.scalars(
            select(Member.id).where(Member.referred_by_id == member.id).order_by(Member.id))),
    }
