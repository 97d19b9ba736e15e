"""Enrolling a customer: a member, the consent they gave, and their card."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, String, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.digits import digits
from app.events import emit
from app.extensions import db
from app.loyalty.days import today
from app.loyalty.errors import InvalidValue, MemberExists
from app.models import Card, ConsentEvent, Member, Program
from app.models._common import random_token

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")
REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Applicant:
    name: str
    email: str | None  # None only with a phone, for a customer enrolled in person
    phone: str | None = None
    birthday: date | None = None
    terms: bool = False
    marketing: bool = False
    referral_code: str | None = None
    source: str = "api"
    location_id: int | None = None  # the QR location they scanned (the caller checked it is the program's)
    recorded_by_staff_id: int | None = None  # the staff login that asked for consent in person
    enrolment_key: str | None = None  # a dashboard form's one-time key: a second submission finds the member


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InvalidValue("email is not a valid e-mail address", field="email")
    return email


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


CARD_DIGITS = 13


def new_card_number() -> str:
    """13 digits, the last a Luhn check digit so a mistyped number is caught at the till."""
    body = str(secrets.randbelow(9 * 10**11) + 10**11)
    return body + luhn_digit(body)


def is_card_number(text: str) -> bool:
    return digits(text) and len(text) == CARD_DIGITS and luhn_digit(text[:-1]) == text[-1]


def _unique(column: object, make: object) -> str:
    for _ in range(8):
        value = make()  # type: ignore[operator]
        if db.session.scalar(select(column).where(column == value)) is None:  # type: ignore[arg-type]
            return str(value)
    raise RuntimeError("could not draw a unique identifier")


def compact_phone(phone: str) -> str:
    """The digits (and a leading +) of a phone number, however it was grouped when typed."""
    return re.sub(r"[\s()./-]+", "", phone)


def _compact_column() -> ColumnElement[str]:
    column: ColumnElement[str] = Member.phone  # type: ignore[assignment]
    for sign in (" ", "(", ")", ".", "/", "-"):
        column = func.replace(column, sign, "", type_=String)
    return column


def enrolled_member(program: Program, email: str | None, phone: str | None) -> Member | None:
    """The program's current member holding this e-mail address or this phone number, if any."""
    found: list[ColumnElement[bool]] = []
    if email:
        found.append(Member.email == normalize_email(email))
    if phone and compact_phone(phone):
        found.append(_compact_column() == compact_phone(phone))
    if not found:
        return None
    return db.session.scalars(select(Member).where(
        Member.program_id == program.id, Member.erased_at.is_(None), or_(*found)).order_by(Member.id).limit(1)).first()


def enrolled_with_key(program: Program, key: str) -> Member | None:
    """The member a dashboard form with this one-time key enrolled already."""
    return db.session.scalar(select(Member).where(Member.program_id == program.id, Member.enrolment_key == key))


def _check(applicant: Applicant) -> tuple[str, str | None, str | None]:
    name = " ".join(applicant.name.split())
    if not name:
        raise InvalidValue("name must not be empty", field="name")
    if not applicant.terms:
        raise InvalidValue("consent.terms must be true: the terms have to be accepted", field="consent.terms")
    phone = applicant.phone.strip() if applicant.phone else None
    if phone and not PHONE_RE.match(phone):
        raise InvalidValue("phone is not a valid phone number", field="phone")
    if applicant.birthday and not date(1900, 1, 1) <= applicant.birthday <= today():
        raise InvalidValue("birthday must be a past date after 1900", field="birthday")
    if not applicant.email and not phone:
        raise InvalidValue("email or phone is required to reach the member", field="email")
    return name, normalize_email(applicant.email) if applicant.email else None, phone


def _referrer(program: Program, code: str | None) -> Member | None:
    if not code:
        return None
    referrer = db.session.scalar(
        select(Member).where(Member.program_id == program.id, Member.referral_code == code.strip().upper())
    )
    if referrer is None or referrer.erased_at is not None:
        raise InvalidValue("referral_code does not belong to a member of this program", field="referral_code")
    return referrer


def enroll(program: Program, applicant: Applicant) -> Member:
    """Create the member and their card. Flushes; the caller commits."""
    name, email, phone = _check(applicant)
    if email and db.session.scalar(
            select(Member.id).where(Member.program_id == program.id, Member.email == email)) is not None:
        raise MemberExists("a member with this e-mail is already enrolled in the program", field="email")
    referrer = _referrer(program, applicant.referral_code)
    if referrer is not None and phone and referrer.phone == phone:
        referrer = None  # the same person twice: enrolled, but no referral to reward
    version = f"terms-v{program.terms_version}"
    member = Member(
        merchant_id=program.merchant_id,
        program_id=program.id,
        name=name,
        email=email,
        phone=phone,
        birthday=applicant.birthday,
        consent_terms=True,
        consent_marketing=applicant.marketing,
        consent_version=version,
        referral_code=_unique(Member.referral_code, lambda: "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))),
        referred_by_id=referrer.id if referrer else None,
        location_id=applicant.location_id,
        enrolment_key=applicant.enrolment_key,
    )
    member.consents = [
        ConsentEvent(kind=kind, granted=granted, text_version=version, source=applicant.source,
                     recorded_by_staff_id=applicant.recorded_by_staff_id)
        for kind, granted in (("terms", True), ("marketing", applicant.marketing))
    ]
    db.session.add(member)
    try:
        db.session.flush()
    except IntegrityError:  # the same e-mail (or form key) enrolled at the same moment by another request
        raise MemberExists("a member with this e-mail is already enrolled in the program", field="email") from None
    db.session.add(
        Card(
            member_id=member.id,
            program_id=program.id,
            serial_number=_unique(Card.serial_number, lambda: secrets.token_hex(12)),
            card_number=_unique(Card.card_number, new_card_number),
            auth_token=random_token(32),
        )
    )
    db.session.flush()
    _welcome(program, member)
    emit("member.enrolled", program.merchant_id, {"member_id": member.id, "program_id": program.id,
                                                  "source": applicant.source, "referred_by": member.referred_by_id})
    return member


def _welcome(program: Program, member: Member) -> None:
    """The entry tier (one starting at 0 points), and the welcome bonus as a ledger entry."""
    entry = next((t for t in program.tiers if t.min_points <= 0), None)
    if entry is not None:
        member.tier, member.tier_changed_at = entry.name, member.created_at
    if program.welcome_bonus > 0:
        from app.loyalty.ledger import post

        post(member, program.welcome_bonus, kind="bonus", reason="Welcome bonus", idempotency_key=f"welcome:{member.id}")
