"""Member search and a member's page: who may see what, and what each page shows."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll
from app.models import Card, CardEvent, Device, Location, Member, Program, PushAttempt, Registration
from app.models._common import utcnow
from tests.conftest import Api
from tests.dashboard.members_helpers import add_cashier, login, other_merchant
from tests.dashboard.members_helpers import enroll as enroll_api
from tests.support.queries import statements


def _program(program: dict[str, Any]) -> Program:
    found = db.session.get(Program, program["id"])
    assert found is not None
    return found


def _names(page: str) -> list[str]:
    table = page.split('id="members-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/dashboard/members/\d+">([^<]+)</a>', table)


def test_search_finds_by_name_email_phone_and_card_number(owner: Api, program: dict[str, Any],
                                                          client: FlaskClient) -> None:
    pid = program["id"]
    giulia = enroll_api(owner, pid, "Giulia Bianchi", "giulia@example.com", phone="+39 333 1234567")
    enroll_api(owner, pid, "Marco Neri", "marco@example.org")
    login(client, "owner@rossi.example")
    url = f"/dashboard/programs/{pid}/members"
    assert _names(client.get(url + "?q=GIULIA").text) == ["Giulia Bianchi"]
    assert _names(client.get(url + "?q=example.ORG").text) == ["Marco Neri"]
    assert _names(client.get(url + "?q=1234567").text) == ["Giulia Bianchi"]
    assert _names(client.get(url + "?q=333%20123%204567").text) == ["Giulia Bianchi"]  # spaces typed or not
    assert _names(client.get(url + f"?q={giulia['card_number'].lower()}").text) == ["Giulia Bianchi"]
    assert _names(client.get(url).text) == ["Marco Neri", "Giulia Bianchi"]  # newest first
    nothing = client.get(url + "?q=%25")  # a literal %, not a wildcard
    assert nothing.status_code == 200 and _names(nothing.text) == [] and "No member matches" in nothing.text


def test_members_come_fifty_a_page_newest_first(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    prog = _program(program)
    start = utcnow() - timedelta(days=60)
    for i in range(55):
        member = enroll(prog, Applicant(name=f"Member {i:02d}", email=f"m{i}@example.com", terms=True))
        member.created_at = start + timedelta(days=i)
    db.session.commit()
    login(client, "owner@rossi.example")
    first = client.get(f"/dashboard/programs/{prog.id}/members").text
    assert _names(first)[:2] == ["Member 54", "Member 53"] and len(_names(first)) == 50
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get(f"/dashboard/programs/{prog.id}/members?page=2").text
    assert _names(second) == [f"Member {i:02d}" for i in range(4, -1, -1)]
    assert client.get(f"/dashboard/programs/{prog.id}/members?page=abc").status_code == 200


def test_csv_export_streams_the_members(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client, "owner@rossi.example")
    response = client.get(f"/dashboard/programs/{member['program_id']}/members.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:2] == ["name", "email"] and rows[1][:2] == ["Giulia Bianchi", "giulia@example.com"]


def _history(member_id: int) -> Card:
    """A phone holding the card, two pushes, an install event and a location."""
    card = db.session.scalar(select(Card).where(Card.member_id == member_id))
    assert card is not None
    phone = Device(library_identifier="phone-1", push_token="ab" * 32, platform="apple")
    db.session.add(phone)
    db.session.flush()
    db.session.add(Registration(device_id=phone.id, card_id=card.id))
    db.session.add_all([
        PushAttempt(device_id=phone.id, card_id=card.id, attempt=1, status=200, outcome="delivered"),
        PushAttempt(device_id=phone.id, card_id=card.id, attempt=1, status=410, reason="Unregistered",
                    outcome="unregistered"),
        CardEvent(program_id=card.program_id, card_id=card.id, device_id=phone.id, kind="installed"),
    ])
    location = Location(program_id=card.program_id, name="Vetrina", code="win")
    db.session.add(location)
    db.session.flush()
    card.member.location_id = location.id
    db.session.commit()
    return card


def test_member_page_shows_profile_card_history_devices_and_pushes(owner: Api, member: dict[str, Any],
                                                                   client: FlaskClient) -> None:
    owner.post(f"/members/{member['id']}/transactions", {"points": 120, "reason": "Cappuccino"})
    _history(member["id"])
    login(client, "owner@rossi.example")
    page = client.get(f"/dashboard/members/{member['id']}").text
    assert "Giulia Bianchi" in page and "giulia@example.com" in page and member["card_number"] in page
    assert 'id="balance">120<' in page and "Cappuccino" in page and "Vetrina" in page
    consents = page.split('id="consents"', 1)[1].split("</table>", 1)[0]
    assert "terms-v1" in consents and "marketing messages" in consents
    devices = page.split('id="devices"', 1)[1].split("</table>", 1)[0]
    assert "Apple Wallet" in devices and "never" in devices
    pushes = page.split('id="pushes"', 1)[1].split("</table>", 1)[0]
    assert "delivered" in pushes and "410 Unregistered" in pushes and "phone gone" in pushes
    assert "added to a wallet" in page
    assert 'id="adjust-form"' in page and 'id="erase"' in page and 'id="export"' in page


def test_cashier_reads_a_member_but_changes_nothing(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client, add_cashier())
    pid, mid = member["program_id"], member["id"]
    listing = client.get(f"/dashboard/programs/{pid}/members?q=giulia")
    assert listing.status_code == 200 and "Giulia Bianchi" in listing.text and "members.csv" not in listing.text
    page = client.get(f"/dashboard/members/{mid}")
    assert page.status_code == 200 and "Giulia Bianchi" in page.text
    assert 'id="adjust-form"' not in page.text and 'id="erase"' not in page.text and 'id="export"' not in page.text
    refused = [
        client.post(f"/dashboard/members/{mid}/adjust", data={"points": "10", "reason": "x"}),
        client.post(f"/dashboard/members/{mid}/resend"),
        client.get(f"/dashboard/members/{mid}/export.json"),
        client.get(f"/dashboard/members/{mid}/erase"),
        client.post(f"/dashboard/members/{mid}/erase", data={"confirm": "ERASE"}),
        client.get(f"/dashboard/programs/{pid}/members.csv"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert db.session.get(Member, mid).erased_at is None  # type: ignore[union-attr]


def test_another_merchants_members_are_not_found(owner: Api, member: dict[str, Any], client: FlaskClient,
                                                 runner: FlaskCliRunner) -> None:
    login(client, other_merchant(runner))
    pid, mid = member["program_id"], member["id"]
    answers = [
        client.get(f"/dashboard/programs/{pid}/members"),
        client.get(f"/dashboard/programs/{pid}/members.csv"),
        client.get(f"/dashboard/members/{mid}"),
        client.post(f"/dashboard/members/{mid}/adjust", data={"points": "10", "reason": "x"}),
        client.post(f"/dashboard/members/{mid}/resend"),
        client.get(f"/dashboard/members/{mid}/export.json"),
        client.post(f"/dashboard/members/{mid}/erase", data={"confirm": "ERASE"}),
        client.get("/dashboard/members/999999"),
    ]
    assert [r.status_code for r in answers] == [404] * len(answers)


def test_signed_out_visitors_go_to_the_login(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    response = client.get(f"/dashboard/members/{member['id']}")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]


def test_the_member_list_costs_the_same_queries_for_any_number_of_members(owner: Api, program: dict[str, Any],
                                                                          client: FlaskClient) -> None:
    prog = _program(program)
    login(client, "owner@rossi.example")

    def page_statements(count: int, start: int) -> int:
        for i in range(start, start + count):
            enroll(prog, Applicant(name=f"Member {i}", email=f"q{i}@example.com", terms=True))
        db.session.commit()
        with statements() as seen:
            assert client.get(f"/dashboard/programs/{prog.id}/members?q=member").status_code == 200
        return len(seen)

    assert page_statements(2, 0) == page_statements(20, 2)
