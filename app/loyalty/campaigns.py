"""Campaigns: a multiplier on points earned from money spent, between a start and an end.

Earning applies the best campaign running at the moment of the purchase (app/loyalty/earning.py);
campaigns do not stack, so overlapping ones are allowed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.loyalty.errors import InvalidValue
from app.models import Campaign, Program

MIN_MULTIPLIER = Decimal(1)
MAX_MULTIPLIER = Decimal(10)


def parse_moment(raw: object, field: str) -> datetime:
    """An ISO 8601 date and time with its UTC offset ("Z" or "+02:00"): a campaign starting at
    "9 o'clock" without one would start at a different hour for every reader."""
    hint = f"{field} must be an ISO 8601 date and time with an offset, such as 2025-06-01T09:00:00+02:00"
    if not isinstance(raw, str) or "T" not in raw.upper():
        raise InvalidValue(hint, field=field)
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidValue(hint, field=field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(hint, field=field)
    return moment


def parse_multiplier(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InvalidValue("multiplier must be a decimal such as \"2\" or \"1.5\"", field="multiplier")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidValue("multiplier must be a decimal such as \"2\" or \"1.5\"", field="multiplier") from None
    if not value.is_finite() or not MIN_MULTIPLIER <= value <= MAX_MULTIPLIER:
        raise InvalidValue(f"multiplier must be from {MIN_MULTIPLIER} to {MAX_MULTIPLIER}", field="multiplier")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidValue("multiplier has at most two decimals", field="multiplier")
    return value


def create_campaign(program: Program, fields: Mapping[str, Any]) -> Campaign:
    name = str(fields["name"]).strip()
    if not name:
        raise InvalidValue("name must not be empty", field="name")
    starts_at = parse_moment(fields["starts_at"], "starts_at")
    ends_at = parse_moment(fields["ends_at"], "ends_at")
    if ends_at <= starts_at:
        raise InvalidValue("ends_at must be after starts_at", field="ends_at")
    campaign = Campaign(program_id=program.id, name=name, multiplier=parse_multiplier(fields["multiplier"]),
                        starts_at=starts_at, ends_at=ends_at)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def list_campaigns(program: Program) -> Sequence[Campaign]:
    """The program's campaigns, the latest to start first."""
    return db.session.scalars(
        select(Campaign).where(Campaign.program_id == program.id).order_by(Campaign.starts_at.desc(), Campaign.id.desc())
    ).all()


def delete_campaign(campaign: Campaign) -> None:
    """Points already earned under the campaign stay in the ledger; only future earning changes."""
    db.session.delete(campaign)
    db.session.flush()
