"""What an owner does for a member: adjust points, e-mail the card link, export, erase."""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, ConsentEvent, Device, LedgerEntry, Member, OutboxJob, Registration
from tests.conftest import Api
from tests.dashboard.members_helpers import login
from tests.enrollment.smtp import smtp_server


def _card(member_id: int) -> Card:
    card = db.session.scalar(select(Card).where(Card.member_id == member_id))
    assert card is not None
    return card


def _on_a_phone(member_id: int) -> int:
    card = _card(member_id)
    phone = Device(library_identifier="phone-1", push_token="cd" * 32)
    db.session.add(phone)
    db.session.flush()
    db.session.add(Registration(device_id=phone.id, card_id=card.id))
    db.session.commit()
    return phone.id


def _entries(member_id: int) -> list[tuple[str, int, str]]:
    rows = db.session.execute(select(LedgerEntry.kind, LedgerEntry.points, LedgerEntry.reason)
                              .where(LedgerEntry.member_id == member_id).order_by(LedgerEntry.id))
    return [(k, p, r) for k, p, r in rows]


def test_adjusting_points_writes_the_ledger_and_pushes_the_card(owner: Api, member: dict[str, Any],
                                                                client: FlaskClient) -> None:
    mid = member["id"]
    phone = _on_a_phone(mid)
    version = _card(mid).version
    login(client, "owner@rossi.example")
    response = client.post(f"/dashboard/members/{mid}/adjust", data={"points": "+75", "reason": "Receipt 1432"})
    assert response.status_code == 303 and response.headers["Location"] == f"/dashboard/members/{mid}"
    page = client.get(response.headers["Location"]).text
    assert "Points adjusted by +75. The balance is now 75" in page and 'id="balance">75<' in page
    client.post(f"/dashboard/members/{mid}/adjust", data={"points": "-25", "reason": "Double scan"})
    assert _entries(mid) == [("adjust", 75, "Receipt 1432"), ("adjust", -25, "Double scan")]
    db.session.expire_all()
    assert _card(mid).version == version + 2
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.card_id == _card(mid).id, OutboxJob.device_id == phone))
    assert job is not None and job.status == "pending"


def test_taking_off_more_than_the_balance_is_told_beside_the_field(owner: Api, member: dict[str, Any],
                                                                   client: FlaskClient) -> None:
    mid = member["id"]
    login(client, "owner@rossi.example")
    client.post(f"/dashboard/members/{mid}/adjust", data={"points": "30", "reason": "Welcome"})
    response = client.post(f"/dashboard/members/{mid}/adjust", data={"points": "-40", "reason": "Oops"})
    assert response.status_code == 400
    page = response.text
    assert 'id="points-error"' in page and "The balance is 30: at most 30 can be taken off." in page
    assert re.search(r'<input[^>]*aria-describedby="points-hint points-error"[^>]*id="points"', page) or \
        re.search(r'<input[^>]*id="points"[^>]*aria-describedby="points-hint points-error"', page)
    assert 'value="-40"' in page and 'value="Oops"' in page  # the input is kept
    assert _entries(mid) == [("adjust", 30, "Welcome")]


def test_adjusting_needs_a_whole_number_and_a_reason(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    mid = member["id"]
    login(client, "owner@rossi.example")
    for data, error in [({"points": "ten", "reason": "x"}, "Enter a whole number"),
                        ({"points": "0", "reason": "x"}, "not 0"),
                        ({"points": "5000000", "reason": "x"}, "not 0"),
                        ({"points": "5", "reason": ""}, "Say why")]:
        response = client.post(f"/dashboard/members/{mid}/adjust", data=data)
        assert response.status_code == 400 and error in response.text, data
    assert _entries(mid) == []


def test_the_card_link_arrives_by_email(app: Flask, owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client, "owner@rossi.example")
    with smtp_server() as (port, inbox):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                          MAIL_FROM="Caffè Rossi <carte@rossi.example>")
        response = client.post(f"/dashboard/members/{member['id']}/resend")
        recipients, message = inbox.next()
    assert response.status_code == 303
    assert recipients == ["giulia@example.com"]
    assert "giulia@example.com" in client.get(response.headers["Location"]).text  # the flash names the address
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    card_page = re.search(r"http://tessera\.test/join/[\w-]+/card/\S+", text)
    pkpass = re.search(r"http://tessera\.test/p/\S+\.pkpass", text)
    assert card_page and pkpass, text
    assert f'href="{pkpass.group(0)}"' in html and "Giulia Bianchi" in text
    assert message["Subject"] == "La tua carta Caffè Rossi"  # the program speaks Italian to its customers
    shown = client.get(urlsplit(card_page.group(0)).path)
    assert shown.status_code == 200
    download = client.get(urlsplit(pkpass.group(0)).path)
    assert download.status_code == 200 and download.mimetype == "application/vnd.apple.pkpass"


def test_no_card_link_for_an_erased_member(app: Flask, owner: Api, member: dict[str, Any],
                                           client: FlaskClient) -> None:
    login(client, "owner@rossi.example")
    client.post(f"/dashboard/members/{member['id']}/erase", data={"confirm": "ERASE"})
    with smtp_server() as (port, inbox):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
        response = client.post(f"/dashboard/members/{member['id']}/resend")
        assert inbox.received.empty()
    assert "there is no card to send" in client.get(response.headers["Location"]).text


def test_export_is_a_json_attachment_of_everything_kept(owner: Api, member: dict[str, Any],
                                                        client: FlaskClient) -> None:
    owner.post(f"/members/{member['id']}/transactions", {"points": 40})
    login(client, "owner@rossi.example")
    response = client.get(f"/dashboard/members/{member['id']}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="member-{member["id"]}.json"'
    data = json.loads(response.data)
    assert data["member"]["email"] == "giulia@example.com" and [e["points"] for e in data["ledger"]] == [40]


def test_erasing_asks_for_the_name_then_removes_personal_data(owner: Api, member: dict[str, Any],
                                                              client: FlaskClient) -> None:
    mid = member["id"]
    owner.post(f"/members/{mid}/transactions", {"points": 40})
    login(client, "owner@rossi.example")
    confirm = client.get(f"/dashboard/members/{mid}/erase")
    assert confirm.status_code == 200 and 'id="erase-form"' in confirm.text
    wrong = client.post(f"/dashboard/members/{mid}/erase", data={"confirm": "Giulia"})
    assert wrong.status_code == 400 and 'id="confirm-error"' in wrong.text
    assert db.session.get(Member, mid).erased_at is None  # type: ignore[union-attr]
    done = client.post(f"/dashboard/members/{mid}/erase", data={"confirm": "  giulia   BIANCHI "})
    assert done.status_code == 303
    db.session.expire_all()
    erased = db.session.get(Member, mid)
    assert erased is not None and erased.erased_at is not None
    assert erased.name == "Erased member" and "giulia" not in erased.email and erased.card.voided
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent).where(
        ConsentEvent.member_id == mid, ConsentEvent.kind == "erasure", ConsentEvent.source == "dashboard")) == 1
    page = client.get(f"/dashboard/members/{mid}").text
    assert "Giulia" not in page and "giulia@example.com" not in page and "erased on" in page
    assert 'id="adjust-form"' not in page and _entries(mid) == [("earn", 40, "")]
    listing = client.get(f"/dashboard/programs/{member['program_id']}/members").text
    assert "Erased member" in listing and "erased</span>" in listing
    again = client.post(f"/dashboard/members/{mid}/erase", data={"confirm": "ERASE"})
    assert again.status_code == 303  # already erased: back to the page, nothing more to do
    refused = client.post(f"/dashboard/members/{mid}/adjust", data={"points": "5", "reason": "x"})
    assert refused.status_code == 409 and _entries(mid) == [("earn", 40, "")]


def test_member_forms_need_the_csrf_token(app: Flask, owner: Api, member: dict[str, Any],
                                          client: FlaskClient) -> None:
    login(client, "owner@rossi.example")
    app.config["WTF_CSRF_ENABLED"] = True
    mid = member["id"]
    assert client.post(f"/dashboard/members/{mid}/adjust", data={"points": "5", "reason": "x"}).status_code == 400
    assert client.post(f"/dashboard/members/{mid}/erase", data={"confirm": "ERASE"}).status_code == 400
    page = client.get(f"/dashboard/members/{mid}").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    ok = client.post(f"/dashboard/members/{mid}/adjust", data={"points": "5", "reason": "x", "csrf_token": token.group(1)})
    assert ok.status_code == 303 and _entries(mid) == [("adjust", 5, "x")]
    assert db.session.get(Member, mid).erased_at is None  # type: ignore[union-attr]
