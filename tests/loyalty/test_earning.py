from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.extensions import db
from app.models import Campaign, Member
from app.models._common import utcnow
from tests.conftest import Api


@pytest.fixture
def club(owner: Api) -> dict[str, Any]:
    response = owner.post("/programs", {
        "name": "Earn Club", "earn_rate": "2", "rounding": "down", "welcome_bonus": 50,
        "tiers": [{"name": "Bronze", "min_points": 0}, {"name": "Silver", "min_points": 200, "multiplier": "1.5"},
                  {"name": "Gold", "min_points": 1000, "multiplier": "2", "colors": {"background": "#d4af37"}}],
    })
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _join(owner: Api, club: dict[str, Any], email: str = "a@example.com") -> dict[str, Any]:
    response = owner.post(f"/programs/{club['id']}/members", {"name": "A", "email": email, "consent": {"terms": True}})
    assert response.status_code == 201
    return dict(response.get_json())


def _spend(owner: Api, member: dict[str, Any], amount: Any, **extra: Any) -> Any:
    return owner.post(f"/members/{member['id']}/transactions", {"amount": amount, **extra})


def test_program_rules_round_trip(club: dict[str, Any]) -> None:
    assert (club["earn_rate"], club["rounding"], club["welcome_bonus"], club["kind"]) == ("2", "down", 50, "points")
    assert club["tiers"][1]["multiplier"] == "1.5"
    assert club["tiers"][2]["colors"] == {"background": "#d4af37"}


def test_welcome_bonus_is_a_ledger_entry(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    assert member["points"] == 50
    history = owner.get(f"/members/{member['id']}/transactions").get_json()["items"]
    assert [(h["kind"], h["points"], h["reason"]) for h in history] == [("bonus", 50, "Welcome bonus")]


def test_amount_becomes_points_by_rate_rounding_and_tier(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    first = _spend(owner, member, "12.74")  # 25.48 points, rounded down; Bronze earns 1x
    assert first.status_code == 201
    assert (first.get_json()["points"], first.get_json()["amount"]) == (25, "12.74")
    big = _spend(owner, member, 100).get_json()  # 200 points: 50 + 25 + 200 = 275 earned: Silver at once
    assert (big["points"], big["tier"]) == (200, "Silver")
    silver = _spend(owner, member, "10.00").get_json()  # 10 x 2 x 1.5
    assert silver["points"] == 30


def test_nearest_and_up_rounding(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    owner.patch(f"/programs/{club['id']}", {"rounding": "up", "earn_rate": "0.1"})
    assert _spend(owner, member, "1.01").get_json()["points"] == 1
    owner.patch(f"/programs/{club['id']}", {"rounding": "nearest"})
    assert _spend(owner, member, "14.99").get_json()["points"] == 1
    assert _spend(owner, member, "4.99").status_code == 422  # 0.499 rounds to nothing


def test_campaign_multiplies_while_it_runs(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    now = utcnow()
    db.session.add_all([
        Campaign(program_id=club["id"], name="Weekend", multiplier=Decimal(3), starts_at=now - timedelta(hours=1),
                 ends_at=now + timedelta(hours=1)),
        Campaign(program_id=club["id"], name="Past", multiplier=Decimal(10), starts_at=now - timedelta(days=3),
                 ends_at=now - timedelta(days=2)),
    ])
    db.session.commit()
    assert _spend(owner, member, "5").get_json()["points"] == 30


def test_points_or_amount_not_both(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    for body in ({}, {"points": 5, "amount": "5"}, {"amount": "-3"}, {"amount": "1.234"}, {"amount": "abc"},
                 {"amount": True}):
        response = owner.post(f"/members/{member['id']}/transactions", body)
        assert response.status_code == 422, body


def test_amount_idempotency(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    first = _spend(owner, member, "10", idempotency_key="r-1")
    again = _spend(owner, member, "10.00", idempotency_key="r-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert _spend(owner, member, "11", idempotency_key="r-1").status_code == 409


def test_tier_lock_and_rolling_window(owner: Api, club: dict[str, Any]) -> None:
    member = _join(owner, club)
    row = db.session.get_one(Member, member["id"])
    row.tier_locked = True
    db.session.commit()
    assert _spend(owner, member, "1000").get_json()["tier"] == "Bronze"  # locked by hand
    owner.patch(f"/programs/{club['id']}", {"tier_basis": "rolling", "tier_window_days": 30})
    other = _join(owner, club, "b@example.com")
    assert _spend(owner, other, "100").get_json()["tier"] == "Silver"
    bad = owner.patch(f"/programs/{club['id']}", {"tier_window_days": None})
    assert bad.status_code == 422 and "tier_window_days" in bad.get_json()["error"]["message"]


def test_the_card_wears_the_tiers_colours(owner: Api, club: dict[str, Any], client: Any) -> None:
    from tests.support.phone import check_pkpass_like_a_phone

    member = _join(owner, club)
    _spend(owner, member, "500")
    data = client.get(member["pass_url"].removeprefix("http://tessera.test")).data
    pass_json = check_pkpass_like_a_phone(data, pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    assert pass_json["backgroundColor"] == "rgb(212, 175, 55)"  # Gold's own colour
    tier_field = next(f for f in pass_json["storeCard"]["secondaryFields"] if f["key"] == "tier")
    assert tier_field["value"] == "Gold"


def test_owner_puts_a_member_in_a_tier_by_hand(owner: Api, club: dict[str, Any], runner: Any) -> None:
    member = _join(owner, club)
    locked = owner.client.put(f"/api/v1/members/{member['id']}/tier", json={"tier": "Gold", "tier_locked": True},
                              headers={"Authorization": f"Bearer {owner.key}"})
    assert locked.status_code == 200
    assert (locked.get_json()["tier"], locked.get_json()["tier_locked"]) == ("Gold", True)
    assert owner.post(f"/members/{member['id']}/transactions", {"points": -50}).get_json()["tier"] == "Gold"
    unknown = owner.client.put(f"/api/v1/members/{member['id']}/tier", json={"tier": "Platinum", "tier_locked": True},
                               headers={"Authorization": f"Bearer {owner.key}"})
    assert unknown.status_code == 422 and "tier must be one of" in unknown.get_json()["error"]["message"]
    unlocked = owner.client.put(f"/api/v1/members/{member['id']}/tier", json={"tier": "Bronze", "tier_locked": False},
                                headers={"Authorization": f"Bearer {owner.key}"})
    assert unlocked.get_json()["tier_locked"] is False
    assert _spend(owner, member, "500").get_json()["tier"] == "Gold"  # rules apply again
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    cashier = result.output.strip().splitlines()[-1]
    refused = owner.client.put(f"/api/v1/members/{member['id']}/tier", json={"tier": None, "tier_locked": False},
                               headers={"Authorization": f"Bearer {cashier}"})
    assert refused.status_code == 403
