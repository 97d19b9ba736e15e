"""TIMEZONE: the dashboard shows times in the shop's zone, and the figures count its calendar days.

In Europe/Rome (2026) the clocks go forward at 01:00 UTC on Sunday 29 March (02:00 CET becomes
03:00 CEST): that day runs from 28 March 23:00 UTC to 29 March 22:00 UTC, 23 hours. They go back at
01:00 UTC on Sunday 25 October (03:00 CEST becomes 02:00 CET): that day runs from 24 October 22:00
UTC to 25 October 23:00 UTC, 25 hours. Every expected day below is worked out from those instants.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.loyalty.days import local_days
from app.loyalty.figures import Figures, program_figures
from app.models import ApiKey, Card, CardEvent, LedgerEntry, Location, Member, Program, Reward, RewardCode
from app.models._common import utcnow
import config as settings
from config import ConfigError
from tests.conftest import Api, _empty_tables, _migrate_once, make_config, new_merchant
from tests.dashboard.accounts_support import OWNER, login
from tests.support.openapi_check import OpenApiRecorder
from tests.support.written import written_day

ROME = ZoneInfo("Europe/Rome")
LONG_AGO = datetime(2026, 1, 10, 12, tzinfo=timezone.utc)


@pytest.fixture
def rome(database_url: str) -> Iterator[Flask]:
    _migrate_once(database_url)
    application = create_app(make_config(database_url, TIMEZONE="Europe/Rome"))
    recorder = OpenApiRecorder(application)
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    recorder.assert_clean()


def test_times_on_the_pages_follow_the_configured_zone(rome: Flask) -> None:
    new_merchant(rome.test_cli_runner(), "Caffè Rossi", OWNER)
    key = db.session.scalar(select(ApiKey))
    assert key is not None
    key.last_used_at = key.created_at.replace(year=2030, month=7, day=2, hour=3, minute=4)  # summer: UTC+2
    db.session.commit()
    client = rome.test_client()
    login(client, OWNER)
    assert "2 Jul 2030, 05:04" in client.get("/dashboard/api-keys").get_data(as_text=True)


def test_an_unknown_zone_stops_start_up_with_one_line() -> None:
    with pytest.raises(ConfigError, match="TIMEZONE must be an IANA time zone"):
        settings.TestingConfig({"SECRET_KEY": "k", "TIMEZONE": "Mars/Olympus"})


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=timezone.utc)


def _program(app: Flask) -> Program:
    key = new_merchant(app.test_cli_runner(), "Caffè Rossi", OWNER)
    response = Api(app.test_client(), key).post("/programs", {"name": "Rossi Club"})
    assert response.status_code == 201, response.get_json()
    return db.session.get_one(Program, response.get_json()["id"])


class History:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.members: dict[str, Member] = {}

    def member(self, name: str, created: datetime = LONG_AGO, location: Location | None = None) -> Member:
        row = Member(merchant_id=self.program.merchant_id, program_id=self.program.id, name=name,
                     email=f"{name}@example.com", consent_terms=True, consent_version="terms-v1",
                     referral_code=name.upper(), created_at=created, location_id=location.id if location else None)
        db.session.add(row)
        db.session.flush()
        self.members[name] = row
        return row

    def entry(self, name: str, points: int, at: datetime, kind: str = "earn") -> None:
        member = self.members[name]
        db.session.add(LedgerEntry(merchant_id=member.merchant_id, member_id=member.id, kind=kind, points=points,
                                   balance_after=0, created_at=at))

    def event(self, name: str, kind: str, at: datetime) -> None:
        member = self.members[name]
        card = db.session.scalar(select(Card).where(Card.member_id == member.id))
        if card is None:
            card = Card(member_id=member.id, program_id=self.program.id, serial_number=f"s-{name}",
                        card_number=f"{member.id:013d}", auth_token=f"t-{name}")
            db.session.add(card)
            db.session.flush()
        db.session.add(CardEvent(program_id=self.program.id, card_id=card.id, kind=kind, created_at=at))


def _per_day(f: Figures, attribute: str) -> dict[str, int]:
    return {d.day.isoformat(): getattr(d, attribute) for d in f.series if getattr(d, attribute)}


def test_the_23_hour_day_of_the_spring_change(rome: Flask) -> None:
    program = _program(rome)
    cassa = Location(program_id=program.id, name="Cassa", code="cassa")
    db.session.add(cassa)
    db.session.flush()
    h = History(program)
    h.member("old", utc(3, 23, 22, 59, 59), cassa)  # 23:59:59 CET on the 23rd: before the period
    ada = h.member("ada", utc(3, 23, 23, 0), cassa)  # 00:00 CET on the 24th: the period's first instant
    for name in ("bea", "cid", "dan", "eve"):
        h.member(name)
    h.entry("bea", 1, utc(3, 28, 22, 59, 59))  # 23:59:59 CET on the 28th
    h.entry("bea", 2, utc(3, 28, 23, 0))  # 00:00 CET on the 29th, its first instant
    h.entry("bea", 4, utc(3, 28, 23, 30))  # 00:30 CET on the 29th
    h.entry("bea", 8, utc(3, 29, 21, 59, 59))  # 23:59:59 CEST on the 29th, its last instant
    h.entry("bea", 16, utc(3, 29, 22, 0))  # 00:00 CEST on the 30th
    h.entry("bea", -10, utc(3, 29, 22, 10), kind="redeem")  # 00:10 CEST on the 30th
    h.entry("cid", 100, utc(3, 25, 22, 30))  # 23:30 CET on the 25th ...
    h.entry("cid", 100, utc(3, 25, 23, 30))  # ... and 00:30 CET on the 26th: two days, a repeat visit
    h.entry("dan", 100, utc(3, 26, 23, 10))  # 00:10 CET on the 27th ...
    h.entry("dan", 100, utc(3, 27, 22, 50))  # ... and 23:50 CET on the 27th: one day (two UTC days)
    h.entry("eve", 100, utc(3, 27, 23, 30))  # 00:30 CET on the 28th ...
    h.entry("eve", 100, utc(3, 28, 21, 0))  # ... and 22:00 CET on the 28th: one day (two UTC days)
    h.event("bea", "removed", utc(3, 29, 21, 30))  # 23:30 CEST on the 29th
    h.event("cid", "installed", utc(3, 29, 22, 30))  # 00:30 CEST on the 30th
    coffee = Reward(program_id=program.id, name="Caffè", cost=10)
    db.session.add(coffee)
    db.session.flush()
    db.session.add(RewardCode(reward_id=coffee.id, member_id=ada.id, code="C-1", status="used",
                              issued_at=utc(3, 23, 23, 30), used_at=utc(3, 23, 22, 30)))  # 24th 00:30; 23rd 23:30
    db.session.commit()

    f = program_figures(program, 7, utc(3, 30, 10))  # 12:00 CEST on Monday 30 March
    assert [d.day for d in f.series] == [date(2026, 3, d) for d in range(24, 31)]
    assert _per_day(f, "enrolments") == {"2026-03-24": 1}
    assert _per_day(f, "issued") == {"2026-03-25": 100, "2026-03-26": 100, "2026-03-27": 200,
                                     "2026-03-28": 201, "2026-03-29": 14, "2026-03-30": 16}
    assert _per_day(f, "redeemed") == {"2026-03-30": 10}
    assert _per_day(f, "active") == {"2026-03-25": 1, "2026-03-26": 1, "2026-03-27": 1, "2026-03-28": 2,
                                     "2026-03-29": 1, "2026-03-30": 1}
    assert (_per_day(f, "installed"), _per_day(f, "removed")) == ({"2026-03-30": 1}, {"2026-03-29": 1})
    assert (f.active_members, f.repeat_members) == (4, 2)  # bea and cid came back another day; dan, eve did not
    assert [(r.name, r.count, r.other) for r in f.rewards] == [("Caffè", 1, 0)]
    assert [(n.name, n.count) for n in f.locations] == [("Cassa", 1), (None, 0)]
    assert f.timezone == "Europe/Rome"

    yesterday = program_figures(program, 1, utc(3, 29, 12))  # the 23-hour day alone
    assert [d.day for d in yesterday.series] == [date(2026, 3, 29)]
    assert (yesterday.points_issued, yesterday.removed, yesterday.installed) == (14, 1, 0)


def test_the_25_hour_day_of_the_autumn_change(rome: Flask) -> None:
    h = History(_program(rome))
    h.member("bea")
    h.entry("bea", 1, utc(10, 24, 21, 59, 59))  # 23:59:59 CEST on the 24th
    h.entry("bea", 2, utc(10, 24, 22, 0))  # 00:00 CEST on the 25th, its first instant
    h.entry("bea", 4, utc(10, 24, 22, 30))  # 00:30 CEST on the 25th
    h.entry("bea", 8, utc(10, 25, 0, 30))  # 02:30 CEST, the first 02:30 of the 25th
    h.entry("bea", 16, utc(10, 25, 1, 30))  # 02:30 CET, the second one
    h.entry("bea", 32, utc(10, 25, 22, 59, 59))  # 23:59:59 CET on the 25th, its last instant
    h.entry("bea", 64, utc(10, 25, 23, 0))  # 00:00 CET on the 26th
    db.session.commit()

    f = program_figures(h.program, 7, utc(10, 25, 23, 30))  # 00:30 CET on Monday the 26th: already "today"
    assert [d.day for d in f.series] == [date(2026, 10, d) for d in range(20, 27)]
    assert _per_day(f, "issued") == {"2026-10-24": 1, "2026-10-25": 62, "2026-10-26": 64}
    assert _per_day(f, "active") == {"2026-10-24": 1, "2026-10-25": 1, "2026-10-26": 1}
    assert (f.active_members, f.repeat_members) == (1, 1)

    today = program_figures(h.program, 1, utc(10, 25, 23, 30))  # today starts at local midnight
    assert (today.first, today.points_issued) == (date(2026, 10, 26), 64)
    longest = program_figures(h.program, 1, utc(10, 25, 12))
    assert (longest.first, longest.points_issued) == (date(2026, 10, 25), 62)


def test_the_periods_start_at_local_midnight() -> None:
    spring = local_days(1, utc(3, 29, 12), ROME)
    autumn = local_days(1, utc(10, 25, 12), ROME)
    assert (spring.start, spring.end - spring.start) == (utc(3, 28, 23), timedelta(hours=23))
    assert (autumn.start, autumn.end - autumn.start) == (utc(10, 24, 22), timedelta(hours=25))
    year = local_days(365, utc(12, 3, 9), ROME)
    assert (year.first, year.last, year.start) == (date(2025, 12, 4), date(2026, 12, 3), datetime(
        2025, 12, 3, 23, tzinfo=timezone.utc))
    assert year.offsets == ((utc(3, 29, 1), 3600), (utc(10, 25, 1), 7200), (None, 3600))
    # Where the clocks jump over midnight the day starts at the jump: Havana, 8 March 2026.
    havana = local_days(1, utc(3, 8, 12), ZoneInfo("America/Havana"))
    assert (havana.start, havana.end - havana.start) == (utc(3, 8, 5), timedelta(hours=23))


def _enrolment_rows(html: str) -> dict[str, str]:
    panel = re.search(r'aria-labelledby="enrolments-heading">.*?</section>', html, re.S)
    assert panel is not None
    return dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>', panel.group(0)))


def test_the_figures_page_counts_the_shops_days(rome: Flask) -> None:
    h = History(_program(rome))
    today = utcnow().astimezone(ROME).date()
    midnight = datetime.combine(today, time(), tzinfo=ROME).astimezone(timezone.utc)
    h.member("bea", midnight)  # the first instant of today in Rome: 23:00 or 22:00 UTC yesterday
    h.member("cid", midnight - timedelta(seconds=1))  # the last instant of yesterday
    h.member("dan", midnight - timedelta(seconds=1))
    db.session.commit()
    client = rome.test_client()
    login(client, OWNER)
    html = client.get(f"/dashboard/programs/{h.program.id}/figures?days=7").get_data(as_text=True)
    rows = _enrolment_rows(html)
    yesterday = today - timedelta(days=1)
    assert rows[written_day(today, "en")] == "1"
    assert rows[written_day(yesterday, "en")] == "2"
    assert "Days are counted in Europe/Rome time, from midnight to midnight." in html
    assert "Day (Europe/Rome)" in html
    assert "2 new members in the last 7 days." not in html and "3 new members in the last 7 days." in html


def test_the_stats_api_counts_enrolments_on_the_shops_days(rome: Flask) -> None:
    key = new_merchant(rome.test_cli_runner(), "Caffè Rossi", OWNER)
    owner = Api(rome.test_client(), key)
    created = owner.post("/programs", {"name": "Rossi Club"}).get_json()
    h = History(db.session.get_one(Program, created["id"]))
    today = utcnow().astimezone(ROME).date()
    midnight = datetime.combine(today, time(), tzinfo=ROME).astimezone(timezone.utc)
    h.member("bea", midnight)
    h.member("cid", midnight - timedelta(seconds=1))
    h.member("dan", midnight - timedelta(seconds=1))
    db.session.commit()
    body: dict[str, Any] = owner.get(f"/programs/{created['id']}/stats?days=2").get_json()
    yesterday = today - timedelta(days=1)
    assert body["enrolments"] == [{"date": yesterday.isoformat(), "members": 2},
                                  {"date": today.isoformat(), "members": 1}]
