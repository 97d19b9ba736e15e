"""Mark cards as changed; at commit, stamp them and queue a push for every device holding them.

A change bumps the card's version at once (which also takes the card's row lock, serialising
ledger writes for a member). Just before the transaction commits, the cards changed in it get:
- a `change_seq` from the single-row counter, taken last so the numbers follow commit order and
  the "what changed" tag never skips a change that committed late;
- a `modified_at` (epoch seconds) that always moves forward, even for two changes in one second,
  so `If-Modified-Since` never hides the newer pass;
- one outbox job per registered device, folded into a job already pending for that device and
  card, available no sooner than PUSH_MIN_INTERVAL after the last push so bursts coalesce.
All of it commits or rolls back with the change itself.

A change to many cards at once (a message to 100,000 members, a program's new design: see
`app.wallet.sweeps`) comes in short batches of ids
(`cards_changed_by_id`, `member_cards_changed`), each committed on its own by its caller, so no
card's row lock, which a till posting a purchase waits for, is held longer than one batch. A
batch takes its cards' row locks at once (in id order) and bumps their versions in the stamping
statement, so each card is written once; the commit-time work above is one statement each per
batch, whatever the batch's size.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    BigInteger, String, any_, bindparam, case, cast, event, func, insert, literal, select, text, update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Card, CardEvent, ChangeCounter, OutboxJob, Registration
from app.models._common import UTCDateTime, utcnow

CARDS_KEY = "tessera.changed_cards"
LOCKED_KEY = "tessera.locked_cards"  # locked now, their version bumped with the stamp at commit
QUEUED_KEY = "tessera.outbox_queued"
NOTIFIED_KEY = "tessera.outbox_notified"
DEFAULT_MIN_INTERVAL = 1.0

_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def on_outbox_commit(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after any commit that queued outbox jobs (wakes the embedded worker)."""
    with _listeners_lock:
        _listeners.append(callback)
    return lambda: _remove_listener(callback)


def _remove_listener(callback: Callable[[], None]) -> None:
    with _listeners_lock:
        if callback in _listeners:
            _listeners.remove(callback)


def mark_queued(session: Session) -> None:
    """Outbox rows were added in this transaction: wake the workers once it commits."""
    session.info[QUEUED_KEY] = True
    if session.get_bind().dialect.name == "postgresql" and not session.info.get(NOTIFIED_KEY):
        session.execute(select(func.pg_notify("tessera_outbox", "")))
        session.info[NOTIFIED_KEY] = True


def card_changed(member_id: int) -> int:
    """Bump one card's version and return it; stamped and pushed at commit."""
    card_id, version = db.session.execute(
        update(Card)
        .where(Card.member_id == member_id)
        .values(version=Card.version + 1, updated_at=utcnow())
        .returning(Card.id, Card.version)
    ).one()
    db.session.info.setdefault(CARDS_KEY, set()).add(card_id)
    return int(version)


def program_cards_changed(program_id: int, reason: str = "design") -> int:
    """Change every card of a program (its design, rules, artwork or rewards); returns how many it has.

    No card is touched in this transaction: the sweep's record is written with it, and once it commits
    the cards change in short committed batches (`app.wallet.sweeps`), before the request answers."""
    from app.wallet.sweeps import start_sweep  # sweeps builds on this module

    return start_sweep(program_id, reason)


def among(column: Any, ids: Iterable[int]) -> Any:
    """`column IN ids`: on PostgreSQL one array parameter (`= ANY`), however many ids a batch holds."""
    values = sorted(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, postgresql.ARRAY(BigInteger)))
    return column.in_(values)


def cards_changed_by_id(card_ids: Sequence[int]) -> int:
    """Change the cards `card_ids` (one short batch of a change to many cards); returns how many.

    Their row locks are taken now; their versions are bumped, stamped and pushed at commit.
    Committing each batch on its own keeps every card's row lock to the length of one batch."""
    return _lock(among(Card.id, card_ids)) if card_ids else 0


def member_cards_changed(member_ids: Sequence[int]) -> int:
    """Change the cards of the members `member_ids` (one short batch of a segment), as `cards_changed_by_id`."""
    return _lock(among(Card.member_id, member_ids)) if member_ids else 0


def _lock(which: Any) -> int:
    """Take the cards' row locks now, in id order; their version is bumped by the commit-time stamp,
    so each card of a batch is written once rather than twice."""
    locked = db.session.scalars(select(Card.id).where(which).order_by(Card.id).with_for_update()).all()
    db.session.info.setdefault(LOCKED_KEY, set()).update(locked)
    return len(locked)




def until_done(batch: Callable[[], bool], attempts: int = 3) -> None:
    """Work a change to many cards to its end: `batch` commits one batch with its record's progress
    and says True when nothing is left. A batch that meets a deadlock or a lock timeout is rolled
    back and worked again (it re-reads where the record stands), up to `attempts` times."""
    failures = 0
    while True:
        try:
            if batch():
                return
            failures = 0
        except OperationalError:
            db.session.rollback()
            failures += 1
            if failures == attempts:
                raise


def _queue_pushes(session: Session, which: Any, holding: Any, min_interval: float) -> None:
    """One pending job per (device, card) holding a changed card, written by the database itself
    (INSERT … SELECT), so a message to a million cards never passes through Python rows."""
    now = utcnow()
    key = cast(Registration.device_id, String) + ":" + cast(Registration.card_id, String)
    holders = (
        select(literal("apns"), key, Registration.device_id, Registration.card_id, literal("pending"), literal(0),
               literal(now, UTCDateTime), literal(now, UTCDateTime))
        .join(Card, Card.id == Registration.card_id)
        .where(which, holding)
    )
    dialect = session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = ["kind", "dedupe_key", "device_id", "card_id", "status", "attempts", "available_at", "created_at"]
    statement = maker(OutboxJob).from_select(columns, holders).on_conflict_do_nothing(
        index_elements=["kind", "dedupe_key"], index_where=text("status = 'pending'")
    )
    if not session.execute(statement).rowcount:  # type: ignore[attr-defined]
        return
    _space_recent(session, which, holding, now, timedelta(seconds=min_interval))
    mark_queued(session)


def _queue_google(session: Session, which: Any) -> None:
    """One pending `google` job per changed card saved to Google Wallet (its save callback left
    an "installed" card event), folded into a pending one, so the worker PATCHes its object."""
    now = utcnow()
    # Uncorrelated, so the database reads the Google installs once (a semi-join), not per card.
    saved = Card.id.in_(select(CardEvent.card_id).where(CardEvent.kind == "installed", CardEvent.reason == "google"))
    cards = select(literal("google"), cast(Card.id, String), Card.id, literal("pending"), literal(0),
                   literal(now, UTCDateTime), literal(now, UTCDateTime)).where(which, saved)
    maker = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    columns = ["kind", "dedupe_key", "card_id", "status", "attempts", "available_at", "created_at"]
    statement = maker(OutboxJob).from_select(columns, cards).on_conflict_do_nothing(
        index_elements=["kind", "dedupe_key"], index_where=text("status = 'pending'")
    )
    if session.execute(statement).rowcount:  # type: ignore[attr-defined]
        mark_queued(session)


def _google_enabled() -> bool:
    config = current_app.config if has_app_context() else {}
    return bool(config.get("GOOGLE_ISSUER_ID") and config.get("GOOGLE_SERVICE_ACCOUNT_FILE"))


def _space_recent(session: Session, which: Any, holding: Any, now: datetime, gap: timedelta) -> None:
    """Jobs for a card pushed to the same device less than `gap` ago wait until the gap is over
    (one statement sent once for all of them, whatever their number)."""
    recent = session.execute(
        select(Registration.device_id, Registration.card_id, Registration.last_pushed_at)
        .join(Card, Card.id == Registration.card_id)
        .where(which, holding, Registration.last_pushed_at > now - gap)
    ).all()
    if not recent:
        return
    jobs = OutboxJob.__table__
    due = bindparam("due", type_=UTCDateTime())
    session.execute(
        jobs.update()
        .where(jobs.c.kind == "apns", jobs.c.status == "pending", jobs.c.dedupe_key == bindparam("key"),
               jobs.c.available_at < due)
        .values(available_at=due),
        [{"key": f"{device_id}:{card_id}", "due": pushed + gap} for device_id, card_id, pushed in recent],
    )


def _stamp(session: Session, which: Any, locked: set[int], only_locked: bool) -> None:
    """Number the changed cards from the counter and move their `modified_at` on; the cards only
    locked so far (`locked`, a batch) get their version bumped in the same statement."""
    seq = session.execute(
        update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)
    ).scalar_one_or_none()
    if seq is None:  # an emptied database: the counter row comes back
        session.execute(insert(ChangeCounter).values(id=1, value=1))
        seq = 1
    now = int(utcnow().timestamp())
    bump: dict[str, Any] = {}
    if only_locked:
        bump = {"version": Card.version + 1, "updated_at": utcnow()}
    elif locked:
        bump = {"version": case((among(Card.id, locked), Card.version + 1), else_=Card.version),
                "updated_at": case((among(Card.id, locked), literal(utcnow(), UTCDateTime)), else_=Card.updated_at)}
    session.execute(
        update(Card)
        .where(which)
        .values(change_seq=seq, modified_at=case((Card.modified_at + 1 > now, Card.modified_at + 1), else_=now), **bump)
        .execution_options(synchronize_session=False)
    )


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    bumped = session.info.pop(CARDS_KEY, set())
    locked = session.info.pop(LOCKED_KEY, set()) - bumped  # a card bumped already is not bumped again
    cards = bumped | locked
    if not cards:
        return
    which = among(Card.id, cards)
    interval = current_app.config.get("PUSH_MIN_INTERVAL", DEFAULT_MIN_INTERVAL) if has_app_context() else DEFAULT_MIN_INTERVAL
    _queue_pushes(session, which, among(Registration.card_id, cards), interval)
    if _google_enabled():
        _queue_google(session, which)
    _stamp(session, which, locked, bool(locked) and not bumped)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(NOTIFIED_KEY, None)
    if session.info.pop(QUEUED_KEY, False):
        with _listeners_lock:
            listeners = list(_listeners)
        for callback in listeners:
            callback()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    for key in (CARDS_KEY, LOCKED_KEY, QUEUED_KEY, NOTIFIED_KEY):
        session.info.pop(key, None)
