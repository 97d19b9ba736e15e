from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import insert, select

from app.extensions import db
from app.loyalty.stats import DayCount, TierCount, program_stats
from app.models import Card, CardEvent, Device, LedgerEntry, Member, Program, PushAttempt, Registration, Reward, RewardCode
from app.models._common import utcnow
from tests.conftest import Api, new_merchant
from tests.dashboard.test_timezone import rome  # noqa: F401 (the fixture: an app with TIMEZONE=Europe/Rome)
from tests.support.queries import statements

DAY = timedelta(days=1)


def _program(program: dict[str, Any]) -> Program:
    db.session.expire_all()
    return db.session.get_one(Program, program["id"])


def _member(program: Program, name: str, created: datetime, **values: Any) -> tuple[int, int]:
    member = Member(merchant_id=program.merchant_id, program_id=program.id, name=name, email=f"{name}@example.com",
                    consent_terms=True, consent_version="terms-v1", referral_code=name.upper()[:16],
                    created_at=created, **values)
    db.session.add(member)
    db.session.flush()
    card = Card(member_id=member.id, program_id=program.id, serial_number=f"serial-{name}",
                card_number=f"{member.id:013d}", auth_token=f"token-{name}")
    db.session.add(card)
    db.session.flush()
    return member.id, card.id


def _entry(program: Program, member_id: int, kind: str, points: int, at: datetime, amount: str | None = None) -> int:
    entry = LedgerEntry(merchant_id=program.merchant_id, member_id=member_id, kind=kind, points=points,
                        amount=Decimal(amount) if amount else None, balance_after=0, created_at=at)
    db.session.add(entry)
    db.session.flush()
    return entry.id


def _install(card_id: int, device: str) -> None:
    phone = Device(library_identifier=device, push_token=device * 4)
    db.session.add(phone)
    db.session.flush()
    db.session.add(Registration(device_id=phone.id, card_id=card_id))


def test_every_figure_matches_the_hand_count(program: dict[str, Any], owner: Api) -> None:
    now = utcnow()
    p = _program(program)
    ada, ada_card = _member(p, "ada", now - 100 * DAY, tier="Bronze", last_activity_at=now - 4 * DAY)
    bea, bea_card = _member(p, "bea", now - 10 * DAY, tier="Gold", last_activity_at=now - 2 * DAY)
    _, cid_card = _member(p, "cid", now - 2 * DAY, tier="Bronze")
    dan, _ = _member(p, "dan", now - 50 * DAY, tier="Bronze", last_activity_at=now - 45 * DAY)
    eve, _ = _member(p, "eve", now - 200 * DAY, tier="Gold", last_activity_at=now - 20 * DAY, erased_at=now - DAY)
    _entry(p, ada, "earn", 100, now - 80 * DAY, "10.00")
    _entry(p, ada, "earn", 50, now - 5 * DAY, "5.00")
    _entry(p, ada, "redeem", -30, now - 4 * DAY)
    _entry(p, bea, "bonus", 100, now - 10 * DAY)
    _entry(p, bea, "earn", 1200, now - 3 * DAY, "120.00")
    used = _entry(p, bea, "reward", -100, now - 2 * DAY)
    _entry(p, dan, "earn", 20, now - 45 * DAY, "2.50")
    _entry(p, dan, "expire", -20, now - DAY)
    _entry(p, eve, "earn", 40, now - 20 * DAY, "4.00")
    _entry(p, eve, "adjust", 10, now - 20 * DAY)
    coffee = Reward(program_id=p.id, name="Coffee", cost=100)
    db.session.add(coffee)
    db.session.flush()
    db.session.add_all([RewardCode(reward_id=coffee.id, member_id=bea, code="USED1", status="used", ledger_entry_id=used),
                        RewardCode(reward_id=coffee.id, member_id=ada, code="OPEN1", status="issued")])
    _install(ada_card, "phone-a")
    _install(ada_card, "watch-a")
    _install(bea_card, "phone-b")
    db.session.add_all([CardEvent(program_id=program["id"], card_id=cid_card, kind="installed"),
                        CardEvent(program_id=program["id"], card_id=cid_card, kind="removed", reason="unregistered"),
                        PushAttempt(card_id=ada_card, attempt=1, outcome="delivered")])
    # Another program of the same merchant must not leak into these figures.
    other = owner.post("/programs", {"name": "Other Club"}).get_json()
    stranger, stranger_card = _member(_program(other), "zed", now - DAY, last_activity_at=now - DAY)
    _entry(_program(other), stranger, "earn", 999, now - DAY, "99.00")
    _install(stranger_card, "phone-z")
    db.session.commit()

    stats = program_stats(_program(program), days=30, now=now)

    assert (stats.members, stats.active_members_30d, stats.active_members_90d) == (4, 2, 3)
    assert (stats.cards_installed, stats.installations, stats.cards_removed) == (2, 3, 1)
    assert stats.repeat_visit_rate == 0.25  # ada earned twice; ada, bea, dan, eve at least once
    assert stats.points_issued == 100 + 50 + 100 + 1200 + 20 + 40
    assert stats.points_redeemed == 30 + 100
    assert stats.points_expired == 20
    assert stats.points_adjusted == 10
    assert stats.points_outstanding == 1510 - 130 - 20 + 10
    assert (stats.reward_codes_issued, stats.rewards_redeemed) == (2, 1)
    assert stats.tiers == [TierCount("Bronze", 3), TierCount("Gold", 1)]
    # In the last 30 days: ada earned and redeemed, bea earned and took a reward, eve earned (her bonus is no visit).
    assert stats.period_active_members == 3
    assert stats.average_visits == round(5 / 3, 2)
    assert stats.average_spend == Decimal("43.00")  # (5.00 + 120.00 + 4.00) / 3
    assert len(stats.enrolments) == 30
    assert stats.enrolments[-1].date == now.date().isoformat()
    enrolled = {d.date: d.members for d in stats.enrolments if d.members}
    assert enrolled == {(now - 10 * DAY).date().isoformat(): 1, (now - 2 * DAY).date().isoformat(): 1}
    assert stats.currency == "EUR"


def test_an_empty_program_has_zero_figures(program: dict[str, Any]) -> None:
    stats = program_stats(_program(program), days=7)
    assert (stats.members, stats.points_outstanding, stats.repeat_visit_rate, stats.average_visits) == (0, 0, 0.0, 0.0)
    assert stats.average_spend == Decimal("0.00")
    assert stats.tiers == [TierCount("Bronze", 0), TierCount("Gold", 0)]
    assert stats.enrolments[-1] == DayCount(utcnow().date().isoformat(), 0) and len(stats.enrolments) == 7


def _crowd(program: Program, first: int, count: int) -> None:
    """`count` members with cards, three ledger entries each and a phone, written in bulk."""
    now = utcnow()
    members = [{"id": first + i, "merchant_id": program.merchant_id, "program_id": program.id, "name": f"m{first + i}",
                "email": f"m{first + i}@example.com", "consent_terms": True, "consent_version": "terms-v1",
                "referral_code": f"R{first + i}", "tier": "Gold" if i % 3 == 0 else "Bronze",
                "last_activity_at": now - (i % 100) * DAY, "created_at": now - (i % 40) * DAY} for i in range(count)]
    db.session.execute(insert(Member), members)
    db.session.execute(insert(Card), [{"id": m["id"], "member_id": m["id"], "program_id": program.id,
                                       "serial_number": f"s{m['id']}", "card_number": f"{m['id']:013d}",
                                       "auth_token": f"t{m['id']}"} for m in members])
    entries = [{"merchant_id": program.merchant_id, "member_id": m["id"], "kind": kind, "points": points,
                "amount": Decimal("3.50") if kind == "earn" else None, "balance_after": 0, "created_at": now - n * DAY}
               for m in members for n, (kind, points) in enumerate((("earn", 30), ("earn", 20), ("redeem", -10)))]
    db.session.execute(insert(LedgerEntry), entries)
    db.session.execute(insert(Device), [{"id": m["id"], "library_identifier": f"d{m['id']}", "push_token": "ab"}
                                        for m in members])
    db.session.execute(insert(Registration), [{"device_id": m["id"], "card_id": m["id"]} for m in members])
    db.session.commit()


def _count_statements(program: dict[str, Any]) -> tuple[int, int]:
    loaded = _program(program)
    with statements() as seen:
        stats = program_stats(loaded)
    return len(seen), stats.members


def test_the_number_of_statements_does_not_grow_with_members(program: dict[str, Any]) -> None:
    _crowd(_program(program), 1000, 3)
    small, members = _count_statements(program)
    assert members == 3
    _crowd(_program(program), 2000, 297)
    large, members = _count_statements(program)
    assert members == 300
    assert large == small
    assert small <= 10


def test_the_api_answers_with_the_figures(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 120}).status_code == 201
    response = owner.get(f"/programs/{program['id']}/stats?days=7")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["members"], body["points_issued"], body["points_outstanding"], body["days"]) == (1, 120, 120, 7)
    assert body["active_members_30d"] == 1 and body["average_spend"] == "0.00"
    assert body["tiers"] == [{"name": "Bronze", "members": 1}, {"name": "Gold", "members": 0}]
    assert body["enrolments"][-1] == {"date": utcnow().date().isoformat(), "members": 1}
    assert len(owner.get(f"/programs/{program['id']}/stats").get_json()["enrolments"]) == 30


@pytest.mark.parametrize("days", ["0", "367", "x", "-1"])
def test_a_bad_period_is_refused(owner: Api, program: dict[str, Any], days: str) -> None:
    response = owner.get(f"/programs/{program['id']}/stats?days={days}")
    assert response.status_code == 400
    assert "days" in response.get_json()["error"]["message"]


def test_figures_are_the_owners_own(owner: Api, program: dict[str, Any], client: FlaskClient,
                                    runner: FlaskCliRunner) -> None:
    other = Api(client, new_merchant(runner, "Other Shop", "owner@other.example"))
    assert other.get(f"/programs/{program['id']}/stats").status_code == 404
    key = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"]).output
    cashier = Api(client, key.strip().splitlines()[-1])
    assert cashier.get(f"/programs/{program['id']}/stats").status_code == 403


def test_installed_cards_need_an_existing_device(program: dict[str, Any]) -> None:
    _crowd(_program(program), 1000, 2)
    db.session.execute(Device.__table__.delete().where(Device.id == 1000))
    db.session.commit()
    stats = program_stats(_program(program))
    assert (stats.cards_installed, stats.installations) == (1, 1)
    assert db.session.scalar(select(Registration.card_id)) == 1001


def test_enrolments_count_the_days_of_the_configured_zone(rome: Flask) -> None:
    """TIMEZONE=Europe/Rome: 29 March 2026 runs from 28 March 23:00 UTC to 29 March 22:00 UTC (23 hours),
    25 October from 24 October 22:00 UTC to 25 October 23:00 UTC (25 hours)."""
    key = new_merchant(rome.test_cli_runner(), "Caffè Rossi", "owner@rossi.example")
    created = Api(rome.test_client(), key).post("/programs", {"name": "Rossi Club"}).get_json()
    p = _program(created)
    for name, at in (("a", datetime(2026, 3, 28, 22, 59, 59)), ("b", datetime(2026, 3, 28, 23, 0)),
                     ("c", datetime(2026, 3, 29, 21, 59, 59)), ("d", datetime(2026, 3, 29, 22, 0)),
                     ("e", datetime(2026, 10, 24, 21, 59, 59)), ("f", datetime(2026, 10, 24, 22, 0)),
                     ("g", datetime(2026, 10, 25, 22, 59, 59)), ("h", datetime(2026, 10, 25, 23, 0))):
        _member(p, name, at.replace(tzinfo=timezone.utc))
    db.session.commit()

    spring = program_stats(_program(created), days=3, now=datetime(2026, 3, 29, 22, 30, tzinfo=timezone.utc))
    assert spring.enrolments == [DayCount("2026-03-28", 1), DayCount("2026-03-29", 2), DayCount("2026-03-30", 1)]
    autumn = program_stats(_program(created), days=3, now=datetime(2026, 10, 26, 9, tzinfo=timezone.utc))
    assert autumn.enrolments == [DayCount("2026-10-24", 1), DayCount("2026-10-25", 2), DayCount("2026-10-26", 1)]
