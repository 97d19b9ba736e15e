"""A change every card of a program shows (design, rules, artwork, rewards) sweeps the cards in short
committed batches: the till is never kept waiting for the whole program, every card changes once, and
a sweep that stops halfway resumes, or is taken over by the program's next change."""
from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import delete, select

from app.extensions import db
from app.loyalty.programs import update_program
from app.loyalty.segments import Segment, send_message
from app.models import CardSweep, OutboxJob, Program
from app.wallet.program_art import store_images
from app.wallet.sweeps import finish_due_sweeps, resume_card_sweeps
from app.wallet.uploads import prepare_upload
from tests.conftest import Api
from tests.loyalty.test_message_batches import (
    Stop, card_versions, commits, first_card_freed_early, phones_for_every_card, queued_pushes, stop_at_batch,
)
from tests.support.threads import at_once

MEMBERS = 7
BATCH = 2


@pytest.fixture
def cards(app: Flask, owner: Api, program: dict[str, Any]) -> list[int]:
    """Seven members, each card on a phone of its own; sweeps go two cards a batch."""
    app.config["CARD_SWEEP_BATCH_SIZE"] = BATCH
    for n in range(MEMBERS):
        response = owner.post(f"/programs/{program['id']}/members", {
            "name": f"Member {n}", "email": f"member{n}@example.com", "consent": {"terms": True}})
        assert response.status_code == 201, response.get_json()
    ids = phones_for_every_card()
    db.session.execute(delete(OutboxJob))
    db.session.commit()
    return ids


def _sweeps() -> list[tuple[str, str, int]]:
    db.session.expire_all()
    return [(s.reason, s.status, s.cards) for s in db.session.scalars(select(CardSweep).order_by(CardSweep.id))]


def _grew(before: dict[int, int]) -> dict[int, int]:
    after = card_versions()
    return {card: after[card] - version for card, version in before.items()}


def _logo() -> Any:
    data = io.BytesIO()
    Image.new("RGBA", (300, 100), (200, 30, 40, 255)).save(data, "PNG")
    return prepare_upload(data.getvalue(), "logo")


def _change_design(owner: Api, program_id: int) -> None:
    response = owner.patch(f"/programs/{program_id}", {"colors": {"background": "#112233"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["colors"]["background"] == "#112233"


def _upload_logo(owner: Api, program_id: int) -> None:
    store_images(db.session.get_one(Program, program_id), "logo", _logo())
    db.session.commit()
    assert [s.cards for s in finish_due_sweeps()] == [MEMBERS]


def _add_reward(owner: Api, program_id: int) -> None:
    response = owner.post(f"/programs/{program_id}/rewards", {"name": "Caffè omaggio", "cost": 100})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("change,reason", [(_change_design, "design"), (_upload_logo, "artwork"),
                                           (_add_reward, "rewards")], ids=["design", "artwork", "rewards"])
def test_every_card_changes_once_in_short_batches(owner: Api, program: dict[str, Any], cards: list[int],
                                                  change: Callable[[Api, int], None], reason: str) -> None:
    before = card_versions()
    with commits() as seen:
        change(owner, program["id"])
    assert len(seen) >= MEMBERS // BATCH + 2  # the change with the record, then a commit per batch
    assert _grew(before) == dict.fromkeys(cards, 1)
    assert queued_pushes() == cards  # one push queued per registered phone
    assert _sweeps() == [(reason, "done", MEMBERS)]


def test_a_change_rolled_back_sweeps_nothing(program: dict[str, Any], cards: list[int]) -> None:
    before = card_versions()
    update_program(db.session.get_one(Program, program["id"]), {"colors": {"background": "#112233"}})
    db.session.rollback()
    assert finish_due_sweeps() == []
    assert _sweeps() == [] and card_versions() == before and queued_pushes() == []


def test_a_till_can_lock_a_card_before_the_sweep_ends(database_url: str, owner: Api, program: dict[str, Any],
                                                      cards: list[int]) -> None:
    """While later batches are still being written, the first batch's cards are changed, committed and
    free: a purchase posted on one of them does not wait for the rest of the program."""
    freed = first_card_freed_early(database_url, cards, lambda: _change_design(owner, program["id"]))
    assert freed, "the first card stayed locked until every card of the program was written"


def _stopped_design_change(program_id: int, batch: int, color: str = "#445566") -> None:
    update_program(db.session.get_one(Program, program_id), {"colors": {"background": color}})
    db.session.commit()
    with stop_at_batch(batch), pytest.raises(Stop):
        finish_due_sweeps()
    db.session.rollback()


def test_a_sweep_that_stopped_halfway_resumes_without_pushing_twice(program: dict[str, Any],
                                                                     cards: list[int]) -> None:
    before = card_versions()
    _stopped_design_change(program["id"], 3)
    assert _sweeps() == [("design", "sweeping", 2 * BATCH)]
    done = cards[:2 * BATCH]
    assert {c for c, grown in _grew(before).items() if grown} == set(done)
    assert queued_pushes() == done
    db.session.execute(delete(OutboxJob))  # the push worker delivered those
    db.session.commit()

    resumed = resume_card_sweeps(program["id"])
    assert [(s.reason, s.status, s.cards) for s in resumed] == [("design", "done", MEMBERS)]
    assert _grew(before) == dict.fromkeys(cards, 1)
    assert queued_pushes() == cards[2 * BATCH:]  # only the cards the first run did not reach
    assert resume_card_sweeps() == []  # nothing left: running it again changes nothing
    assert _grew(before) == dict.fromkeys(cards, 1)


def test_a_newer_change_takes_over_an_unfinished_sweep(owner: Api, program: dict[str, Any], cards: list[int]) -> None:
    before = card_versions()
    _stopped_design_change(program["id"], 2)
    _change_design(owner, program["id"])
    assert _sweeps() == [("design", "replaced", BATCH), ("design", "done", MEMBERS)]
    # The cards the old sweep had reached changed once more (they show the newest design); the others once.
    assert _grew(before) == {card: 2 if card in cards[:BATCH] else 1 for card in cards}
    assert resume_card_sweeps() == []


def test_resume_card_changes_on_the_command_line(runner: Any, program: dict[str, Any], cards: list[int]) -> None:
    _stopped_design_change(program["id"], 2)
    sweep = db.session.scalars(select(CardSweep)).one()
    assert (sweep.status, sweep.through_id) == ("sweeping", cards[BATCH - 1])
    result = runner.invoke(args=["resume-card-changes", "--program", str(program["id"])])
    assert result.exit_code == 0, result.output
    expected = f"sweep={sweep.id} program={program['id']} reason=design status=done cards={MEMBERS}"
    assert result.output.strip() == expected
    assert runner.invoke(args=["resume-card-changes"]).output == ""


def test_resume_messages_finishes_sweeps_too(runner: Any, program: dict[str, Any], cards: list[int]) -> None:
    before = card_versions()
    _stopped_design_change(program["id"], 1)
    result = runner.invoke(args=["resume-messages"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"reason=design status=done cards={MEMBERS}")
    assert _grew(before) == dict.fromkeys(cards, 1)


def test_two_runs_resuming_one_sweep_share_its_batches(app: Flask, program: dict[str, Any], cards: list[int]) -> None:
    before = card_versions()
    _stopped_design_change(program["id"], 1)
    results = at_once(app, lambda: [s.cards for s in resume_card_sweeps(program["id"])])
    assert len(results) == 2
    assert _grew(before) == dict.fromkeys(cards, 1)
    assert _sweeps() == [("design", "done", MEMBERS)]
    assert queued_pushes() == cards


def test_a_sweep_and_a_message_at_once_both_finish(app: Flask, program: dict[str, Any], cards: list[int]) -> None:
    """Both take their cards' locks in id order, one short batch at a time: neither waits for the other
    to end, and each card changes once for each of them."""
    app.config["MESSAGE_BATCH_SIZE"] = BATCH
    before = card_versions()
    _stopped_design_change(program["id"], 1)
    errors: list[BaseException] = []

    def run(work: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(lambda: resume_card_sweeps(program["id"]),)),
        threading.Thread(target=run, args=(
            lambda: send_message(db.session.get_one(Program, program["id"]), "Doppi punti", Segment()),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert _grew(before) == dict.fromkeys(cards, 2)
    assert _sweeps() == [("design", "done", MEMBERS)]
