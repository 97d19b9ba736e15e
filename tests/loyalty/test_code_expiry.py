"""The daily `codes` job: reward codes past their date are marked expired and leave the card."""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, update

from app.extensions import db
from app.loyalty import batches
from app.loyalty.schedules import run_schedules
from app.models import Card, OutboxJob, RewardCode
from app.models._common import utcnow
from tests.conftest import Api
from tests.support.phone import check_pkpass_like_a_phone

PHONE = {"pass_type_identifier": "pass.dev.tessera.example", "team_identifier": "TESSERA000"}
NOTHING = "codes: 0 codes expired, 0 cards updated"


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)  # several batches even with a handful of members


def _join(owner: Api, program: dict[str, Any], name: str) -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/members", {
        "name": name, "email": f"{name.lower()}@example.com", "consent": {"terms": True}})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _reward(owner: Api, program: dict[str, Any], name: str, valid_days: int | None) -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/rewards", {"name": name, "cost": 100, "valid_days": valid_days})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _codes(owner: Api, member: dict[str, Any], reward: dict[str, Any], count: int = 1) -> list[str]:
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 100 * count}).status_code == 201
    redeemed = [owner.post(f"/members/{member['id']}/rewards/{reward['id']}/redeem") for _ in range(count)]
    assert all(r.status_code == 201 for r in redeemed), [r.get_json() for r in redeemed]
    return [r.get_json()["code"]["code"] for r in redeemed]


def _expires(code: str, when: datetime) -> None:
    db.session.execute(update(RewardCode).where(RewardCode.code == code).values(expires_at=when))
    db.session.commit()


def _stored(code: str) -> str:
    db.session.expire_all()
    return db.session.scalars(select(RewardCode.status).where(RewardCode.code == code)).one()


def _card(member: dict[str, Any]) -> Card:
    db.session.expire_all()
    return db.session.scalars(select(Card).where(Card.member_id == member["id"])).one()


def _run(runner: FlaskCliRunner, now: datetime, only: str | None = "codes") -> list[str]:
    args = ["run-schedules", "--now", now.isoformat()] + (["--only", only] if only else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def _register_phone(client: FlaskClient, card: Card) -> None:
    path = f"/passkit/v1/devices/device0001/registrations/pass.dev.tessera.example/{card.serial_number}"
    headers = {"Authorization": f"ApplePass {card.auth_token}"}
    response = client.post(path, json={"pushToken": "ab" * 32}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)


def _pushes(card: Card) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxJob).where(
        OutboxJob.kind == "apns", OutboxJob.card_id == card.id, OutboxJob.status == "pending")) or 0


def _events() -> list[dict[str, Any]]:
    db.session.expire_all()
    payloads = db.session.scalars(select(OutboxJob.payload).where(OutboxJob.kind == "webhook").order_by(OutboxJob.id))
    return [json.loads(p) for p in payloads]


def _subscribe(owner: Api, *events: str) -> None:
    response = owner.post("/webhooks", {"url": "http://127.0.0.1:9/hooks", "events": list(events)})
    assert response.status_code == 201, response.get_json()


def _back_codes(client: FlaskClient, member: dict[str, Any]) -> list[str]:
    """The reward codes on the back of the pass the phone downloads, built the way it is served."""
    response = client.get(member["pass_url"].removeprefix("http://tessera.test"))
    assert response.status_code == 200
    back = check_pkpass_like_a_phone(response.data, **PHONE)["storeCard"]["backFields"]
    return [f["value"] for f in back if f["key"].startswith("reward_code_")]


def test_a_code_past_its_date_is_marked_expired_and_leaves_the_card(owner: Api, program: dict[str, Any],
                                                                     member: dict[str, Any], runner: FlaskCliRunner,
                                                                     client: FlaskClient) -> None:
    coffee, dinner = _reward(owner, program, "Caffè", 30), _reward(owner, program, "Cena", None)
    old, fresh = _codes(owner, member, coffee, 2)
    forever = _codes(owner, member, dinner)[0]
    other = _join(owner, program, "Bruno")
    others_old, used_old = _codes(owner, other, coffee, 2)
    assert owner.post("/rewards/redeem-code", {"code": used_old}).status_code == 200
    yesterday = utcnow() - timedelta(days=1)
    for code in (old, others_old, used_old):
        _expires(code, yesterday)
    _subscribe(owner, "reward.expired", "reward.redeemed")
    card = _card(member)
    _register_phone(client, card)
    before, pushes_before, events_before = card.version, _pushes(card), len(_events())
    assert pushes_before == 0

    assert _run(runner, utcnow()) == ["codes: 2 codes expired, 2 cards updated"]
    assert [_stored(c) for c in (old, fresh, forever, others_old, used_old)] == [
        "expired", "issued", "issued", "expired", "used"]
    assert _card(member).version == before + 1
    assert _pushes(_card(member)) == 1  # the phone is told to fetch the card again
    expired = _events()[events_before:]
    assert [(e["type"], e["data"]["code"]) for e in expired] == [("reward.expired", old),
                                                                 ("reward.expired", others_old)]
    assert expired[0]["data"] == {
        "member_id": member["id"], "program_id": program["id"], "reward_id": coffee["id"], "reward": "Caffè",
        "code": old, "expires_at": yesterday.isoformat()}
    shown = _back_codes(client, member)
    assert len(shown) == 2 and not any(old in value for value in shown)
    assert any(fresh in value for value in shown) and any(forever in value for value in shown)

    later = utcnow() + timedelta(minutes=5)
    assert _run(runner, later) == [NOTHING]  # a second run finds nothing to do
    assert _card(member).version == before + 1
    assert len(_events()) == events_before + 2
    refused = owner.post("/rewards/redeem-code", {"code": old})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "code_expired")


def test_a_code_not_yet_due_is_left_alone(owner: Api, program: dict[str, Any], member: dict[str, Any],
                                          runner: FlaskCliRunner) -> None:
    code = _codes(owner, member, _reward(owner, program, "Caffè", 30))[0]
    due = utcnow() + timedelta(days=2)
    _expires(code, due)
    before = _card(member).version
    assert _run(runner, due - timedelta(seconds=1)) == [NOTHING]
    assert (_stored(code), _card(member).version) == ("issued", before)
    assert _run(runner, due) == ["codes: 1 codes expired, 1 cards updated"]  # due at its very moment, as at the till
    assert (_stored(code), _card(member).version) == ("expired", before + 1)


def _dashboard_badge(client: FlaskClient, member: dict[str, Any], code: str) -> str:
    page = client.get(f"/dashboard/members/{member['id']}").get_data(as_text=True)
    found = re.search(rf'<code>{code}</code>.*?(<span class="badge[^>]*>[^<]*</span>)', page, flags=re.S)
    assert found, page
    return found.group(1)


def test_a_code_marked_by_the_job_reads_like_one_past_its_date(owner: Api, program: dict[str, Any],
                                                                member: dict[str, Any], runner: FlaskCliRunner,
                                                                client: FlaskClient) -> None:
    marked, unmarked, open_code = _codes(owner, member, _reward(owner, program, "Caffè", 30), 3)
    now = utcnow()
    _expires(marked, now - timedelta(days=2))
    _expires(unmarked, now - timedelta(hours=1))
    assert _run(runner, now - timedelta(days=1)) == ["codes: 1 codes expired, 1 cards updated"]  # a run a day ago
    assert (_stored(marked), _stored(unmarked)) == ("expired", "issued")

    listed = {c["code"]: c["status"] for c in owner.get(f"/members/{member['id']}/rewards").get_json()["items"]}
    assert listed == {marked: "expired", unmarked: "expired", open_code: "issued"}
    export = owner.get(f"/members/{member['id']}/export").get_json()
    assert {c["code"]: c["status"] for c in export["reward_codes"]} == listed
    assert [c for c in _back_codes(client, member) if marked in c or unmarked in c] == []
    assert any(open_code in c for c in _back_codes(client, member))

    client.post("/dashboard/login", data={"email": "owner@rossi.example", "password": "correct horse battery"})
    assert _dashboard_badge(client, member, marked) == _dashboard_badge(client, member, unmarked)
    assert _dashboard_badge(client, member, marked) != _dashboard_badge(client, member, open_code)
    till = client.get(f"/dashboard/programs/{program['id']}/till/{member['card_number']}").get_data(as_text=True)
    assert open_code in till and marked not in till and unmarked not in till
    for code in (marked, unmarked):
        refused = owner.post("/rewards/redeem-code", {"code": code.lower().replace("-", "")})
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "code_expired")

    # Erasure cancels the codes still open; the two past their date stay expired, marked or not.
    erased = client.delete(f"/api/v1/members/{member['id']}", headers={"Authorization": f"Bearer {owner.key}"})
    assert erased.status_code == 204
    after = {c["code"]: c["status"] for c in owner.get(f"/members/{member['id']}/rewards").get_json()["items"]}
    assert after == {marked: "expired", unmarked: "expired", open_code: "void"}
    void = owner.post("/rewards/redeem-code", {"code": open_code})
    assert (void.status_code, void.get_json()["error"]["code"]) == (409, "code_void")
    _expires(open_code, utcnow() - timedelta(minutes=1))  # a cancelled code stays cancelled past its date
    assert owner.get(f"/members/{member['id']}/rewards").get_json()["items"][0]["status"] == "void"
    void = owner.post("/rewards/redeem-code", {"code": open_code})
    assert (void.status_code, void.get_json()["error"]["code"]) == (409, "code_void")
    assert _run(runner, utcnow()) == [NOTHING]  # an erased member's card is left as the erasure left it
    assert _stored(unmarked) == "issued"


def test_two_runs_at_once_expire_each_code_once(app: Flask, owner: Api, program: dict[str, Any]) -> None:
    coffee = _reward(owner, program, "Caffè", 30)
    members = [_join(owner, program, f"M{i}") for i in range(5)]
    codes = [_codes(owner, m, coffee)[0] for m in members]
    _subscribe(owner, "reward.expired")
    for code in codes:
        _expires(code, utcnow() - timedelta(days=1))
    versions = [_card(m).version for m in members]
    now = utcnow()

    def run(_: int) -> list[str]:
        with app.app_context():
            try:
                return [r.summary() for r in run_schedules(now, only=("codes",))]
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = [lines[0] for lines in pool.map(run, range(2))]
    counted = [re.fullmatch(r"codes: (\d+) codes expired, (\d+) cards updated", line) for line in outputs]
    assert sum(int(m.group(1)) for m in counted if m) == 5, outputs  # each code by one run only
    assert all(m or line == "codes: skipped, another run is doing it now" for m, line in zip(counted, outputs))
    assert [_stored(c) for c in codes] == ["expired"] * 5
    assert [_card(m).version for m in members] == [v + 1 for v in versions]
    assert sorted(e["data"]["code"] for e in _events()) == sorted(codes)


def test_the_command_line_runs_the_codes_job_alone_or_last(owner: Api, program: dict[str, Any],
                                                           member: dict[str, Any], runner: FlaskCliRunner) -> None:
    code = _codes(owner, member, _reward(owner, program, "Caffè", 30))[0]
    _expires(code, utcnow() - timedelta(days=1))
    result = runner.invoke(args=["run-schedules", "--only", "codes"])
    assert (result.exit_code, result.output) == (0, "codes: 1 codes expired, 1 cards updated\n")
    everything = _run(runner, utcnow(), None)
    assert [line.split(":")[0] for line in everything] == ["birthdays", "expiry", "tiers", "codes"]
    assert everything[-1] == NOTHING
    wrong = runner.invoke(args=["run-schedules", "--only", "code"])
    assert wrong.exit_code != 0
    assert wrong.output.strip() == "Error: --only 'code' must be one of birthdays, expiry, tiers, codes"
    assert "codes" in runner.invoke(args=["run-schedules", "--help"]).output


def test_a_batch_costs_the_same_statements_for_any_number_of_members(
    owner: Api, program: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set-based: a batch of members is a handful of statements, not a handful per member."""
    from app.loyalty.code_expiry import expire_codes
    from tests.support.queries import statements

    monkeypatch.setattr(batches, "BATCH_SIZE", 100)  # every member in one batch
    _subscribe(owner, "reward.expired")
    reward = _reward(owner, program, "Caffè", 30)
    yesterday = utcnow() - timedelta(days=1)
    counts = []
    for size in (2, 8):
        for n in range(size):
            member = _join(owner, program, f"Batch{size}x{n}")
            for code in _codes(owner, member, reward):
                _expires(code, yesterday)
        with statements() as seen:
            done = expire_codes(utcnow())
        assert (done.codes, done.cards) == (size, size)
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
