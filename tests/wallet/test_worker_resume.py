"""The push worker finishes messages and program-wide card changes whose process died halfway,
so a crash never leaves half a program's cards with the old design or without the message."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import CardSweep, Program, SentMessage
from app.models._common import utcnow
from app.wallet.worker import PushWorker
from tests.conftest import Api
from tests.loyalty.test_message_batches import card_versions, queued_pushes
from tests.wallet.test_card_sweeps import _grew, cards  # noqa: F401 (the fixture)


def _stopped(program_id: int, started_ago: timedelta, through_card: int) -> tuple[int, int]:
    """A message to every card and a design change, both cut off after `through_card`, as a process
    killed between batches leaves them."""
    started = utcnow() - started_ago
    program = db.session.get_one(Program, program_id)
    program.message, program.message_at = "Chiuso per ferie", started
    message = SentMessage(program_id=program_id, text="Chiuso per ferie", segment='{"type":"all"}', recipients=7,
                          cards=2, status="sending", through_id=through_card, created_at=started)
    sweep = CardSweep(program_id=program_id, reason="design", status="sweeping", through_id=through_card, cards=2,
                      created_at=started)
    db.session.add_all([message, sweep])
    db.session.commit()
    return message.id, sweep.id


def test_the_worker_finishes_what_a_dead_process_left_halfway(
    app: Flask, owner: Api, program: dict[str, Any], cards: list[int]
) -> None:
    before = card_versions()
    message_id, sweep_id = _stopped(program["id"], timedelta(minutes=10), through_card=cards[1])
    assert PushWorker(app).resume_stale() == 2
    db.session.expire_all()
    assert db.session.get_one(SentMessage, message_id).status == "sent"
    assert db.session.get_one(CardSweep, sweep_id).status == "done"
    grew = _grew(before)
    # The two cards the dead process reached are left alone; every other card changes once for each.
    assert [grew[card] for card in cards] == [0, 0, 2, 2, 2, 2, 2]
    assert queued_pushes() == sorted(cards[2:])  # one pending push per phone, both changes folded into it
    assert PushWorker(app).resume_stale() == 0  # nothing left


def test_a_change_still_being_worked_is_left_to_its_process(
    app: Flask, owner: Api, program: dict[str, Any], cards: list[int]
) -> None:
    before = card_versions()
    message_id, sweep_id = _stopped(program["id"], timedelta(seconds=30), through_card=cards[1])
    assert PushWorker(app).resume_stale() == 0
    assert _grew(before) == {card: 0 for card in cards}
    db.session.expire_all()
    assert db.session.scalars(select(SentMessage.status)).all() == ["sending"]
    # Once it has been quiet long enough, it is the worker's.
    assert PushWorker(app).resume_stale(now=utcnow() + timedelta(minutes=10)) == 2
    assert db.session.get_one(CardSweep, sweep_id).status == "done"
