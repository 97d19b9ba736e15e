"""A message to many cards changes them in short committed batches: the till is never kept
waiting for the whole send, every card changes once, and a send that stops halfway resumes."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.extensions import db
from app.loyalty.segments import Segment, resume_messages, send_message
from app.models import Card, Device, Member, OutboxJob, Program, Registration, SentMessage
from app.models._common import utcnow
from tests.conftest import Api
from tests.support.threads import at_once

MEMBERS = 7
BATCH = 2
CONSENTING = Segment("all", marketing_consent=True)  # the members' own message, batch by batch


@pytest.fixture
def cards(app: Flask, owner: Api, program: dict[str, Any]) -> list[int]:
    """Seven members, all agreeing to marketing messages, each card on a phone of its own."""
    app.config["MESSAGE_BATCH_SIZE"] = BATCH
    for n in range(MEMBERS):
        response = owner.post(f"/programs/{program['id']}/members", {
            "name": f"Member {n}", "email": f"member{n}@example.com", "consent": {"terms": True, "marketing": True}})
        assert response.status_code == 201, response.get_json()
    db.session.execute(update(Member).values(consent_marketing=True))
    ids = phones_for_every_card()
    db.session.commit()
    return ids


def phones_for_every_card() -> list[int]:
    """Each card registered on a phone of its own (so every change queues a push); the card ids, in order."""
    ids = list(db.session.scalars(select(Card.id).order_by(Card.id)))
    phones = [Device(library_identifier=f"phone-{n}", push_token=f"{n:064x}") for n in range(len(ids))]
    db.session.add_all(phones)
    db.session.flush()
    db.session.add_all(Registration(device_id=phone.id, card_id=card) for phone, card in zip(phones, ids))
    return ids


def card_versions() -> dict[int, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(Card.id, Card.version)).all())  # type: ignore[arg-type]


def queued_pushes() -> list[int]:
    return sorted(db.session.scalars(select(OutboxJob.card_id).where(OutboxJob.kind == "apns")))


def _record() -> SentMessage:
    db.session.expire_all()
    return db.session.scalars(select(SentMessage).order_by(SentMessage.id.desc())).first()  # type: ignore[return-value]


@contextmanager
def commits() -> Iterator[list[int]]:
    seen: list[int] = []

    def count(session: Session) -> None:
        seen.append(1)

    event.listen(Session, "after_commit", count)
    try:
        yield seen
    finally:
        event.remove(Session, "after_commit", count)


@contextmanager
def on_statement(callback: Callable[[str], None]) -> Iterator[None]:
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        callback(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.mark.parametrize("segment", [None, {"type": "all", "marketing_consent": True}])
def test_every_card_changes_once_in_short_batches(owner: Api, program: dict[str, Any], cards: list[int],
                                                  segment: dict[str, Any] | None) -> None:
    before = card_versions()
    body = {"text": "Doppi punti", **({"segment": segment} if segment else {})}
    with commits() as seen:
        response = owner.post(f"/programs/{program['id']}/messages", body)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["cards"] == MEMBERS and response.get_json()["recipients"] == MEMBERS
    assert len(seen) >= MEMBERS // BATCH + 1  # the record, then a commit per batch
    after = card_versions()
    assert {card: after[card] - before[card] for card in cards} == dict.fromkeys(cards, 1)
    assert queued_pushes() == cards  # one push queued per card
    record = _record()
    assert (record.status, record.cards, record.recipients, record.through_id) == (
        "sent", MEMBERS, MEMBERS, cards[-1] if segment is None else max(db.session.scalars(select(Member.id))))
    if segment:
        assert set(db.session.scalars(select(Member.message))) == {"Doppi punti"}


@contextmanager
def lock_probe(url: str) -> Iterator[Callable[[int], tuple[bool, int | None]]]:
    """Try to take one card's row lock from a connection of its own, without waiting: (taken, version)."""
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database

        def sqlite_probe(card: int) -> tuple[bool, int | None]:
            conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")  # SQLite's writer lock covers every row
                version = conn.execute("SELECT version FROM cards WHERE id = ?", (card,)).fetchone()[0]
                conn.execute("ROLLBACK")
                return True, int(version)
            except sqlite3.OperationalError:
                return False, None
            finally:
                conn.close()

        yield sqlite_probe
        return
    engine = create_engine(url, poolclass=NullPool)

    def postgres_probe(card: int) -> tuple[bool, int | None]:
        with engine.connect() as conn:
            try:
                version = conn.execute(text("SELECT version FROM cards WHERE id = :id FOR UPDATE NOWAIT"),
                                       {"id": card}).scalar_one()
                return True, int(version)
            except Exception:  # noqa: BLE001 (lock_not_available: the sender holds the row)
                return False, None
            finally:
                conn.rollback()

    try:
        yield postgres_probe
    finally:
        engine.dispose()


def test_a_till_can_lock_a_messaged_card_before_the_send_ends(database_url: str, owner: Api,
                                                              program: dict[str, Any], cards: list[int]) -> None:
    """While later batches are still being written, the first batch's cards are changed, committed
    and free: a purchase posted on one of them would not wait for the rest of the message."""
    answers: list[Any] = []
    freed = first_card_freed_early(database_url, cards, lambda: answers.append(
        owner.post(f"/programs/{program['id']}/messages", {"text": "Doppi punti"})))
    assert answers[0].status_code == 202, answers[0].get_json()
    assert freed, "the first card stayed locked until the whole message was written"


def first_card_freed_early(database_url: str, cards: list[int], action: Callable[[], object]) -> bool:
    """Whether, while `action` changes every card, there was a moment when the first card was
    already changed, committed and free to lock while the last was not changed yet."""
    first, last = cards[0], cards[-1]
    start = card_versions()
    freed: list[int] = []

    def look(statement: str) -> None:
        taken, version = probe(first)
        with reader.connect() as conn:  # what is committed
            last_version = conn.execute(text("SELECT version FROM cards WHERE id = :id"), {"id": last}).scalar_one()
        if taken and version == start[first] + 1 and last_version == start[last]:
            freed.append(1)

    reader = create_engine(database_url, poolclass=NullPool)
    try:
        with lock_probe(database_url) as probe, on_statement(look):
            action()
    finally:
        reader.dispose()
    return bool(freed)


class Stop(Exception):
    """The process ends in the middle of a send."""


@contextmanager
def stop_at_batch(number: int) -> Iterator[None]:
    seen: list[str] = []

    def maybe_stop(statement: str) -> None:
        if statement.startswith("UPDATE cards SET version"):
            seen.append(statement)
            if len(seen) == number:
                raise Stop

    with on_statement(maybe_stop):
        yield


@pytest.mark.parametrize("segment", [Segment(), CONSENTING], ids=["everyone", "segment"])
def test_a_send_that_stopped_halfway_resumes_without_pushing_twice(program: dict[str, Any], cards: list[int],
                                                                   segment: Segment) -> None:
    before = card_versions()
    with stop_at_batch(3), pytest.raises(Stop):
        send_message(db.session.get_one(Program, program["id"]), "Doppi punti", segment)
    db.session.rollback()
    record = _record()
    assert (record.status, record.cards) == ("sending", 2 * BATCH)  # what the record says: 4 cards so far
    done = cards[:2 * BATCH]
    assert {c for c, v in card_versions().items() if v != before[c]} == set(done)
    assert queued_pushes() == done
    db.session.execute(delete(OutboxJob))  # the push worker delivered those
    db.session.commit()

    resumed = resume_messages(program["id"])
    assert [(s.cards, s.recipients, s.status) for s in resumed] == [(MEMBERS, MEMBERS, "sent")]
    after = card_versions()
    assert {card: after[card] - before[card] for card in cards} == dict.fromkeys(cards, 1)
    assert queued_pushes() == cards[2 * BATCH:]  # only the cards the first run did not reach
    assert (_record().status, _record().cards, _record().recipients) == ("sent", MEMBERS, MEMBERS)
    if segment != Segment():
        assert set(db.session.scalars(select(Member.message))) == {"Doppi punti"}
    assert resume_messages() == []  # nothing left: running it again changes nothing
    assert card_versions() == after


def test_a_newer_message_to_everyone_replaces_an_unfinished_one(owner: Api, program: dict[str, Any],
                                                                cards: list[int]) -> None:
    before = card_versions()
    with stop_at_batch(2), pytest.raises(Stop):
        send_message(db.session.get_one(Program, program["id"]), "Old news", Segment())
    db.session.rollback()
    response = owner.post(f"/programs/{program['id']}/messages", {"text": "Fresh news"})
    assert response.status_code == 202 and response.get_json()["cards"] == MEMBERS
    records = db.session.scalars(select(SentMessage).order_by(SentMessage.id)).all()
    assert [(r.text, r.status, r.cards) for r in records] == [("Old news", "replaced", BATCH),
                                                              ("Fresh news", "sent", MEMBERS)]
    after = card_versions()
    # The cards the old message had reached changed once more; the others only for the new one.
    assert {card: after[card] - before[card] for card in cards} == {
        card: 2 if card in cards[:BATCH] else 1 for card in cards}
    assert db.session.get_one(Program, program["id"]).message == "Fresh news"


def test_a_member_keeps_a_newer_message_of_their_own_when_an_older_send_resumes(owner: Api, program: dict[str, Any],
                                                                                 cards: list[int]) -> None:
    with stop_at_batch(1), pytest.raises(Stop):
        send_message(db.session.get_one(Program, program["id"]), "Old offer", CONSENTING)
    db.session.rollback()
    last = max(db.session.scalars(select(Member.id)))
    response = owner.post(f"/programs/{program['id']}/messages",
                          {"text": "Just for you", "segment": {"type": "member", "member_id": last}})
    assert response.status_code == 202
    db.session.expire_all()
    messages = dict(db.session.execute(select(Member.id, Member.message)).all())  # type: ignore[arg-type]
    assert messages[last] == "Just for you"
    assert {m for m, text in messages.items() if text == "Old offer"} == set(messages) - {last}
    old = db.session.scalars(select(SentMessage).where(SentMessage.text == "Old offer")).one()
    assert (old.status, old.recipients) == ("sent", MEMBERS - 1)


def test_resume_messages_on_the_command_line(runner: Any, program: dict[str, Any], cards: list[int]) -> None:
    with stop_at_batch(2), pytest.raises(Stop):
        send_message(db.session.get_one(Program, program["id"]), "Doppi punti", CONSENTING)
    db.session.rollback()
    stopped = _record()
    members = sorted(db.session.scalars(select(Member.id)))
    assert (stopped.status, stopped.cards, stopped.through_id) == ("sending", BATCH, members[BATCH - 1])
    result = runner.invoke(args=["resume-messages", "--program", str(program["id"])])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"message={stopped.id} status=sent recipients={MEMBERS} cards={MEMBERS}"
    assert runner.invoke(args=["resume-messages"]).output == ""


def test_cards_pushed_a_moment_ago_wait_their_turn_with_one_statement_a_batch(app: Flask, owner: Api,
                                                                               program: dict[str, Any],
                                                                               cards: list[int]) -> None:
    app.config.update(PUSH_MIN_INTERVAL=30.0, MESSAGE_BATCH_SIZE=100)
    db.session.execute(update(Registration).values(last_pushed_at=utcnow()))  # the worker has just pushed them
    db.session.commit()
    spacing: list[str] = []
    with on_statement(lambda s: spacing.append(s) if s.startswith("UPDATE outbox") else None):
        response = owner.post(f"/programs/{program['id']}/messages", {"text": "Doppi punti"})
    assert response.status_code == 202
    assert len(spacing) == 1  # one statement for the whole batch, not one per card
    due = db.session.scalars(select(OutboxJob.available_at)).all()
    assert len(due) == MEMBERS and min(due) > utcnow() + timedelta(seconds=25)


def test_two_runs_resuming_one_message_share_its_batches(app: Flask, program: dict[str, Any],
                                                         cards: list[int]) -> None:
    before = card_versions()
    with stop_at_batch(1), pytest.raises(Stop):
        send_message(db.session.get_one(Program, program["id"]), "Doppi punti", Segment())
    db.session.rollback()
    results = at_once(app, lambda: [s.cards for s in resume_messages(program["id"])])
    assert len(results) == 2
    after = card_versions()
    assert {card: after[card] - before[card] for card in cards} == dict.fromkeys(cards, 1)
    assert (_record().status, _record().cards) == ("sent", MEMBERS)
    assert queued_pushes() == cards
