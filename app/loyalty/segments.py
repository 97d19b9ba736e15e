"""Segments of a program's members, and messages sent to them.

A segment is a WHERE clause on `members`: counting it is one statement, whatever its size.
Erased members are never in a segment.

Sending a message changes its cards in short committed batches, in id order, so no card's row
lock (which a till posting a purchase waits for) is held longer than one batch. The message's
record (`sent_messages`) is written first and keeps how far the batches got, in the same
transaction as each batch: a send that stops halfway is finished by `resume_messages` (or the
next message to the program) from where it stopped, and no card is changed twice for it.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, Select, exists, extract, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.loyalty.days import local_date, shop_zone
from app.loyalty.errors import InvalidValue, NotFound
from app.loyalty.programs import set_program_message
from app.models import Card, Member, Program, SentMessage
from app.models._common import utcnow
from app.wallet.changes import among, cards_changed_by_id, member_cards_changed, until_done

log = logging.getLogger(__name__)

TYPES = ("all", "tier", "inactive", "birthday_month", "member")
MAX_MESSAGE = 200
MAX_INACTIVE_DAYS = 3650
BATCH_SIZE = 1000  # cards a message changes per transaction (MESSAGE_BATCH_SIZE in the app's config)
SENDING, SENT, REPLACED = "sending", "sent", "replaced"


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
    message_id: int | None = None  # its record in sent_messages, written by send_message
    status: str = SENT


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
        conditions.append(extract("month", Member.birthday) == local_date(now, shop_zone(program)).month)  # the shop's month
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


def _everyone(segment: Segment) -> bool:
    """A message to every member is the program's own: every card shows it."""
    return segment.type == "all" and not segment.marketing_consent


EVERYONE = json.dumps(Segment().as_json(), separators=(",", ":"), sort_keys=True)


def configured_batch_size() -> int:
    size = current_app.config.get("MESSAGE_BATCH_SIZE") if has_app_context() else None
    return int(size or BATCH_SIZE)


def send_message(program: Program, text: str, segment: Segment, now: datetime | None = None, *,
                 staff_id: int | None = None, batch_size: int | None = None) -> Sent:
    """Show `text` on the cards of the segment and push them. Commits, batch by batch.

    Every member: the program's own message (every card, as before). A narrower segment, or only
    the members who agreed to marketing messages: the members' own message, which their card
    shows while it is newer than the program's.

    The message's record is committed first (with the program's text, for every member), then
    the cards change in batches of `batch_size`, each committed with the record's progress.
    The answer counts what was done once the last batch committed: every card has its version
    bumped and its pushes queued. Anything the caller had pending commits with the record."""
    text = _check_text(text)
    now = now or utcnow()
    program_id = program.id
    message = SentMessage(program_id=program_id, staff_id=staff_id, text=text, status=SENDING, through_id=0,
                          segment=json.dumps(segment.as_json(), separators=(",", ":"), sort_keys=True),
                          recipients=0, cards=0, created_at=now)
    if _everyone(segment):
        set_program_message(program, text, now)
        message.recipients = count_recipients(program, segment, now)
    db.session.add(message)
    db.session.commit()
    sent = finish_message(message.id, batch_size)
    try:
        resume_messages(program_id, batch_size)  # an older send that stopped halfway ends too
    except SQLAlchemyError:  # this message is sent; the older one stays on record for `resume-messages`
        db.session.rollback()
        log.exception("an unfinished message of program %s could not be resumed", program_id)
    return sent


def resume_messages(program_id: int | None = None, batch_size: int | None = None) -> list[Sent]:
    """Finish every message (of one program, or of all) whose batches stopped halfway, oldest first."""
    query = select(SentMessage.id).where(SentMessage.status == SENDING).order_by(SentMessage.id)
    if program_id is not None:
        query = query.where(SentMessage.program_id == program_id)
    unfinished = db.session.scalars(query).all()
    db.session.rollback()
    return [finish_message(message_id, batch_size) for message_id in unfinished]


def finish_message(message_id: int, batch_size: int | None = None) -> Sent:
    """Work the message's batches until none is left; safe to run again, or from two processes at once."""
    size = batch_size or configured_batch_size()
    until_done(lambda: _batch(message_id, size))
    row = db.session.get_one(SentMessage, message_id, populate_existing=True)
    sent = Sent(text=row.text, recipients=row.recipients, cards=row.cards, message_id=row.id, status=row.status)
    db.session.commit()
    return sent


def _batch(message_id: int, size: int) -> bool:
    """Change the next `size` cards of the message and commit with its progress; True when it is done."""
    # Taking the record's row first: two runs of one message take turns, and each reads where the other stopped.
    taken = db.session.execute(
        update(SentMessage).where(SentMessage.id == message_id, SentMessage.status == SENDING)
        .values(status=SENDING)
        .returning(SentMessage.program_id, SentMessage.segment, SentMessage.text, SentMessage.through_id,
                   SentMessage.created_at)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if taken is None:  # done already (by another run)
        db.session.rollback()
        return True
    program_id, raw, text, through, now = taken
    segment = Segment(**json.loads(raw))
    if _replaced(program_id, message_id):
        return _close(message_id, REPLACED)
    if _everyone(segment):
        ids = _next_cards(program_id, through, size)
        cards, recipients = cards_changed_by_id(ids), 0
    else:
        ids = _next_members(db.session.get_one(Program, program_id), segment, now, through, size)
        cards, recipients = member_cards_changed(ids), len(ids)  # card rows first, as the till takes them
        if ids:
            db.session.execute(
                update(Member).where(among(Member.id, ids)).values(message=text, message_at=now)
                .execution_options(synchronize_session=False)
            )
    done = len(ids) < size
    db.session.execute(
        update(SentMessage).where(SentMessage.id == message_id)
        .values(through_id=ids[-1] if ids else through, cards=SentMessage.cards + cards,
                recipients=SentMessage.recipients + recipients, status=SENT if done else SENDING)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the cards are stamped and their pushes queued with it
    return done


def _replaced(program_id: int, message_id: int) -> bool:
    """A newer message to every member came after this one: its text is what the remaining cards show."""
    newer = exists().where(SentMessage.program_id == program_id, SentMessage.id > message_id,
                           SentMessage.segment == EVERYONE)
    return bool(db.session.scalar(select(newer)))


def _close(message_id: int, status: str) -> bool:
    db.session.execute(update(SentMessage).where(SentMessage.id == message_id).values(status=status)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return True


def _next_cards(program_id: int, after: int, size: int) -> Sequence[int]:
    return db.session.scalars(
        select(Card.id).where(Card.program_id == program_id, Card.id > after).order_by(Card.id).limit(size)
    ).all()


def _next_members(program: Program, segment: Segment, now: datetime, after: int, size: int) -> Sequence[int]:
    """The next members of the segment, its dates counted from when the message was sent, leaving
    out anyone whose own message is newer than this one (a later message reached them first)."""
    return db.session.scalars(
        select(Member.id).where(*_conditions(program, segment, now), Member.id > after,
                                or_(Member.message_at.is_(None), Member.message_at <= now))
        .order_by(Member.id).limit(size)
    ).all()
