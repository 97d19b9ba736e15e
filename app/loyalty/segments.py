"""Segments of a program's members, and messages sent to them.

A segment is a WHERE clause on `members`: counting it, writing the message and bumping the cards
are each one statement, whatever the segment's size. Erased members are never in a segment.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, extract, func, select, update

from app.extensions import db
from app.loyalty.errors import InvalidValue, NotFound
from app.loyalty.programs import post_message
from app.models import Member, Program
from app.models._common import utcnow
from app.wallet.changes import cards_changed

TYPES = ("all", "tier", "inactive", "birthday_month", "member")
MAX_MESSAGE = 200
MAX_INACTIVE_DAYS = 3650


class MemberNotFound(NotFound):
    code = "member_not_found"


@dataclass(frozen=True)
class Segment:
    type: str = "all"
    tier: str | None = None
    days: int | None = None
    member_id: int | None = None
    marketing_consent: bool = False  # only members who agreed to marketing messages

    def as_json(self) -> dict[str, Any]:
        extra = {"tier": self.tier, "days": self.days, "member_id": self.member_id,
                 "marketing_consent": True if self.marketing_consent else None}
        return {"type": self.type, **{k: v for k, v in extra.items() if v is not None}}


@dataclass(frozen=True)
class Sent:
    text: str
    recipients: int
    cards: int


def _whole(raw: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(f"segment.{name} must be a whole number from {low} to {high}", field=f"segment.{name}")
    return value


def parse_segment(program: Program, raw: Mapping[str, Any] | None) -> Segment:
    """The segment a request names (none: every member), checked against the program."""
    if raw is None:
        return Segment()
    consent = raw.get("marketing_consent", False)
    if not isinstance(consent, bool):
        raise InvalidValue("segment.marketing_consent must be true or false", field="segment.marketing_consent")
    return replace(_parse_kind(program, raw), marketing_consent=consent)


def _parse_kind(program: Program, raw: Mapping[str, Any]) -> Segment:
    kind = raw.get("type")
    if kind not in TYPES:
        raise InvalidValue(f"segment.type must be one of {', '.join(TYPES)}", field="segment.type")
    if kind == "tier":
        names = [t.name for t in program.tiers]
        if raw.get("tier") not in names:
            listed = ", ".join(names) or "none"
            raise InvalidValue(f"segment.tier must be a tier of the program ({listed})", field="segment.tier")
        return Segment("tier", tier=str(raw["tier"]))
    if kind == "inactive":
        return Segment("inactive", days=_whole(raw, "days", 1, MAX_INACTIVE_DAYS))
    if kind == "member":
        member_id = _whole(raw, "member_id", 1, 2**63 - 1)
        if db.session.scalar(select(Member.id).where(Member.id == member_id, Member.program_id == program.id)) is None:
            raise MemberNotFound(f"segment.member_id: there is no member {member_id} in this program",
                                 field="segment.member_id")
        return Segment("member", member_id=member_id)
    return Segment(str(kind))


def _conditions(program: Program, segment: Segment, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Member.program_id == program.id, Member.erased_at.is_(None)]
    if segment.type == "tier":
        conditions.append(Member.tier == segment.tier)
    elif segment.type == "inactive":
        # A member who never came back counts from the day they enrolled.
        last_seen = func.coalesce(Member.last_activity_at, Member.created_at)
        conditions.append(last_seen < now - timedelta(days=segment.days or 0))
    elif segment.type == "birthday_month":
        conditions.append(extract("month", Member.birthday) == now.month)
    elif segment.type == "member":
        conditions.append(Member.id == segment.member_id)
    if segment.marketing_consent:
        conditions.append(Member.consent_marketing.is_(True))
    return conditions


def segment_members(program: Program, segment: Segment, now: datetime | None = None) -> Select[Any]:
    """SELECT of the ids of the segment's members (for IN clauses; never fetched row by row)."""
    return select(Member.id).where(*_conditions(program, segment, now or utcnow()))


def count_recipients(program: Program, segment: Segment, now: datetime | None = None) -> int:
    ids = segment_members(program, segment, now).subquery()
    return int(db.session.scalar(select(func.count()).select_from(ids)) or 0)


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidValue("text must not be empty", field="text")
    if len(text) > MAX_MESSAGE:
        raise InvalidValue(f"text must be at most {MAX_MESSAGE} characters", field="text")
    return text


def send_message(program: Program, text: str, segment: Segment, now: datetime | None = None) -> Sent:
    """Show `text` on the cards of the segment and push them. Flushes; the caller commits.

    Every member: the program's own message (every card, as before). A narrower segment, or only
    the members who agreed to marketing messages: the members' own message, which their card
    shows while it is newer than the program's."""
    text = _check_text(text)
    now = now or utcnow()
    if segment.type == "all" and not segment.marketing_consent:
        recipients = count_recipients(program, segment, now)
        return Sent(text=text, recipients=recipients, cards=post_message(program, text))
    conditions = _conditions(program, segment, now)
    written = db.session.execute(
        update(Member).where(*conditions).values(message=text, message_at=now)
        .execution_options(synchronize_session=False)
    )
    # The same conditions select the same members at commit: nothing they test changes here.
    cards = cards_changed(select(Member.id).where(*conditions))
    return Sent(text=text, recipients=int(written.rowcount), cards=cards)  # type: ignore[attr-defined]
