"""Messages from the dashboard: counts, the preview step, sending, the record and its outcomes."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.loyalty.segments import count_recipients, parse_segment
from app.models import Card, Device, Member, OutboxJob, Program, PushAttempt, SentMessage, StaffUser
from app.models._common import utcnow
from tests.conftest import Api
from tests.dashboard.members_helpers import add_cashier, enroll, login, other_merchant
from tests.support.queries import statements


@pytest.fixture
def crowd(owner: Api, program: dict[str, Any]) -> dict[str, Any]:
    """Four members: two Gold, one not seen for 90 days, one born this month."""
    pid = program["id"]
    people = [enroll(owner, pid, n, f"{n.lower()}@example.com") for n in ("Anna", "Bruno", "Carla", "Dario")]
    for who in people[:2]:
        assert owner.post(f"/members/{who['id']}/transactions", {"points": 1200}).status_code == 201
    now = utcnow()
    carla = db.session.get(Member, people[2]["id"])
    dario = db.session.get(Member, people[3]["id"])
    assert carla is not None and dario is not None
    carla.created_at = now - timedelta(days=90)
    dario.birthday = now.date().replace(year=1990, day=1)
    db.session.commit()
    return program


def _program(pid: int) -> Program:
    found = db.session.get(Program, pid)
    assert found is not None
    return found


@pytest.mark.parametrize("query, raw", [
    ("type=all", {"type": "all"}),
    ("type=tier&tier=Gold", {"type": "tier", "tier": "Gold"}),
    ("type=tier&tier=Bronze", {"type": "tier", "tier": "Bronze"}),
    ("type=inactive&days=30", {"type": "inactive", "days": 30}),
    ("type=birthday_month", {"type": "birthday_month"}),
])
def test_recipient_counts_match_the_segments(crowd: dict[str, Any], client: FlaskClient, query: str,
                                             raw: dict[str, Any]) -> None:
    login(client, "owner@rossi.example")
    answer = client.get(f"/dashboard/programs/{crowd['id']}/messages/recipients?{query}")
    program = _program(crowd["id"])
    expected = count_recipients(program, parse_segment(program, raw))
    assert answer.status_code == 200 and answer.get_json()["recipients"] == expected
    assert answer.get_json()["label"].startswith("This message will reach")


def test_recipient_counts_are_what_the_segments_hold(crowd: dict[str, Any], client: FlaskClient) -> None:
    login(client, "owner@rossi.example")
    url = f"/dashboard/programs/{crowd['id']}/messages/recipients"
    counts = [client.get(url + q).get_json()["recipients"]
              for q in ("?type=all", "?type=tier&tier=Gold", "?type=inactive&days=30", "?type=birthday_month")]
    assert counts == [4, 2, 1, 1]


def test_a_bad_segment_is_named_in_the_answer(crowd: dict[str, Any], client: FlaskClient) -> None:
    login(client, "owner@rossi.example")
    url = f"/dashboard/programs/{crowd['id']}/messages/recipients"
    for query, field in (("?type=inactive&days=0", "days"), ("?type=inactive&days=x", "days"),
                         ("?type=tier&tier=Platinum", "tier"), ("?type=nobody", "type")):
        answer = client.get(url + query)
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field, query


def _checked(page: str) -> str:
    found = re.search(r'id="checked" name="checked" type="hidden" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


def test_preview_then_send_reaches_the_segment_and_is_recorded(crowd: dict[str, Any], client: FlaskClient) -> None:
    pid = crowd["id"]
    login(client, "owner@rossi.example")
    form = {"text": "  Gold night on Friday!  ", "type": "tier", "tier": "Gold", "days": "30"}
    preview = client.post(f"/dashboard/programs/{pid}/messages", data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert "This message will reach 2 members." in preview.text and "Send to 2 members" in preview.text
    assert 'id="preview-text">Gold night on Friday!<' in preview.text and "Messaggio" in preview.text
    assert db.session.scalar(select(SentMessage)) is None
    versions = dict(db.session.execute(select(Card.member_id, Card.version)).all())
    sent = client.post(f"/dashboard/programs/{pid}/messages",
                       data={**form, "action": "send", "checked": _checked(preview.text)})
    assert sent.status_code == 303
    assert "Message sent to 2 members: their cards" in client.get(sent.headers["Location"]).text
    record = db.session.scalar(select(SentMessage))
    owner_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == "owner@rossi.example"))
    assert record is not None and (record.text, record.recipients, record.cards, record.staff_id) == (
        "Gold night on Friday!", 2, 2, owner_id)
    assert json.loads(record.segment) == {"type": "tier", "tier": "Gold"}
    db.session.expire_all()
    bumped = {m: v for m, v in db.session.execute(select(Card.member_id, Card.version)).all() if v > versions[m]}
    gold = set(db.session.scalars(select(Member.id).where(Member.tier == "Gold")))
    assert set(bumped) == gold and {m.message for m in db.session.scalars(select(Member)) if m.id in gold} == {
        "Gold night on Friday!"}


def test_nothing_is_sent_when_the_form_changed_after_the_preview(crowd: dict[str, Any], client: FlaskClient) -> None:
    pid = crowd["id"]
    login(client, "owner@rossi.example")
    preview = client.post(f"/dashboard/programs/{pid}/messages",
                          data={"text": "Hi Gold", "type": "tier", "tier": "Gold", "action": "preview"})
    widened = client.post(f"/dashboard/programs/{pid}/messages",
                          data={"text": "Hi Gold", "type": "all", "action": "send", "checked": _checked(preview.text)})
    assert widened.status_code == 200 and "changed since the preview" in widened.text
    assert "Send to 4 members" in widened.text
    unpreviewed = client.post(f"/dashboard/programs/{pid}/messages", data={"text": "Hi", "type": "all", "action": "send"})
    assert unpreviewed.status_code == 200 and "Send to 4 members" in unpreviewed.text
    assert db.session.scalar(select(SentMessage)) is None


def test_bad_input_is_told_beside_each_field(crowd: dict[str, Any], client: FlaskClient) -> None:
    pid = crowd["id"]
    login(client, "owner@rossi.example")
    empty = client.post(f"/dashboard/programs/{pid}/messages", data={"text": "  ", "type": "all", "action": "preview"})
    assert empty.status_code == 400 and 'id="text-error"' in empty.text
    long = client.post(f"/dashboard/programs/{pid}/messages", data={"text": "x" * 201, "type": "all",
                                                                     "action": "preview"})
    assert long.status_code == 400 and "At most 200 characters." in long.text and "x" * 201 in long.text
    days = client.post(f"/dashboard/programs/{pid}/messages",
                       data={"text": "Come back", "type": "inactive", "days": "ever", "action": "preview"})
    assert days.status_code == 400 and 'id="days-error"' in days.text and 'value="ever"' in days.text
    assert db.session.scalar(select(SentMessage)) is None


def test_the_api_records_its_messages_too(crowd: dict[str, Any], owner: Api, client: FlaskClient) -> None:
    answer = owner.post(f"/programs/{crowd['id']}/messages", {"text": "From the till", "segment": {"type": "all"}})
    assert answer.status_code == 202
    record = db.session.scalar(select(SentMessage))
    assert record is not None and (record.text, record.recipients, record.staff_id) == ("From the till", 4, None)
    login(client, "owner@rossi.example")
    assert "From the till" in client.get(f"/dashboard/programs/{crowd['id']}/messages").text


def _attempt(card_id: int, outcome: str, at: datetime) -> PushAttempt:
    return PushAttempt(card_id=card_id, attempt=1, status=200 if outcome == "delivered" else 400, outcome=outcome,
                       created_at=at)


def _row(page: str, text: str) -> dict[str, str]:
    row = next(r for r in page.split('id="sent-messages"', 1)[1].split("<tr>") if text in r)
    return dict(re.findall(r'data-outcome="(\w+)">(\d+)<', row))


def test_sent_messages_show_what_became_of_their_pushes(crowd: dict[str, Any], client: FlaskClient) -> None:
    pid = crowd["id"]
    now = utcnow()
    cards = list(db.session.scalars(select(Card.id).where(Card.program_id == pid).order_by(Card.id)))
    db.session.add_all([
        SentMessage(program_id=pid, text="First", segment='{"type":"all"}', recipients=4, cards=4,
                    created_at=now - timedelta(hours=2)),
        SentMessage(program_id=pid, text="Second", segment='{"type":"all"}', recipients=4, cards=4,
                    created_at=now - timedelta(hours=1)),
        _attempt(cards[0], "delivered", now - timedelta(minutes=110)),
        _attempt(cards[1], "delivered", now - timedelta(minutes=100)),
        _attempt(cards[2], "failed", now - timedelta(minutes=100)),
        _attempt(cards[0], "delivered", now - timedelta(minutes=50)),
        _attempt(cards[1], "unregistered", now - timedelta(minutes=40)),
        _attempt(cards[2], "retry", now - timedelta(minutes=30)),
        _attempt(cards[3], "delivered", now - timedelta(hours=3)),  # before any message: nobody's
    ])
    phone = Device(library_identifier="phone-9", push_token="ef" * 32)
    db.session.add(phone)
    db.session.flush()
    db.session.add(OutboxJob(kind="apns", dedupe_key=f"{phone.id}:{cards[3]}", device_id=phone.id, card_id=cards[3],
                             created_at=now - timedelta(minutes=5)))
    db.session.commit()
    login(client, "owner@rossi.example")
    page = client.get(f"/dashboard/programs/{pid}/messages").text
    assert _row(page, "First") == {"delivered": "2", "retry": "0", "failed": "1", "unregistered": "0", "pending": "0"}
    assert _row(page, "Second") == {"delivered": "1", "retry": "1", "failed": "0", "unregistered": "1", "pending": "1"}
    assert page.index("Second") < page.index("First")  # newest first


def test_the_sent_list_costs_the_same_queries_for_any_number_of_messages(crowd: dict[str, Any],
                                                                         client: FlaskClient) -> None:
    pid = crowd["id"]
    login(client, "owner@rossi.example")

    def page_statements(messages: int) -> int:
        now = utcnow()
        db.session.add_all([SentMessage(program_id=pid, text=f"Message {i}", segment='{"type":"all"}', recipients=4,
                                        cards=4, created_at=now - timedelta(minutes=i)) for i in range(messages)])
        db.session.commit()
        with statements() as seen:
            assert client.get(f"/dashboard/programs/{pid}/messages").status_code == 200
        return len(seen)

    few = page_statements(2)
    many = page_statements(12)
    assert many == few and few <= 12


def test_messages_are_for_owners_of_the_program(crowd: dict[str, Any], client: FlaskClient,
                                                runner: FlaskCliRunner) -> None:
    pid = crowd["id"]
    login(client, add_cashier())
    refused = [client.get(f"/dashboard/programs/{pid}/messages"),
               client.post(f"/dashboard/programs/{pid}/messages", data={"text": "x", "type": "all", "action": "send"}),
               client.get(f"/dashboard/programs/{pid}/messages/recipients?type=all")]
    assert [r.status_code for r in refused] == [403, 403, 403]
    client.post("/dashboard/logout")
    login(client, other_merchant(runner))
    hidden = [client.get(f"/dashboard/programs/{pid}/messages"),
              client.post(f"/dashboard/programs/{pid}/messages", data={"text": "x", "type": "all", "action": "send"}),
              client.get(f"/dashboard/programs/{pid}/messages/recipients?type=all")]
    assert [r.status_code for r in hidden] == [404, 404, 404]
    assert db.session.scalar(select(SentMessage)) is None


def test_a_message_to_one_member_from_their_page(crowd: dict[str, Any], client: FlaskClient) -> None:
    pid = crowd["id"]
    anna = db.session.scalar(select(Member).where(Member.name == "Anna"))
    assert anna is not None
    login(client, "owner@rossi.example")
    member_page = client.get(f"/dashboard/members/{anna.id}").text
    link = f"/dashboard/programs/{pid}/messages?member_id={anna.id}"
    assert f'href="{link}"' in member_page
    compose = client.get(link).text
    assert re.search(r'<option selected value="member">Only Anna</option>', compose), compose
    counted = client.get(f"/dashboard/programs/{pid}/messages/recipients?type=member&member_id={anna.id}")
    assert counted.get_json()["recipients"] == 1
    form = {"text": "Your cake is ready", "type": "member", "member_id": str(anna.id)}
    preview = client.post(f"/dashboard/programs/{pid}/messages", data={**form, "action": "preview"})
    assert "Send to 1 member" in preview.text
    client.post(f"/dashboard/programs/{pid}/messages", data={**form, "action": "send", "checked": _checked(preview.text)})
    db.session.expire_all()
    assert {m.name: m.message for m in db.session.scalars(select(Member))} == {
        "Anna": "Your cake is ready", "Bruno": None, "Carla": None, "Dario": None}
    record = db.session.scalar(select(SentMessage))
    assert record is not None and json.loads(record.segment) == {"type": "member", "member_id": anna.id}
    # A member of no program of this shop is never a recipient here.
    stranger = client.get(f"/dashboard/programs/{pid}/messages/recipients?type=member&member_id=999999")
    assert stranger.status_code == 400 and stranger.get_json()["error"]["field"] == "type"
    assert 'value="member"' not in client.get(f"/dashboard/programs/{pid}/messages?member_id=999999").text


def test_the_owner_can_keep_a_message_to_members_who_agreed_to_marketing(owner: Api, program: dict[str, Any],
                                                                          client: FlaskClient) -> None:
    pid = program["id"]
    for name, agreed in (("Agreed", True), ("Refused", False)):
        response = owner.post(f"/programs/{pid}/members", {
            "name": name, "email": f"{name.lower()}@example.com", "consent": {"terms": True, "marketing": agreed}})
        assert response.status_code == 201, response.get_json()
    login(client, "owner@rossi.example")
    everyone = client.get(f"/dashboard/programs/{pid}/messages/recipients?type=all").get_json()
    agreed = client.get(f"/dashboard/programs/{pid}/messages/recipients?type=all&marketing_consent=1").get_json()
    assert (everyone["recipients"], agreed["recipients"]) == (2, 1)
    form = {"text": "Saldi!", "type": "all", "marketing_consent": "y"}
    preview = client.post(f"/dashboard/programs/{pid}/messages", data={**form, "action": "preview"})
    assert "Send to 1 member" in preview.text
    sent = client.post(f"/dashboard/programs/{pid}/messages",
                       data={**form, "action": "send", "checked": _checked(preview.text)})
    assert sent.status_code == 303
    db.session.expire_all()
    assert {m.name: m.message for m in db.session.scalars(select(Member))} == {"Agreed": "Saldi!", "Refused": None}
    record = db.session.scalar(select(SentMessage))
    assert record is not None and json.loads(record.segment) == {"type": "all", "marketing_consent": True}


def test_a_message_still_being_sent_or_replaced_says_so(crowd: dict[str, Any], client: FlaskClient) -> None:
    pid = crowd["id"]
    now = utcnow()
    db.session.add_all([
        SentMessage(program_id=pid, text="Halfway", segment='{"type":"all"}', recipients=4, cards=2,
                    status="sending", through_id=2, created_at=now - timedelta(hours=3)),
        SentMessage(program_id=pid, text="Overtaken", segment='{"type":"all"}', recipients=4, cards=1,
                    status="replaced", through_id=1, created_at=now - timedelta(hours=2)),
        SentMessage(program_id=pid, text="Complete", segment='{"type":"all"}', recipients=4, cards=4,
                    created_at=now - timedelta(hours=1)),
    ])
    db.session.commit()
    login(client, "owner@rossi.example")
    rows = client.get(f"/dashboard/programs/{pid}/messages").text.split('id="sent-messages"', 1)[1].split("<tr>")
    row = {text: next(r for r in rows if text in r) for text in ("Halfway", "Overtaken", "Complete")}
    assert "Still being sent" in row["Halfway"] and "Replaced" not in row["Halfway"]
    assert "Replaced by a newer message" in row["Overtaken"]
    assert "badge" not in row["Complete"]
