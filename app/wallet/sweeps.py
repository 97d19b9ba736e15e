"""Changes every card of a program shows (its design, rules, artwork, rewards), in short committed batches.

A program-wide change used to bump all of a program's cards inside the request's transaction, holding
every card's row lock (which a till posting a purchase waits for) until the request committed: seconds
for 100,000 cards. Now it goes as a message does (`app.loyalty.segments.send_message`):

- `start_sweep` (what `changes.program_cards_changed` calls) writes the sweep's record (`card_sweeps`)
  in the request's own transaction, so the program change and the record commit, or roll back, together.
  It takes the program's row lock first, so two changes of one program take turns, and marks an
  unfinished older sweep of the program "replaced": the new one goes over every card again, and the
  cards will show the latest design anyway.
- Once the request's transaction commits, `finish_due_sweeps` (run when the request finishes, before
  its answer leaves, so the answer is unchanged and comes after the last batch) changes the cards in
  batches of ids in order (`cards_changed_by_id`), each committed with the record's progress
  (`through_id`, `cards`), so no card's row lock is held longer than one batch. Code outside a
  request (a script, a benchmark) calls `finish_due_sweeps()` itself after committing.
- A sweep that stopped halfway (a process that died) is finished from where its record says by
  `resume_card_sweeps` (`flask resume-card-changes`, or `flask resume-messages`, which does both),
  or taken over by the program's next sweep; no card it reached is bumped again for it. The record
  is a table of its own rather than `sent_messages`' progress columns: a sweep has no text, segment
  or recipients, and a message's record stays as it is.

Two sweeps, or a sweep and a message, working at once each take their cards' locks in id order, one
short batch at a time, so they cannot deadlock; a sweep's batch starts by taking its record's row, so
two runs of one sweep take turns and each goes on from where the other stopped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context, request_finished
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Card, CardSweep, Program
from app.models._common import utcnow
from app.wallet.changes import cards_changed_by_id, until_done

log = logging.getLogger(__name__)

BATCH_SIZE = 1000  # cards a sweep changes per transaction (CARD_SWEEP_BATCH_SIZE, else MESSAGE_BATCH_SIZE)
SWEEPING, DONE, REPLACED = "sweeping", "done", "replaced"
STARTED_KEY = "tessera.card_sweeps_started"  # {program id: sweep id} written in the open transaction
DUE_KEY = "tessera.card_sweeps_due"  # sweep ids committed, whose cards are still to change


@dataclass(frozen=True)
class Swept:
    sweep_id: int
    program_id: int
    reason: str
    status: str
    cards: int


def configured_batch_size() -> int:
    config = current_app.config if has_app_context() else {}
    return int(config.get("CARD_SWEEP_BATCH_SIZE") or config.get("MESSAGE_BATCH_SIZE") or BATCH_SIZE)


def start_sweep(program_id: int, reason: str = "design") -> int:
    """Record that every card of the program is to change once this transaction commits; returns how
    many cards the program has. One sweep per program and transaction, however many changes it holds."""
    started: dict[int, int] = db.session.info.setdefault(STARTED_KEY, {})
    if program_id not in started:
        # The program's row first: a second change of the program waits here until this one commits,
        # then sees (and replaces) this sweep.
        db.session.execute(select(Program.id).where(Program.id == program_id).with_for_update())
        db.session.execute(
            update(CardSweep).where(CardSweep.program_id == program_id, CardSweep.status == SWEEPING)
            .values(status=REPLACED).execution_options(synchronize_session=False)
        )
        sweep = CardSweep(program_id=program_id, reason=reason, status=SWEEPING, through_id=0, cards=0,
                          created_at=utcnow())
        db.session.add(sweep)
        db.session.flush()
        started[program_id] = sweep.id
    return int(db.session.scalar(select(func.count(Card.id)).where(Card.program_id == program_id)) or 0)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    started = session.info.pop(STARTED_KEY, None)
    if started:
        session.info.setdefault(DUE_KEY, []).extend(started.values())


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(STARTED_KEY, None)  # rolled back with the change; committed sweeps stay due


def finish_due_sweeps(batch_size: int | None = None) -> list[Swept]:
    """Work the sweeps this session committed, batch by batch. A sweep that fails stays on record
    ("sweeping") for `resume_card_sweeps` or the program's next sweep: the change itself is saved."""
    due = db.session.info.pop(DUE_KEY, [])
    done: list[Swept] = []
    for sweep_id in due:
        try:
            swept = finish_sweep(sweep_id, batch_size)
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("card sweep %s stopped; `flask resume-card-changes` finishes it", sweep_id)
            continue
        if swept is not None:
            done.append(swept)
    return done


def _on_request_finished(sender: Flask, **extra: Any) -> None:
    if db.session.info.get(DUE_KEY):
        finish_due_sweeps()


request_finished.connect(_on_request_finished)


def resume_card_sweeps(program_id: int | None = None, batch_size: int | None = None) -> list[Swept]:
    """Finish every sweep (of one program, or of all) whose batches stopped halfway, oldest first."""
    query = select(CardSweep.id).where(CardSweep.status == SWEEPING).order_by(CardSweep.id)
    if program_id is not None:
        query = query.where(CardSweep.program_id == program_id)
    unfinished = db.session.scalars(query).all()
    db.session.rollback()
    results = [finish_sweep(sweep_id, batch_size) for sweep_id in unfinished]
    return [swept for swept in results if swept is not None]


def finish_sweep(sweep_id: int, batch_size: int | None = None) -> Swept | None:
    """Work the sweep's batches until none is left; safe to run again, or from two processes at once.
    None when its program (and so the record) is gone."""
    size = batch_size or configured_batch_size()
    until_done(lambda: _batch(sweep_id, size))
    row = db.session.execute(
        select(CardSweep.id, CardSweep.program_id, CardSweep.reason, CardSweep.status, CardSweep.cards)
        .where(CardSweep.id == sweep_id)
    ).one_or_none()
    db.session.commit()
    return Swept(*row) if row is not None else None


def _batch(sweep_id: int, size: int) -> bool:
    """Change the sweep's next `size` cards and commit with its progress; True when nothing is left."""
    # The record's row first: two runs of one sweep take turns, and each reads where the other stopped.
    taken = db.session.execute(
        update(CardSweep).where(CardSweep.id == sweep_id, CardSweep.status == SWEEPING)
        .values(status=SWEEPING)
        .returning(CardSweep.program_id, CardSweep.through_id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if taken is None:  # done already, replaced by a newer sweep, or its program deleted
        db.session.rollback()
        return True
    program_id, through = taken
    ids = db.session.scalars(
        select(Card.id).where(Card.program_id == program_id, Card.id > through).order_by(Card.id).limit(size)
    ).all()
    changed = cards_changed_by_id(ids)
    done = len(ids) < size
    db.session.execute(
        update(CardSweep).where(CardSweep.id == sweep_id)
        .values(through_id=ids[-1] if ids else through, cards=CardSweep.cards + changed,
                status=DONE if done else SWEEPING)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the cards are stamped and their pushes queued with it
    return done
