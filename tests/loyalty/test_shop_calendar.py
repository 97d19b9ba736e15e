"""The loyalty rules keep the shop's calendar (TIMEZONE=Europe/Rome here), not UTC's.

At 00:30 in Rome it is still 22:30 or 23:30 of the day before in UTC: a birthday bonus, a points
deadline, the date the card says the points go and the date a member joined all follow the local
day, whatever zone the server's clock or the job's `--now` is written in."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from app.extensions import db
from app.loyalty.ledger import post
from app.loyalty.segments import Segment, segment_members
from app.models import LedgerEntry, Member, Program
from tests.conftest import Api, new_merchant
from tests.dashboard.test_timezone import rome  # noqa: F401 (the fixture: an app with TIMEZONE=Europe/Rome)
from tests.support.phone import check_pkpass_like_a_phone
from tests.support.written import written_day

UTC = timezone.utc
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def shop(rome: Flask) -> Iterator[Api]:  # noqa: F811 (the fixture imported above)
    key = new_merchant(rome.test_cli_runner(), "Caffè Rossi", "owner@rossi.example")
    yield Api(rome.test_client(), key)


def _program(shop: Api, **rules: Any) -> int:
    response = shop.post("/programs", {"name": "Rossi Club", **rules})
    assert response.status_code == 201, response.get_json()
    program_id = int(response.get_json()["id"])
    # The rules have been in place for long: expiry may come without a fresh warning period.
    db.session.execute(update(Program).where(Program.id == program_id).values(updated_at=LONG_AGO))
    db.session.commit()
    return program_id


def _join(shop: Api, program_id: int, name: str, **fields: Any) -> Member:
    response = shop.post(f"/programs/{program_id}/members", {
        "name": name, "email": f"{name.lower()}@example.com", "consent": {"terms": True}, **fields})
    assert response.status_code == 201, response.get_json()
    return db.session.get_one(Member, response.get_json()["id"])


def _run(rome: Flask, now: datetime, job: str) -> str:  # noqa: F811
    result = rome.test_cli_runner().invoke(args=["run-schedules", "--now", now.isoformat(), "--only", job])
    assert result.exit_code == 0, result.output
    return str(result.output.strip())


def _points(shop: Api, member: Member) -> int:
    return int(shop.get(f"/members/{member.id}").get_json()["points"])


def _back(rome: Flask, shop: Api, member: Member) -> dict[str, str]:  # noqa: F811
    url = shop.get(f"/members/{member.id}").get_json()["pass_url"]
    response = rome.test_client().get(url.removeprefix(rome.config["PUBLIC_URL"]))
    assert response.status_code == 200
    pass_json = check_pkpass_like_a_phone(response.data, pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    return {f["key"]: f["value"] for f in pass_json["storeCard"]["backFields"]}


def test_a_birthday_starts_at_local_midnight(rome: Flask, shop: Api) -> None:  # noqa: F811
    program_id = _program(shop, birthday_bonus=50)
    anna = _join(shop, program_id, "Anna", birthday="1990-05-15")
    # 22:30 UTC on 14 May is 00:30 on 15 May in Rome: the shop's day has turned.
    assert _run(rome, datetime(2030, 5, 14, 22, 30, tzinfo=UTC), "birthdays") == "birthdays: 1 bonuses given"
    assert _points(shop, anna) == 50
    # 21:30 UTC on 15 May is 23:30 in Rome, still the birthday: given once, not again.
    assert _run(rome, datetime(2030, 5, 15, 21, 30, tzinfo=UTC), "birthdays") == "birthdays: 0 bonuses given"
    # The same instant written with another offset is the same local day.
    assert _run(rome, datetime(2030, 5, 14, 17, 30, tzinfo=timezone(timedelta(hours=-5))),
                "birthdays") == "birthdays: 0 bonuses given"
    assert _points(shop, anna) == 50


def test_a_fixed_date_takes_what_was_earned_before_local_midnight(rome: Flask, shop: Api) -> None:  # noqa: F811
    program_id = _program(shop, expiry_policy="fixed_date", expiry_date="01-01", expiry_warning_days=30)
    late = _join(shop, program_id, "Anna")
    # 22:30 UTC on 31 December is 23:30 in Rome: earned before the first of January, so it goes.
    post(late, 70, now=datetime(2026, 12, 31, 22, 30, tzinfo=UTC))
    # 23:30 UTC is already 00:30 on 1 January in Rome: earned on the day, so it stays.
    post(late, 30, now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    db.session.commit()
    # Still 31 December in Rome (22:59 UTC): nothing goes yet.
    assert _run(rome, datetime(2026, 12, 31, 22, 59, tzinfo=UTC), "expiry").startswith("expiry: 0 balances expired")
    assert _points(shop, late) == 100
    # 23:30 UTC on 31 December is the first of January in Rome: the deadline has come.
    assert _run(rome, datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "expiry").startswith("expiry: 1 balances expired")
    expired = db.session.scalars(select(LedgerEntry.points).where(LedgerEntry.member_id == late.id,
                                                                  LedgerEntry.kind == "expire")).all()
    assert expired == [-70]
    assert _points(shop, late) == 30


def test_inactivity_counts_days_from_the_local_date_of_the_last_visit(rome: Flask, shop: Api) -> None:  # noqa: F811
    program_id = _program(shop, expiry_policy="inactivity", expiry_days=30, expiry_warning_days=7, locale="en")
    member = _join(shop, program_id, "Bruno")
    # The last visit at 23:30 UTC on 1 March was on 2 March in Rome: the points go on 1 April.
    post(member, 40, now=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    db.session.commit()
    db.session.refresh(member)
    assert member.last_activity_at == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert _run(rome, datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "expiry").startswith("expiry: 0 balances expired")
    assert _points(shop, member) == 40
    # 22:00 UTC on 31 March is midnight of 1 April in Rome (summer time since 29 March).
    assert _run(rome, datetime(2026, 3, 31, 22, 0, tzinfo=UTC), "expiry").startswith("expiry: 1 balances expired")
    assert _points(shop, member) == 0


def test_the_card_names_local_dates(rome: Flask, shop: Api) -> None:  # noqa: F811
    program_id = _program(shop, expiry_policy="inactivity", expiry_days=30, expiry_warning_days=30, locale="en")
    member = _join(shop, program_id, "Carla")
    # Joined and last seen at 23:30 UTC yesterday, which was already today in Rome (UTC+1 or +2).
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    evening = datetime.combine(yesterday, time(23, 30), tzinfo=UTC)
    post(member, 25, now=evening)
    db.session.execute(update(Member).where(Member.id == member.id).values(created_at=evening))
    db.session.commit()
    back = _back(rome, shop, member)
    local_day = yesterday + timedelta(days=1)
    assert back["since"].startswith(f"{local_day.isoformat()}T")  # Wallet writes the date from it
    # 30 days after the local day of the visit, not after the UTC one.
    assert back["expiry"] == f"25 points expire on {written_day(local_day + timedelta(days=30), 'en')}"


def test_the_referral_limit_is_per_local_month(rome: Flask, shop: Api) -> None:  # noqa: F811
    program_id = _program(shop, referrer_bonus=10, referral_monthly_limit=1)
    anna = _join(shop, program_id, "Anna")
    code = shop.get(f"/members/{anna.id}").get_json()["referral_code"]
    april, may = (_join(shop, program_id, name, referral_code=code) for name in ("Bruno", "Carla"))
    post(april, 5, now=datetime(2026, 4, 30, 21, 30, tzinfo=UTC))  # 23:30 on 30 April in Rome
    post(may, 5, now=datetime(2026, 4, 30, 22, 30, tzinfo=UTC))  # 00:30 on 1 May in Rome: a new month
    db.session.commit()
    assert _points(shop, anna) == 20


def test_the_birthday_segment_is_the_local_month(rome: Flask, shop: Api) -> None:  # noqa: F811
    program_id = _program(shop)
    _join(shop, program_id, "Anna", birthday="1990-04-10")
    may = _join(shop, program_id, "Bruno", birthday="1990-05-20")
    program = db.session.get_one(Program, program_id)
    first_of_may = datetime(2026, 4, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 May in Rome
    chosen = db.session.scalars(segment_members(program, Segment("birthday_month"), first_of_may)).all()
    assert chosen == [may.id]
