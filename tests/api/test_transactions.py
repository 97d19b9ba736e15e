from __future__ import annotations

from typing import Any

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, LedgerEntry
from tests.conftest import Api


def tx(api: Api, member: dict[str, Any], points: Any, **extra: Any) -> Any:
    return api.post(f"/members/{member['id']}/transactions", {"points": points, **extra})


def test_earn_and_redeem_move_the_balance_and_tier(owner: Api, member: dict[str, Any]) -> None:
    first = tx(owner, member, 700, reason="Purchase")
    assert first.status_code == 201
    assert first.get_json() | {"id": 0, "created_at": ""} == {
        "id": 0, "points": 700, "balance": 700, "tier": "Bronze", "kind": "earn", "reason": "Purchase", "created_at": "",
        "amount": None,
    }
    second = tx(owner, member, 400).get_json()
    assert (second["balance"], second["tier"]) == (1100, "Gold")
    redeemed = tx(owner, member, -600).get_json()
    assert (redeemed["balance"], redeemed["tier"], redeemed["kind"]) == (500, "Gold", "redeem")
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 500


def test_every_change_bumps_the_card_version(owner: Api, member: dict[str, Any]) -> None:
    versions = []
    for points in (10, 20, -5):
        tx(owner, member, points)
        db.session.expire_all()
        versions.append(db.session.scalar(select(Card.version)))
    assert versions == sorted(set(versions)) and len(versions) == 3


def test_overdrawn_redemption_is_409_and_changes_nothing(owner: Api, member: dict[str, Any]) -> None:
    tx(owner, member, 50)
    db.session.expire_all()
    version = db.session.scalar(select(Card.version))
    response = tx(owner, member, -51)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "insufficient_points"
    assert "50" in response.get_json()["error"]["message"]
    db.session.expire_all()
    assert db.session.scalar(select(Card.version)) == version
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1


def test_idempotency_key_credits_once(owner: Api, member: dict[str, Any]) -> None:
    first = tx(owner, member, 25, idempotency_key="till-7-receipt-1001")
    again = tx(owner, member, 25, idempotency_key="till-7-receipt-1001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    via_header = owner.post(f"/members/{member['id']}/transactions", {"points": 25},
                            headers={"Idempotency-Key": "till-7-receipt-1001"})
    assert via_header.status_code == 200
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 25
    reused = tx(owner, member, 30, idempotency_key="till-7-receipt-1001")
    assert reused.status_code == 409
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"


def test_idempotency_keys_are_per_merchant(owner: Api, member: dict[str, Any], runner: FlaskCliRunner) -> None:
    from tests.conftest import new_merchant

    other = Api(owner.client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    prog = other.post("/programs", {"name": "Pizza"}).get_json()
    theirs = other.post(f"/programs/{prog['id']}/members",
                        {"name": "Z", "email": "z@example.com", "consent": {"terms": True}}).get_json()
    assert tx(owner, member, 5, idempotency_key="k1").status_code == 201
    assert tx(other, theirs, 5, idempotency_key="k1").status_code == 201


def test_invalid_points_are_422(owner: Api, member: dict[str, Any]) -> None:
    for points, message in ((0, "must not be 0"), (1.5, "must be an integer"), ("10", "must be an integer"),
                            (True, "must be an integer"), (10**7, "at most 1000000"), (None, "must be an integer")):
        response = tx(owner, member, points)
        assert response.status_code == 422, points
        assert message in response.get_json()["error"]["message"], (points, response.get_json())


def test_history_is_newest_first(owner: Api, member: dict[str, Any]) -> None:
    for points in (10, 20, -5):
        tx(owner, member, points)
    items = owner.get(f"/members/{member['id']}/transactions").get_json()["items"]
    assert [i["points"] for i in items] == [-5, 20, 10]
    assert [i["balance"] for i in items] == [25, 30, 10]
