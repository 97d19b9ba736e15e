from __future__ import annotations

from typing import Any

from flask.testing import FlaskCliRunner

from app.loyalty.enrollment import is_card_number
from tests.conftest import Api, new_merchant


def enrol(api: Api, program_id: int, **fields: Any) -> Any:
    body = {"name": "Marco Verdi", "email": "marco@example.com", "consent": {"terms": True}, **fields}
    return api.post(f"/programs/{program_id}/members", body)


def test_enrolment_issues_a_card(owner: Api, program: dict[str, Any]) -> None:
    response = enrol(owner, program["id"], phone="+39 333 1234567", birthday="1990-04-12",
                     consent={"terms": True, "marketing": True})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "marco@example.com"
    assert body["points"] == 0
    assert body["tier"] == "Bronze"
    assert body["next_tier"] == {"name": "Gold", "points_needed": 1000}
    assert is_card_number(body["card_number"])
    assert len(body["serial_number"]) >= 16
    assert body["pass_url"].startswith("http://tessera.test/p/")
    assert body["consent"]["terms"] is True and body["consent"]["marketing"] is True
    assert body["consent"]["version"] == "terms-v1"
    assert body["birthday"] == "1990-04-12"
    assert "google_save_url" not in body


def test_card_secrets_are_random_and_long(owner: Api, program: dict[str, Any]) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Card

    for n in range(3):
        assert enrol(owner, program["id"], email=f"m{n}@example.com").status_code == 201
    cards = db.session.scalars(select(Card)).all()
    assert len({c.auth_token for c in cards}) == 3
    assert all(len(c.auth_token) >= 32 for c in cards)
    assert len({c.serial_number for c in cards}) == 3


def test_consent_is_recorded_with_its_version(owner: Api, program: dict[str, Any]) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ConsentEvent

    owner.patch(f"/programs/{program['id']}", {"terms": "New terms"})
    assert enrol(owner, program["id"]).status_code == 201
    events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.kind)).all()
    assert [(e.kind, e.granted, e.text_version) for e in events] == [
        ("marketing", False, "terms-v2"),
        ("terms", True, "terms-v2"),
    ]


def test_invalid_members_are_refused_by_field(owner: Api, program: dict[str, Any]) -> None:
    cases = [
        ({"consent": {"terms": False}}, "consent.terms must be true"),
        ({"email": "not-an-address"}, "email is not a valid"),
        ({"birthday": "1990-02-30"}, "birthday must be a real date"),
        ({"birthday": "2999-01-01"}, "birthday must be a past date"),
        ({"phone": "call me"}, "phone is not a valid"),
        ({"name": "   "}, "name must not be empty"),
        ({"referral_code": "NOPE1234"}, "referral_code does not belong"),
        ({"consent": {}}, "consent.terms is required"),
    ]
    for fields, message in cases:
        response = enrol(owner, program["id"], **fields)
        assert response.status_code == 422, fields
        assert message in response.get_json()["error"]["message"], (fields, response.get_json())


def test_same_email_twice_conflicts(owner: Api, program: dict[str, Any]) -> None:
    assert enrol(owner, program["id"]).status_code == 201
    again = enrol(owner, program["id"], email="  MARCO@example.com ")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "member_exists"


def test_referral_code_is_attributed(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import Member

    response = enrol(owner, program["id"], referral_code=member["referral_code"].lower())
    assert response.status_code == 201
    assert db.session.get(Member, response.get_json()["id"]).referred_by_id == member["id"]


def test_search_and_pages(owner: Api, program: dict[str, Any]) -> None:
    for n in range(5):
        enrol(owner, program["id"], name=f"Anna {n}", email=f"anna{n}@example.com")
    enrol(owner, program["id"], name="Luca", email="luca@example.com")
    page = owner.get(f"/programs/{program['id']}/members?per_page=2&page=2").get_json()
    assert (page["total"], page["pages"], page["page"], len(page["items"])) == (6, 3, 2, 2)
    found = owner.get(f"/programs/{program['id']}/members?q=ANNA").get_json()
    assert found["total"] == 5
    luca = owner.get(f"/programs/{program['id']}/members?q=luca@").get_json()["items"][0]
    by_card = owner.get(f"/programs/{program['id']}/members?q={luca['card_number']}").get_json()
    assert [m["id"] for m in by_card["items"]] == [luca["id"]]


def test_lookup_by_card_number(owner: Api, member: dict[str, Any]) -> None:
    response = owner.get(f"/members/lookup?card_number={member['card_number']}")
    assert response.status_code == 200
    assert response.get_json()["id"] == member["id"]
    assert owner.get("/members/lookup?card_number=0000000000000").status_code == 404
    assert owner.get("/members/lookup").status_code == 400


def test_members_of_another_merchant_are_not_found(owner: Api, member: dict[str, Any], runner: FlaskCliRunner) -> None:
    other = Api(owner.client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    assert other.get(f"/members/{member['id']}").status_code == 404
    assert other.get(f"/members/lookup?card_number={member['card_number']}").status_code == 404
    assert other.post(f"/members/{member['id']}/transactions", {"points": 5}).status_code == 404
    assert other.get(f"/members/{member['id']}/transactions").status_code == 404
    assert owner.get(f"/members/{member['id']}").status_code == 200
