"""The figures page: exact numbers on a known history, a fixed number of statements, refusals."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from app.extensions import db
from app.loyalty.figures import program_figures
from app.models import LedgerEntry, Program
from app.models._common import utcnow
from tests.conftest import Api, new_merchant
from tests.dashboard.test_figures_data import EXPECTED, Builder, add_staff, build, login
from tests.support.queries import statements

OWNER = "owner@rossi.example"
SVG = "{http://www.w3.org/2000/svg}"


def _by_days_ago(series: list[Any], attribute: str) -> dict[int, int]:
    last = series[-1].day
    return {(last - d.day).days: getattr(d, attribute) for d in series if getattr(d, attribute)}


def test_every_figure_is_exact_on_a_known_history(program: dict[str, Any]) -> None:
    now = utcnow()
    build(program["id"], now.date())
    f = program_figures(db.session.get(Program, program["id"]), 7, now)
    assert [d.day for d in f.series] == [now.date() - timedelta(days=i) for i in range(6, -1, -1)]
    assert f.first == now.date() - timedelta(days=6) and f.last == now.date()
    for attribute in ("enrolments", "installed", "removed", "active", "issued", "redeemed"):
        assert _by_days_ago(f.series, attribute) == EXPECTED[attribute], attribute
    assert (f.enrolments, f.installed, f.removed, f.points_issued, f.points_redeemed) == (5, 3, 1, 205, 50)
    for name in ("members", "cards_on_phones", "points_outstanding", "active_members", "repeat_members"):
        assert getattr(f, name) == EXPECTED[name], name
    assert f.repeat_rate == pytest.approx(1 / 3)
    assert [(t.name, t.members) for t in f.tiers] == EXPECTED["tiers"]
    assert [(r.name, r.count, r.other) for r in f.rewards] == EXPECTED["rewards"]
    assert [(n.name, n.count) for n in f.locations] == EXPECTED["locations"]


def test_a_longer_period_reaches_further_back(program: dict[str, Any]) -> None:
    now = utcnow()
    build(program["id"], now.date())
    f = program_figures(db.session.get(Program, program["id"]), 30, now)
    assert len(f.series) == 30
    assert f.enrolments == 6  # A joined 10 days ago
    assert f.removed == 2 and f.points_issued == 225  # A's card left 10 days ago; A and E earned 10 each
    assert f.active_members == 4 and f.repeat_members == 1  # E is active (earned once); A still the only repeat
    assert [(r.name, r.count, r.other) for r in f.rewards] == [("Caffè gratis", 2, 2), ("Cornetto", 0, 0)]
    assert [(n.name, n.count) for n in f.locations] == [("Cassa", 3), ("Magazzino", 0), ("Vetrina", 1), (None, 2)]


def test_another_merchants_history_is_never_counted(owner: Api, runner: FlaskCliRunner, program: dict[str, Any]) -> None:
    key = new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    other = Api(owner.client, key).post("/programs", {"name": "Verdi Club", "tiers": [
        {"name": "Bronze", "min_points": 0}, {"name": "Gold", "min_points": 1000}]})
    assert other.status_code == 201, other.get_json()
    now = utcnow()
    build(other.get_json()["id"], now.date())
    f = program_figures(db.session.get(Program, program["id"]), 7, now)
    assert (f.enrolments, f.installed, f.members, f.points_outstanding, f.active_members) == (0, 0, 0, 0, 0)
    assert f.rewards == [] and [(n.name, n.count) for n in f.locations] == [(None, 0)]


def _grow(program_id: int, members: int) -> None:
    """More members, each with entries and events, to show the statement count does not follow."""
    program = db.session.get(Program, program_id)
    assert program is not None
    b = Builder(program, utcnow().date())
    for i in range(members):
        b.member(f"extra{i}", i % 5)
        b.entry(f"extra{i}", "earn", 5, i % 4)
        b.entry(f"extra{i}", "earn", 5, i % 3 + 1)
        b.event(f"extra{i}", "installed", i % 6)
    db.session.commit()


def test_the_statements_are_few_and_do_not_grow_with_the_members(program: dict[str, Any]) -> None:
    build(program["id"])
    counts = []
    for extra in (0, 25):
        _grow(program["id"], extra)
        db.session.expire_all()
        row = db.session.get(Program, program["id"])
        assert row is not None
        with statements() as seen:
            program_figures(row, 90)
        counts.append(len(seen))
    # Enrolments, card events, ledger days, now-counts, repeat visits, tiers (2), rewards, locations,
    # and the merchant row for the shop's time zone (expired here; a request has it loaded already).
    assert counts[0] == counts[1] <= 10, counts


def test_the_page_statements_are_bounded(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    build(program["id"])
    login(client, OWNER)
    with statements() as seen:
        assert client.get(f"/dashboard/programs/{program['id']}/figures").status_code == 200
    _grow(program["id"], 25)
    with statements() as again:
        assert client.get(f"/dashboard/programs/{program['id']}/figures").status_code == 200
    assert len(seen) == len(again) <= 12, [len(seen), len(again)]  # the figures' 9, the login and the program


def test_page_draws_accessible_charts_with_their_numbers(client: FlaskClient, owner: Api,
                                                         program: dict[str, Any]) -> None:
    build(program["id"])
    login(client, OWNER)
    response = client.get(f"/dashboard/programs/{program['id']}/figures?days=7")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 7  # four per day, tiers, locations, rewards
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.attrib["role"] == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert root.attrib["aria-labelledby"] == f"{title.attrib['id']} {desc.attrib['id']}"
    assert html.count("<details>") == 7
    assert "5 new members in the last 7 days." in html
    assert "In the last 7 days: points issued 205, redeemed 50. Outstanding now: 170." in html
    assert "In the last 7 days: added to a phone 3, removed 1." in html
    assert "3 different members collected or spent points in the last 7 days." in html
    assert "33%" in html  # the repeat-visit rate: A of A, B and C
    assert '<td class="num">155</td>' in html  # day 3's points, in the day-by-day table
    assert '<th scope="row">Magazzino</th><td class="num">0</td>' in html
    assert '<th scope="row">No location</th><td class="num">2</td>' in html
    assert "Days are counted in UTC" in html
    assert 'aria-current="page">Last 7 days' in html


def test_dates_follow_the_page_language(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    login(client, OWNER)
    html = client.get(f"/dashboard/programs/{program['id']}/figures?days=7").get_data(as_text=True)
    today = utcnow().date()
    assert f">{today.day} {today.strftime('%b')}</text>" in html  # an English tick: "29 Nov"
    assert f"{today.day} {today.strftime('%b')} {today.year}" in html  # an English table row


@pytest.mark.parametrize("days", ["1", "abc", "-7", "9999999999999999999999"])
def test_an_unknown_period_falls_back_to_30_days(client: FlaskClient, owner: Api, program: dict[str, Any],
                                                 days: str) -> None:
    login(client, OWNER)
    response = client.get(f"/dashboard/programs/{program['id']}/figures?days={days}")
    assert response.status_code == 200
    assert 'aria-current="page">Last 30 days' in response.get_data(as_text=True)


def test_names_are_escaped_in_the_charts(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    from app.models import Location

    db.session.add(Location(program_id=program["id"], name="<script>alert(1)</script>", code="x"))
    db.session.commit()
    login(client, OWNER)
    html = client.get(f"/dashboard/programs/{program['id']}/figures").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.parametrize("path", ["figures", "device-log"])
def test_cashiers_are_refused(client: FlaskClient, owner: Api, program: dict[str, Any], path: str) -> None:
    login(client, add_staff(OWNER, "cassa@rossi.example"))
    assert client.get(f"/dashboard/programs/{program['id']}/{path}").status_code == 403


@pytest.mark.parametrize("path", ["figures", "device-log"])
def test_another_merchant_gets_not_found(client: FlaskClient, runner: FlaskCliRunner, owner: Api,
                                         program: dict[str, Any], path: str) -> None:
    new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    login(client, "boss@verdi.example")
    assert client.get(f"/dashboard/programs/{program['id']}/{path}").status_code == 404
    assert client.get(f"/dashboard/programs/999999/{path}").status_code == 404


def test_signed_out_goes_to_the_login(client: FlaskClient, program: dict[str, Any]) -> None:
    response = client.get(f"/dashboard/programs/{program['id']}/figures")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]


def test_ledger_entries_count_once_per_member_and_day(program: dict[str, Any]) -> None:
    """Many entries of one member on one day: one active member that day, one visit."""
    built = build(program["id"])
    member = built.members["D"]
    for hour in range(8, 12):
        db.session.add(LedgerEntry(merchant_id=member.merchant_id, member_id=member.id, kind="earn", points=1,
                                   balance_after=0, created_at=utcnow().replace(hour=hour)))
    db.session.commit()
    f = program_figures(db.session.get(Program, program["id"]), 7)
    assert f.series[-1].active == 1 and f.active_members == 4 and f.repeat_members == 1


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_every_period_draws_a_column_per_day(client: FlaskClient, owner: Api, program: dict[str, Any],
                                             days: int) -> None:
    build(program["id"])
    login(client, OWNER)
    html = client.get(f"/dashboard/programs/{program['id']}/figures?days={days}").get_data(as_text=True)
    assert f'aria-current="page">Last {days} days' in html
    enrolments = re.search(r'<svg [^>]*id="enrolments".*?</svg>', html, re.S)
    assert enrolments is not None
    days_with_members = 4 if days == 7 else 5  # A joined 10 days ago
    assert len(re.findall(r"<rect ", enrolments.group(0))) == days_with_members
    assert html.count('<tr><th scope="row">') >= 4 * days  # each day chart's table lists every day
