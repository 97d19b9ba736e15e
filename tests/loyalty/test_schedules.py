from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, update

from app.extensions import db
from app.loyalty import batches
from app.loyalty.ledger import post
from app.loyalty.schedules import job_lock, run_schedules
from app.models import Card, LedgerEntry, Member, OutboxJob, Program, WebhookEndpoint
from app.models._common import utcnow
from tests.conftest import Api
from tests.support.phone import check_pkpass_like_a_phone
from tests.support.written import italian_on, written_day

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)  # several batches even with a handful of members


def _program(owner: Api, **rules: Any) -> dict[str, Any]:
    response = owner.post("/programs", {"name": "Club", "tiers": [
        {"name": "Bronze", "min_points": 0}, {"name": "Silver", "min_points": 500}, {"name": "Gold", "min_points": 1000}],
        **rules})
    assert response.status_code == 201, response.get_json()
    # The rules have been in place for long: expiry may come without a fresh warning period.
    db.session.execute(update(Program).where(Program.id == response.get_json()["id"]).values(updated_at=LONG_AGO))
    db.session.commit()
    return dict(response.get_json())


def _join(owner: Api, program: dict[str, Any], name: str, birthday: str | None = None) -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/members", {
        "name": name, "email": f"{name.lower()}@example.com", "birthday": birthday, "consent": {"terms": True}})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _run(runner: FlaskCliRunner, now: datetime, *only: str) -> list[str]:
    args = ["run-schedules", "--now", now.isoformat()] + (["--only", only[0]] if only else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def _entries(member_id: int, kind: str) -> list[LedgerEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id, LedgerEntry.kind == kind)))


def _version(member_id: int) -> int:
    db.session.expire_all()
    return db.session.scalars(select(Card.version).where(Card.member_id == member_id)).one()


def _set_member(member_id: int, **values: Any) -> None:
    db.session.execute(update(Member).where(Member.id == member_id).values(**values))
    db.session.commit()


def _back(client: Any, owner: Api, member_id: int) -> dict[str, Any]:
    url = owner.get(f"/members/{member_id}").get_json()["pass_url"].removeprefix("http://tessera.test")
    pass_json = check_pkpass_like_a_phone(client.get(url).data, pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    return {f["key"]: f for f in pass_json["storeCard"]["backFields"]}


# Birthdays -------------------------------------------------------------------------------------

def test_birthday_bonus_once_a_year_and_29_february_on_28(owner: Api, runner: FlaskCliRunner) -> None:
    program = _program(owner, birthday_bonus=100)
    born_28 = _join(owner, program, "Anna", "1990-02-28")
    born_29 = _join(owner, program, "Bruno", "1992-02-29")
    other = _join(owner, program, "Carla", "1990-03-01")
    no_date = _join(owner, program, "Dario")
    before = _version(born_28["id"])
    day = datetime(2027, 2, 28, 7, 0, tzinfo=timezone(timedelta(hours=1)))  # 2027 has no 29 February
    assert _run(runner, day) == ["birthdays: 2 bonuses given", "expiry: 0 balances expired, 0 cards warned",
                                 "tiers: 0 members moved down", "codes: 0 codes expired, 0 cards updated"]
    assert _run(runner, day + timedelta(hours=5), "birthdays") == ["birthdays: 0 bonuses given"]
    assert [(e.points, e.reason) for e in _entries(born_28["id"], "bonus")] == [(100, "Birthday bonus")]
    assert len(_entries(born_29["id"], "bonus")) == 1
    assert _entries(other["id"], "bonus") == [] and _entries(no_date["id"], "bonus") == []
    assert _version(born_28["id"]) == before + 1  # the card shows the new balance, pushed to the phone
    assert owner.get(f"/members/{born_28['id']}").get_json()["points"] == 100
    leap = datetime(2028, 2, 28, 9, 0, tzinfo=timezone.utc)
    assert _run(runner, leap, "birthdays") == ["birthdays: 1 bonuses given"]  # in a leap year, the 29th is the day
    assert _run(runner, leap + timedelta(days=1), "birthdays") == ["birthdays: 1 bonuses given"]
    assert len(_entries(born_29["id"], "bonus")) == 2


def test_no_bonus_configured_gives_nothing(owner: Api, runner: FlaskCliRunner) -> None:
    member = _join(owner, _program(owner), "Anna", "1990-05-05")
    assert _run(runner, datetime(2030, 5, 5, 8, tzinfo=timezone.utc), "birthdays") == ["birthdays: 0 bonuses given"]
    assert _entries(member["id"], "bonus") == []


# Expiry ----------------------------------------------------------------------------------------

def test_inactivity_warns_on_the_card_then_expires_in_the_ledger(owner: Api, runner: FlaskCliRunner, client: Any) -> None:
    program = _program(owner, expiry_policy="inactivity", expiry_days=365, expiry_warning_days=30)
    idle = _join(owner, program, "Anna")
    busy = _join(owner, program, "Bruno")
    for member in (idle, busy):
        owner.post(f"/members/{member['id']}/transactions", {"points": 120})
    today = utcnow().date()
    _set_member(idle["id"], last_activity_at=utcnow() - timedelta(days=350))  # goes in 15 days
    _set_member(busy["id"], last_activity_at=utcnow() - timedelta(days=300))  # in 65: no warning yet
    deadline = today + timedelta(days=15)
    stamped = db.session.scalars(select(Card.updated_at).where(Card.member_id == idle["id"])).one()
    db.session.execute(update(Card).values(updated_at=utcnow() - timedelta(days=20)))  # last changed before the window
    db.session.commit()
    before = _version(idle["id"])
    assert stamped is not None
    assert _run(runner, utcnow(), "expiry") == ["expiry: 0 balances expired, 1 cards warned"]
    assert _version(idle["id"]) == before + 1  # the phone fetches the card that now warns
    assert _run(runner, utcnow(), "expiry") == ["expiry: 0 balances expired, 0 cards warned"]
    assert _version(idle["id"]) == before + 1
    warning = _back(client, owner, idle["id"])["expiry"]
    assert warning["value"] == f"120 punti scadono {italian_on(deadline)}"
    assert warning["changeMessage"] == "%@"
    assert "expiry" not in _back(client, owner, busy["id"])

    on_the_day = datetime.combine(deadline, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=6)
    assert _run(runner, on_the_day, "expiry") == ["expiry: 1 balances expired, 0 cards warned"]
    assert _run(runner, on_the_day + timedelta(hours=1), "expiry") == ["expiry: 0 balances expired, 0 cards warned"]
    history = owner.get(f"/members/{idle['id']}/transactions").get_json()["items"]
    assert (history[0]["kind"], history[0]["points"], history[0]["balance"]) == ("expire", -120, 0)
    assert "365 days without activity" in history[0]["reason"]
    assert owner.get(f"/members/{busy['id']}").get_json()["points"] == 120
    assert "expiry" not in _back(client, owner, idle["id"])


def test_switching_expiry_on_waits_for_the_warning_period(owner: Api, runner: FlaskCliRunner) -> None:
    program = _program(owner)
    member = _join(owner, program, "Anna")
    owner.post(f"/members/{member['id']}/transactions", {"points": 50})
    _set_member(member["id"], last_activity_at=utcnow() - timedelta(days=900))
    owner.patch(f"/programs/{program['id']}", {"expiry_policy": "inactivity", "expiry_days": 365,
                                               "expiry_warning_days": 10})
    # The change itself re-rendered every card, with the warning: nothing more to push.
    assert _run(runner, utcnow(), "expiry") == ["expiry: 0 balances expired, 0 cards warned"]
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 50
    assert _run(runner, utcnow() + timedelta(days=9), "expiry") == ["expiry: 0 balances expired, 0 cards warned"]
    assert _run(runner, utcnow() + timedelta(days=10), "expiry") == ["expiry: 1 balances expired, 0 cards warned"]


def test_fixed_date_expires_what_was_earned_before_it(owner: Api, runner: FlaskCliRunner, client: Any) -> None:
    day = utcnow().date() + timedelta(days=10)
    program = _program(owner, expiry_policy="fixed_date", expiry_date=day.strftime("%m-%d"), expiry_warning_days=20,
                       locale="en")
    early = _join(owner, program, "Anna")
    owner.post(f"/members/{early['id']}/transactions", {"points": 300})
    owner.post(f"/members/{early['id']}/transactions", {"points": -100})
    assert _run(runner, utcnow(), "expiry") == ["expiry: 0 balances expired, 0 cards warned"]  # changed in the window
    db.session.execute(update(Card).values(updated_at=utcnow() - timedelta(days=15)))  # changed before it opened
    db.session.commit()
    assert _run(runner, utcnow(), "expiry") == ["expiry: 0 balances expired, 1 cards warned"]
    assert _back(client, owner, early["id"])["expiry"]["value"] == f"200 points expire on {written_day(day, 'en')}"
    after = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=2)
    post(db.session.get_one(Member, early["id"]), 40, now=after)  # earned on the day itself: kept
    db.session.commit()
    assert _run(runner, after + timedelta(hours=4), "expiry") == ["expiry: 1 balances expired, 0 cards warned"]
    assert _run(runner, after + timedelta(days=3), "expiry") == ["expiry: 0 balances expired, 0 cards warned"]
    expired = _entries(early["id"], "expire")
    assert [e.points for e in expired] == [-200]
    assert owner.get(f"/members/{early['id']}").get_json()["points"] == 40


# Tiers -----------------------------------------------------------------------------------------

def test_downgrade_after_grace_never_when_locked_or_never_policy(owner: Api, runner: FlaskCliRunner) -> None:
    program = _program(owner, tier_basis="rolling", tier_window_days=7, downgrade_policy="scheduled",
                       downgrade_grace_days=30)
    steady = _program(owner, tier_basis="rolling", tier_window_days=7)  # downgrade_policy "never"
    gold, locked, kept = _join(owner, program, "Anna"), _join(owner, program, "Bruno"), _join(owner, steady, "Carla")
    for member in (gold, locked, kept):
        assert owner.post(f"/members/{member['id']}/transactions", {"points": 1200}).get_json()["tier"] == "Gold"
    _set_member(locked["id"], tier_locked=True)
    member = db.session.get_one(Member, gold["id"])
    db.session.add(WebhookEndpoint(merchant_id=member.merchant_id, url="https://hooks.example/t", secret="s" * 32,
                                   events="tier.changed", active=True))
    db.session.commit()
    before = _version(gold["id"])
    assert _run(runner, utcnow() + timedelta(days=20), "tiers") == ["tiers: 0 members moved down"]  # within grace
    later = utcnow() + timedelta(days=31)
    assert _run(runner, later, "tiers") == ["tiers: 1 members moved down"]
    assert _run(runner, later + timedelta(hours=1), "tiers") == ["tiers: 0 members moved down"]
    db.session.expire_all()
    moved = db.session.get_one(Member, gold["id"])
    assert moved.tier == "Bronze" and moved.tier_changed_at is not None
    assert abs((moved.tier_changed_at - later).total_seconds()) < 1
    assert _version(gold["id"]) == before + 1
    assert owner.get(f"/members/{gold['id']}").get_json()["tier"] == "Bronze"
    assert owner.get(f"/members/{locked['id']}").get_json()["tier"] == "Gold"
    assert owner.get(f"/members/{kept['id']}").get_json()["tier"] == "Gold"
    events = [json.loads(p)["data"] for p in db.session.scalars(select(OutboxJob.payload).where(OutboxJob.kind == "webhook"))]
    assert [(e["member_id"], e["from"], e["to"]) for e in events] == [(gold["id"], "Gold", "Bronze")]


def test_lifetime_basis_keeps_the_tier_earned(owner: Api, runner: FlaskCliRunner) -> None:
    program = _program(owner, downgrade_policy="scheduled")
    member = _join(owner, program, "Anna")
    owner.post(f"/members/{member['id']}/transactions", {"points": 600})
    owner.post(f"/members/{member['id']}/transactions", {"points": -600})  # spending never costs the status
    assert _run(runner, utcnow() + timedelta(days=400), "tiers") == ["tiers: 0 members moved down"]
    assert owner.get(f"/members/{member['id']}").get_json()["tier"] == "Silver"


# Several runs at once ----------------------------------------------------------------------------

def test_two_runs_at_once_do_each_thing_once(app: Flask, owner: Api) -> None:
    program = _program(owner, birthday_bonus=25, expiry_policy="inactivity", expiry_days=30, expiry_warning_days=5)
    members = [_join(owner, program, f"M{i}", "1990-07-14") for i in range(5)]
    for member in members:
        owner.post(f"/members/{member['id']}/transactions", {"points": 10})
        _set_member(member["id"], last_activity_at=LONG_AGO)
    now = datetime(2031, 7, 14, 6, 0, tzinfo=timezone.utc)

    def run(_: int) -> list[str]:
        with app.app_context():
            try:
                return [r.summary() for r in run_schedules(now)]
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(run, range(2)))
    assert all(len(lines) == 4 for lines in outputs)
    db.session.expire_all()
    ids = [m["id"] for m in members]
    for kind in ("bonus", "expire"):
        per_member = dict(db.session.execute(select(LedgerEntry.member_id, func.count()).where(
            LedgerEntry.member_id.in_(ids), LedgerEntry.kind == kind).group_by(LedgerEntry.member_id)).all())
        assert per_member == {i: 1 for i in ids}, kind
    assert [r.summary() for r in run_schedules(now)][:2] == ["birthdays: 0 bonuses given",
                                                             "expiry: 0 balances expired, 0 cards warned"]


def test_a_job_another_machine_holds_is_skipped_on_postgresql(app: Flask) -> None:
    with job_lock("tiers") as mine:
        assert mine
        results = run_schedules(datetime(2031, 1, 1, tzinfo=timezone.utc), only=("tiers",))
    postgres = db.engine.dialect.name == "postgresql"
    assert [r.summary() for r in results] == (["tiers: skipped, another run is doing it now"] if postgres
                                              else ["tiers: 0 members moved down"])
    assert [r.summary() for r in run_schedules(datetime(2031, 1, 1, tzinfo=timezone.utc), only=("tiers",))] == [
        "tiers: 0 members moved down"]  # the lock went with its holder


# Command line ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--now", "yesterday"], ["--now", "2026-01-01T06:00:00"], ["--now", ""], ["--only", "coffee"],
])
def test_cli_errors_are_one_line(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=["run-schedules", *args])
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error: "), result.output


def test_without_now_it_runs_as_of_today(owner: Api, runner: FlaskCliRunner) -> None:
    today = date.today()
    birthday = date(1990, today.month, min(today.day, 28)).isoformat()
    _join(owner, _program(owner, birthday_bonus=5), "Anna", birthday)
    lines = runner.invoke(args=["run-schedules", "--only", "birthdays"]).output.strip().splitlines()
    assert lines == [f"birthdays: {1 if today.day <= 28 else 0} bonuses given"]
