"""A member's data rights: export, erasure (the card voided on the phone, the figures kept) and
consent changes recorded with time and terms version."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Card,
    ConsentEvent,
    Device,
    LedgerEntry,
    Member,
    OutboxJob,
    PushAttempt,
    Registration,
    Reward,
    RewardCode,
)
from tests.conftest import Api, new_merchant
from tests.passkit.conftest import PASS_TYPE, Phone
from tests.support.phone import check_pkpass_like_a_phone


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    return Phone(client)


def _delete(api: Api, path: str) -> Any:
    return api.client.delete("/api/v1" + path, headers={"Authorization": f"Bearer {api.key}"})


def _card(member_id: int) -> Card:
    db.session.expire_all()
    return db.session.scalars(select(Card).where(Card.member_id == member_id)).one()


def _rich_member(owner: Api, program: dict[str, Any]) -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/members", {
        "name": "Marco Gialli", "email": "marco@example.com", "phone": "+39 333 123 4567", "birthday": "1990-04-12",
        "consent": {"terms": True, "marketing": True}})
    assert response.status_code == 201, response.get_json()
    member = dict(response.get_json())
    owner.post(f"/members/{member['id']}/transactions", {"points": 120, "reason": "Pranzo"})
    owner.post(f"/members/{member['id']}/transactions", {"points": -20, "reason": "Sconto"})
    return member


def _cashier(client: FlaskClient, runner: FlaskCliRunner) -> Api:
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    return Api(client, result.output.strip().splitlines()[-1])


def test_export_holds_everything_about_the_member(owner: Api, program: dict[str, Any], phone: Phone) -> None:
    member = _rich_member(owner, program)
    card = _card(member["id"])
    phone.register(card.serial_number, card.auth_token)
    reward = Reward(program_id=program["id"], name="Cappuccino", cost=100)
    db.session.add(reward)
    db.session.flush()
    db.session.add(RewardCode(reward_id=reward.id, member_id=member["id"], code="CAPPU-0001"))
    db.session.add(PushAttempt(card_id=card.id, attempt=1, status=200, outcome="delivered"))
    db.session.commit()
    response = owner.get(f"/members/{member['id']}/export")
    assert response.status_code == 200
    export = response.get_json()
    profile = export["member"]
    assert (profile["name"], profile["email"], profile["phone"], profile["birthday"]) == (
        "Marco Gialli", "marco@example.com", "+39 333 123 4567", "1990-04-12")
    assert profile["erased_at"] is None
    assert export["program"]["id"] == program["id"]
    assert [(c["kind"], c["granted"], c["text_version"]) for c in export["consents"]] == [
        ("terms", True, "terms-v1"), ("marketing", True, "terms-v1")]
    assert [(e["points"], e["balance"], e["reason"]) for e in export["ledger"]] == [(120, 120, "Pranzo"), (-20, 100, "Sconto")]
    assert export["cards"][0]["card_number"] == member["card_number"]
    assert [(d["library_identifier"], d["platform"]) for d in export["devices"]] == [(phone.device, "apple")]
    assert "push_token" not in export["devices"][0]
    assert [(c["code"], c["reward"], c["status"]) for c in export["reward_codes"]] == [("CAPPU-0001", "Cappuccino", "issued")]
    assert [(a["status"], a["outcome"]) for a in export["push_attempts"]] == [(200, "delivered")]


def test_erasure_removes_the_person_and_keeps_the_figures(owner: Api, program: dict[str, Any]) -> None:
    member = _rich_member(owner, program)
    old_referral = member["referral_code"]
    assert _delete(owner, f"/members/{member['id']}").status_code == 204
    stored = db.session.get(Member, member["id"])
    assert stored is not None
    db.session.refresh(stored)
    assert (stored.name, stored.email, stored.phone, stored.birthday) == (
        "Erased member", f"erased-{member['id']}@invalid", None, None)
    assert stored.referral_code != old_referral and stored.referred_by_id is None
    assert (stored.consent_terms, stored.consent_marketing) == (False, False)
    assert stored.erased_at is not None
    assert [(c.kind, c.granted) for c in stored.consents][-1] == ("erasure", False)
    assert _card(member["id"]).voided
    entries = db.session.scalars(select(LedgerEntry.points).where(LedgerEntry.member_id == member["id"])).all()
    assert sorted(entries) == [-20, 120], "ledger rows are kept, so points issued and redeemed stay right"
    shown = owner.get(f"/members/{member['id']}").get_json()
    assert (shown["name"], shown["points"]) == ("Erased member", 100)
    export = owner.get(f"/members/{member['id']}/export").get_json()
    assert export["member"]["erased_at"] is not None and export["cards"][0]["voided"] is True


def test_erased_members_leave_search_and_lookup(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    kept = _rich_member(owner, program)
    _delete(owner, f"/members/{member['id']}")
    listed = owner.get(f"/programs/{program['id']}/members").get_json()
    assert [m["id"] for m in listed["items"]] == [kept["id"]] and listed["total"] == 1
    assert owner.get(f"/programs/{program['id']}/members?q=erased").get_json()["total"] == 0
    assert owner.get(f"/programs/{program['id']}/members?q={member['card_number']}").get_json()["total"] == 0
    assert owner.get(f"/members/lookup?card_number={member['card_number']}").status_code == 404
    assert owner.get(f"/members/lookup?card_number={kept['card_number']}").status_code == 200


def test_the_email_can_enrol_again_after_erasure(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    _delete(owner, f"/members/{member['id']}")
    again = owner.post(f"/programs/{program['id']}/members",
                       {"name": "Giulia Bianchi", "email": member["email"], "consent": {"terms": True}})
    assert again.status_code == 201
    assert again.get_json()["id"] != member["id"] and again.get_json()["points"] == 0


def test_an_erased_member_is_erased_once_and_takes_no_more_points(owner: Api, member: dict[str, Any]) -> None:
    assert _delete(owner, f"/members/{member['id']}").status_code == 204
    second = _delete(owner, f"/members/{member['id']}")
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "member_erased"
    refused = owner.post(f"/members/{member['id']}/transactions", {"points": 5})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "member_erased"
    assert owner.post(f"/members/{member['id']}/consents", {"marketing": True}).status_code == 409
    erasures = db.session.scalar(select(func.count(ConsentEvent.id)).where(ConsentEvent.kind == "erasure"))
    assert erasures == 1


def test_the_phone_is_pushed_shows_the_card_void_and_is_then_let_go(owner: Api, member: dict[str, Any],
                                                                   phone: Phone) -> None:
    card = _card(member["id"])
    assert phone.register(card.serial_number, card.auth_token).status_code == 201
    phone.what_changed()
    _delete(owner, f"/members/{member['id']}")
    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.kind == "apns")).all()
    assert [(j.card_id, j.status) for j in jobs] == [(card.id, "pending")], "the device is pushed"
    changed = phone.what_changed()
    assert changed.status_code == 200 and changed.get_json()["serialNumbers"] == [card.serial_number]
    fetched = phone.fetch(card.serial_number, card.auth_token)
    pass_json = check_pkpass_like_a_phone(fetched.data, pass_type_identifier=PASS_TYPE, team_identifier="TESSERA000")
    assert pass_json["voided"] is True
    fields = {f["key"]: f["value"] for group in pass_json["storeCard"].values() for f in group}
    assert fields["member"] == "Erased member"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Registration.id))) == 0, "registrations go once the phone was told"
    assert db.session.scalar(select(func.count(Device.id))) == 0
    phone.tag = None
    assert phone.what_changed().status_code == 204


def test_consent_changes_are_recorded_with_the_terms_version(owner: Api, program: dict[str, Any],
                                                            member: dict[str, Any]) -> None:
    given = owner.post(f"/members/{member['id']}/consents", {"marketing": True})
    assert given.status_code == 201
    assert {k: given.get_json()[k] for k in ("kind", "granted", "text_version", "source")} == {
        "kind": "marketing", "granted": True, "text_version": "terms-v1", "source": "api"}
    assert owner.get(f"/members/{member['id']}").get_json()["consent"]["marketing"] is True
    assert owner.patch(f"/programs/{program['id']}", {"terms": "Nuovi termini"}).status_code == 200
    withdrawn = owner.post(f"/members/{member['id']}/consents", {"marketing": False}).get_json()
    assert (withdrawn["granted"], withdrawn["text_version"]) == (False, "terms-v2")
    consent = owner.get(f"/members/{member['id']}").get_json()["consent"]
    assert (consent["marketing"], consent["version"], consent["at"]) == (False, "terms-v2", withdrawn["at"])
    history = owner.get(f"/members/{member['id']}/export").get_json()["consents"]
    assert [(c["kind"], c["granted"], c["text_version"]) for c in history] == [
        ("terms", True, "terms-v1"), ("marketing", False, "terms-v1"), ("marketing", True, "terms-v1"),
        ("marketing", False, "terms-v2")]


def test_consent_body_is_validated(owner: Api, member: dict[str, Any]) -> None:
    for body in ({}, {"marketing": "yes"}, {"marketing": True, "terms": False}):
        response = owner.post(f"/members/{member['id']}/consents", body)
        assert response.status_code == 422, body
        assert "marketing" in response.get_json()["error"]["message"] or "terms" in response.get_json()["error"]["message"]


def test_roles_and_merchants(client: FlaskClient, runner: FlaskCliRunner, owner: Api, member: dict[str, Any]) -> None:
    cashier = _cashier(client, runner)
    assert cashier.get(f"/members/{member['id']}/export").status_code == 403
    assert _delete(cashier, f"/members/{member['id']}").status_code == 403
    assert cashier.post(f"/members/{member['id']}/consents", {"marketing": True}).status_code == 201, \
        "the till may record what the customer says at the counter"
    other = Api(client, new_merchant(runner, "Forno Neri", "owner@neri.example"))
    assert other.get(f"/members/{member['id']}/export").status_code == 404
    assert _delete(other, f"/members/{member['id']}").status_code == 404
    assert other.post(f"/members/{member['id']}/consents", {"marketing": True}).status_code == 404
    assert db.session.get(Member, member["id"]).erased_at is None  # type: ignore[union-attr]
