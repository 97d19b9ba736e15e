from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.extensions import db
from app.models import Card, Member, OutboxJob, Program
from app.models._common import utcnow
from app.wallet.apple import card_spec
from tests.conftest import Api, new_merchant
from tests.passkit.conftest import Phone
from tests.support.queries import statements


def _enrol(owner: Api, program: dict[str, Any], name: str, **extra: Any) -> int:
    email = name.lower().replace(" ", ".") + "@example.com"
    response = owner.post(f"/programs/{program['id']}/members",
                          {"name": name, "email": email, "consent": {"terms": True}, **extra})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def _set(member_id: int, **values: Any) -> None:
    db.session.execute(update(Member).where(Member.id == member_id).values(**values))
    db.session.commit()


@pytest.fixture
def crowd(owner: Api, program: dict[str, Any]) -> dict[str, int]:
    """Five members, each in a different segment, plus an erased one who matches all of them."""
    now = utcnow()
    ids = {name: _enrol(owner, program, name) for name in ("Ada", "Bruno", "Carla", "Dario", "Erased")}
    _set(ids["Ada"], tier="Gold", last_activity_at=now - timedelta(days=2))
    _set(ids["Bruno"], last_activity_at=now - timedelta(days=45))
    _set(ids["Carla"], created_at=now - timedelta(days=60), birthday=date(1990, now.month, 1))
    _set(ids["Dario"], last_activity_at=now - timedelta(days=1), birthday=date(1985, now.month % 12 + 1, 1))
    _set(ids["Erased"], tier="Gold", created_at=now - timedelta(days=400), birthday=date(1990, now.month, 2),
         erased_at=now)
    return ids


def _preview(owner: Api, program: dict[str, Any], segment: dict[str, Any] | None) -> int:
    body = {"segment": segment} if segment else {}
    response = owner.post(f"/programs/{program['id']}/messages/preview", body)
    assert response.status_code == 200, response.get_json()
    return int(response.get_json()["recipients"])


@pytest.mark.parametrize(("segment", "expected"), [
    (None, 4),
    ({"type": "all"}, 4),
    ({"type": "tier", "tier": "Gold"}, 1),
    ({"type": "tier", "tier": "Bronze"}, 3),  # Ada was lifted to Gold by hand; the rest got Bronze at enrolment
    ({"type": "inactive", "days": 30}, 2),  # Bruno (last seen 45 days ago), Carla (enrolled 60 days ago, never back)
    ({"type": "inactive", "days": 50}, 1),
    ({"type": "birthday_month"}, 1),
])
def test_preview_counts_each_segment_without_erased_members(owner: Api, program: dict[str, Any],
                                                            crowd: dict[str, int], segment: Any, expected: int) -> None:
    assert _preview(owner, program, segment) == expected
    assert db.session.scalar(select(Member.id).where(Member.message.is_not(None))) is None  # nothing was sent


def test_preview_of_one_member(owner: Api, program: dict[str, Any], crowd: dict[str, int]) -> None:
    assert _preview(owner, program, {"type": "member", "member_id": crowd["Bruno"]}) == 1
    assert _preview(owner, program, {"type": "member", "member_id": crowd["Erased"]}) == 0


def _versions() -> dict[int, tuple[int, int]]:
    db.session.expire_all()
    return {c.member_id: (c.version, c.change_seq) for c in db.session.scalars(select(Card))}


def test_a_tier_message_reaches_exactly_its_members_and_their_phones(owner: Api, program: dict[str, Any],
                                                                     crowd: dict[str, int], client: FlaskClient) -> None:
    cards = {c.member_id: c for c in db.session.scalars(select(Card))}
    for n, name in enumerate(("Ada", "Bruno")):
        card = cards[crowd[name]]
        assert Phone(client, device=f"phone{n}", push_token=f"{n:02d}" * 32).register(
            card.serial_number, card.auth_token).status_code == 201
    before = _versions()
    response = owner.post(f"/programs/{program['id']}/messages",
                          {"text": "Gold evening on Friday", "segment": {"type": "tier", "tier": "Gold"}})
    assert response.status_code == 202, response.get_json()
    assert response.get_json() == {"program_id": program["id"], "text": "Gold evening on Friday", "cards": 1,
                                   "recipients": 1, "segment": {"type": "tier", "tier": "Gold"}}
    after = _versions()
    changed = {m for m in after if after[m] != before[m]}
    assert changed == {crowd["Ada"]}
    assert after[crowd["Ada"]][0] == before[crowd["Ada"]][0] + 1
    assert after[crowd["Ada"]][1] > max(seq for _, seq in before.values())  # stamped: phones see it changed
    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "apns")).all()
    assert [j.card_id for j in jobs] == [cards[crowd["Ada"]].id]
    messages = dict(db.session.execute(select(Member.id, Member.message)).all())
    assert {m for m, text in messages.items() if text} == {crowd["Ada"]}
    assert db.session.get_one(Program, program["id"]).message is None  # the other cards are untouched


def _back(member_id: int) -> dict[str, Any]:
    db.session.expire_all()
    card = db.session.scalars(select(Card).where(Card.member_id == member_id)).one()
    return {f.key: f for f in card_spec(card).back_fields}


def test_the_newest_message_shows_on_the_back_with_a_lock_screen_text(owner: Api, program: dict[str, Any],
                                                                      crowd: dict[str, int]) -> None:
    ada, bruno = crowd["Ada"], crowd["Bruno"]
    assert "message" not in _back(ada)
    owner.post(f"/programs/{program['id']}/messages", {"text": "Open on Sunday"})
    assert owner.post(f"/programs/{program['id']}/messages",
                      {"text": "Happy to see you again", "segment": {"type": "member", "member_id": ada}}).status_code == 202
    field = _back(ada)["message"]
    assert field.value == "Happy to see you again"
    assert "%@" in (field.change_message or "")
    assert _back(bruno)["message"].value == "Open on Sunday"
    owner.post(f"/programs/{program['id']}/messages", {"text": "Closed for holidays"})
    assert _back(ada)["message"].value == "Closed for holidays"  # the program's is newer now


def test_every_member_by_default_keeps_the_program_message(owner: Api, program: dict[str, Any],
                                                           crowd: dict[str, int]) -> None:
    response = owner.post(f"/programs/{program['id']}/messages", {"text": "  New menu  "})
    assert response.status_code == 202
    assert response.get_json() == {"program_id": program["id"], "text": "New menu", "cards": 5, "recipients": 4,
                                   "segment": {"type": "all"}}
    assert db.session.get_one(Program, program["id"]).message == "New menu"


def test_marketing_consent_narrows_any_segment_to_the_members_who_agreed(owner: Api, program: dict[str, Any],
                                                                         crowd: dict[str, int]) -> None:
    _set(crowd["Ada"], consent_marketing=True)
    _set(crowd["Bruno"], consent_marketing=True)
    _set(crowd["Erased"], consent_marketing=True)
    assert _preview(owner, program, {"type": "all", "marketing_consent": True}) == 2
    assert _preview(owner, program, {"type": "tier", "tier": "Gold", "marketing_consent": True}) == 1
    assert _preview(owner, program, {"type": "all", "marketing_consent": False}) == 4
    response = owner.post(f"/programs/{program['id']}/messages",
                          {"text": "Sconto 10%", "segment": {"type": "all", "marketing_consent": True}})
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["segment"] == {"type": "all", "marketing_consent": True}
    assert response.get_json()["recipients"] == 2
    db.session.expire_all()
    assert db.session.get_one(Program, program["id"]).message is None  # not every card: not the program's
    messages = {m.name: m.message for m in db.session.scalars(select(Member))}
    assert messages == {"Ada": "Sconto 10%", "Bruno": "Sconto 10%", "Carla": None, "Dario": None, "Erased": None}


def test_inactive_and_birthday_segments_write_their_members(owner: Api, program: dict[str, Any],
                                                            crowd: dict[str, int]) -> None:
    response = owner.post(f"/programs/{program['id']}/messages",
                          {"text": "We miss you", "segment": {"type": "inactive", "days": 30}})
    assert response.get_json()["recipients"] == 2
    owner.post(f"/programs/{program['id']}/messages", {"text": "Happy birthday month", "segment": {"type": "birthday_month"}})
    db.session.expire_all()
    messages = dict(db.session.execute(select(Member.id, Member.message)).all())
    assert messages == {crowd["Ada"]: None, crowd["Bruno"]: "We miss you", crowd["Carla"]: "Happy birthday month",
                        crowd["Dario"]: None, crowd["Erased"]: None}


def test_sending_takes_the_same_statements_for_any_segment_size(owner: Api, program: dict[str, Any]) -> None:
    def send() -> int:
        with statements() as seen:
            response = owner.post(f"/programs/{program['id']}/messages",
                                  {"text": "Hi", "segment": {"type": "tier", "tier": "Bronze"}})
        assert response.status_code == 202
        return len(seen)

    _enrol(owner, program, "First One")
    small = send()
    for n in range(12):
        _enrol(owner, program, f"Member {n}")
    assert send() == small


@pytest.mark.parametrize(("segment", "status", "field"), [
    ({"type": "tier", "tier": "Platinum"}, 422, "segment.tier"),
    ({"type": "inactive"}, 422, "segment.days"),
    ({"type": "inactive", "days": 0}, 422, "segment.days"),
    ({"type": "member"}, 422, "segment.member_id"),
    ({"type": "everyone"}, 422, "segment.type"),
    ({"type": "all", "colour": "red"}, 422, "segment"),
    ({"type": "member", "member_id": 999_999}, 404, "segment.member_id"),
    ({"type": "all", "marketing_consent": "yes"}, 422, "segment.marketing_consent"),
])
def test_bad_segments_are_refused_naming_the_field(owner: Api, program: dict[str, Any], segment: Any, status: int,
                                                   field: str) -> None:
    for path in ("/messages", "/messages/preview"):
        response = owner.post(f"/programs/{program['id']}{path}", {"text": "Hi", "segment": segment})
        assert response.status_code == status, response.get_json()
        assert field in response.get_json()["error"]["message"]


def test_another_merchants_member_or_program_is_not_found(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                          runner: Any) -> None:
    ada = _enrol(owner, program, "Ada")
    other = Api(client, new_merchant(runner, "Other Shop", "owner@other.example"))
    theirs = other.post("/programs", {"name": "Other Club"}).get_json()
    response = other.post(f"/programs/{theirs['id']}/messages", {"text": "Hi", "segment": {"type": "member", "member_id": ada}})
    assert response.status_code == 404
    assert other.post(f"/programs/{program['id']}/messages/preview", {}).status_code == 404
    key = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"]).output
    cashier = Api(client, key.strip().splitlines()[-1])
    assert cashier.post(f"/programs/{program['id']}/messages/preview", {}).status_code == 403
