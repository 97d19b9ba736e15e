from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import update

from app.extensions import db
from app.models import RewardCode
from app.models._common import utcnow
from tests.conftest import Api, new_merchant
from tests.support.phone import check_pkpass_like_a_phone

PHONE = {"pass_type_identifier": "pass.dev.tessera.example", "team_identifier": "TESSERA000"}


@pytest.fixture
def cashier(owner: Api, runner: FlaskCliRunner, client: FlaskClient) -> Api:
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    assert result.exit_code == 0, result.output
    return Api(client, result.output.strip().splitlines()[-1])


@pytest.fixture
def coffee(owner: Api, program: dict[str, Any]) -> dict[str, Any]:
    response = owner.post(f"/programs/{program['id']}/rewards",
                          {"name": "Un caffè omaggio", "description": "Espresso o cappuccino", "cost": 100, "stock": 2,
                           "valid_days": 30})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _earn(api: Api, member: dict[str, Any], points: int) -> None:
    assert api.post(f"/members/{member['id']}/transactions", {"points": points}).status_code == 201


def _pass(client: FlaskClient, member: dict[str, Any]) -> dict[str, Any]:
    response = client.get(member["pass_url"].removeprefix("http://tessera.test"))
    assert response.status_code == 200
    return check_pkpass_like_a_phone(response.data, **PHONE)["storeCard"]


def _redeem(api: Api, member: dict[str, Any], reward: dict[str, Any], **kw: Any) -> Any:
    return api.post(f"/members/{member['id']}/rewards/{reward['id']}/redeem", **kw)


def test_the_catalogue(owner: Api, cashier: Api, program: dict[str, Any], coffee: dict[str, Any]) -> None:
    assert coffee["stock"] == 2 and coffee["active"] is True and coffee["min_tier"] is None
    assert cashier.post(f"/programs/{program['id']}/rewards", {"name": "x", "cost": 5}).status_code == 403
    gold = owner.post(f"/programs/{program['id']}/rewards", {"name": "Cena", "cost": 800, "min_tier": "Gold"})
    assert gold.status_code == 201
    listed = cashier.get(f"/programs/{program['id']}/rewards").get_json()["items"]
    assert [r["name"] for r in listed] == ["Un caffè omaggio", "Cena"]
    patched = owner.patch(f"/rewards/{coffee['id']}", {"stock": None, "description": "Solo al banco"})
    assert patched.status_code == 200
    assert (patched.get_json()["stock"], patched.get_json()["description"]) == (None, "Solo al banco")
    assert cashier.patch(f"/rewards/{coffee['id']}", {"active": False}).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "cost": 0}, "cost"),
    ({"name": "x", "cost": 5, "stock": -1}, "stock"),
    ({"name": "x", "cost": 5, "min_tier": "Platinum"}, "min_tier"),
    ({"name": "x"}, "cost"),
    ({"name": "x", "cost": 5, "valid_days": 0}, "valid_days"),
])
def test_invalid_rewards_are_refused(owner: Api, program: dict[str, Any], body: dict[str, Any], field: str) -> None:
    response = owner.post(f"/programs/{program['id']}/rewards", body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["message"]


def test_another_merchants_rewards_are_not_found(runner: FlaskCliRunner, client: FlaskClient, program: dict[str, Any],
                                                 member: dict[str, Any], coffee: dict[str, Any]) -> None:
    other = Api(client, new_merchant(runner, "Bar Verdi", "owner@verdi.example"))
    assert other.get(f"/programs/{program['id']}/rewards").status_code == 404
    assert other.patch(f"/rewards/{coffee['id']}", {"cost": 1}).status_code == 404
    assert _redeem(other, member, coffee).status_code == 404
    assert other.get(f"/members/{member['id']}/rewards").status_code == 404


def test_redeem_then_use_the_code_at_the_till(owner: Api, cashier: Api, member: dict[str, Any],
                                              coffee: dict[str, Any]) -> None:
    _earn(cashier, member, 250)
    response = _redeem(cashier, member, coffee)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["balance"] == 150 and body["reward"]["stock"] == 1
    code = body["code"]
    assert code["status"] == "issued" and code["reward"] == "Un caffè omaggio" and code["expires_at"]
    typed = code["code"].lower().replace("-", "")
    used = cashier.post("/rewards/redeem-code", {"code": typed})
    assert used.status_code == 200, used.get_json()
    assert used.get_json()["member"]["id"] == member["id"]
    assert used.get_json()["reward"]["id"] == coffee["id"]
    assert used.get_json()["code"]["status"] == "used"
    again = cashier.post("/rewards/redeem-code", {"code": code["code"]})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "code_used")
    codes = cashier.get(f"/members/{member['id']}/rewards").get_json()["items"]
    assert [(c["code"], c["status"]) for c in codes] == [(code["code"], "used")]


def test_unknown_expired_and_foreign_codes(runner: FlaskCliRunner, client: FlaskClient, owner: Api,
                                           member: dict[str, Any], coffee: dict[str, Any]) -> None:
    _earn(owner, member, 100)
    code = _redeem(owner, member, coffee).get_json()["code"]["code"]
    other = Api(client, new_merchant(runner, "Bar Verdi", "owner@verdi.example"))
    assert other.post("/rewards/redeem-code", {"code": code}).status_code == 404
    assert owner.post("/rewards/redeem-code", {"code": "ZZZZ-ZZZZ"}).status_code == 404
    assert owner.post("/rewards/redeem-code", {"code": "not a code"}).status_code == 404
    db.session.execute(update(RewardCode).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    expired = owner.post("/rewards/redeem-code", {"code": code})
    assert (expired.status_code, expired.get_json()["error"]["code"]) == (409, "code_expired")
    assert owner.get(f"/members/{member['id']}/rewards").get_json()["items"][0]["status"] == "expired"


def test_redemption_refusals(owner: Api, program: dict[str, Any], member: dict[str, Any], coffee: dict[str, Any]) -> None:
    poor = _redeem(owner, member, coffee)
    assert (poor.status_code, poor.get_json()["error"]["code"]) == (409, "insufficient_points")
    _earn(owner, member, 500)
    gold = owner.post(f"/programs/{program['id']}/rewards", {"name": "Cena", "cost": 100, "min_tier": "Gold"}).get_json()
    low = _redeem(owner, member, gold)
    assert (low.status_code, low.get_json()["error"]["code"]) == (409, "tier_too_low")
    owner.patch(f"/rewards/{coffee['id']}", {"stock": 0})
    empty = _redeem(owner, member, coffee)
    assert (empty.status_code, empty.get_json()["error"]["code"]) == (409, "out_of_stock")
    owner.patch(f"/rewards/{coffee['id']}", {"stock": 5, "active": False})
    off = _redeem(owner, member, coffee)
    assert (off.status_code, off.get_json()["error"]["code"]) == (409, "reward_inactive")
    other = owner.post("/programs", {"name": "Altro"}).get_json()
    elsewhere = owner.post(f"/programs/{other['id']}/rewards", {"name": "Tazza", "cost": 10}).get_json()
    assert _redeem(owner, member, elsewhere).status_code == 404
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 500


def test_a_retry_with_the_same_key_gets_the_same_code(owner: Api, member: dict[str, Any], coffee: dict[str, Any]) -> None:
    _earn(owner, member, 300)
    first = _redeem(owner, member, coffee, json={"idempotency_key": "till-2-0042"})
    again = _redeem(owner, member, coffee, headers={"Idempotency-Key": "till-2-0042"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["code"] == first.get_json()["code"]
    assert again.get_json()["balance"] == 200
    assert _redeem(owner, member, coffee, json={"idempotency_key": ""}).status_code == 422


def test_the_card_shows_the_next_reward_and_the_codes(client: FlaskClient, owner: Api, program: dict[str, Any],
                                                       member: dict[str, Any]) -> None:
    assert _pass(client, member)["auxiliaryFields"][0]["value"] == "Gold: mancano 1.000 punti"  # no catalogue yet
    owner.post(f"/programs/{program['id']}/rewards", {"name": "Un caffè omaggio", "cost": 200})
    _earn(owner, member, 80)
    card = _pass(client, member)
    assert card["auxiliaryFields"][0]["value"] == "Un caffè omaggio: mancano 120 punti"
    _earn(owner, member, 520)
    reward_id = owner.get(f"/programs/{program['id']}/rewards").get_json()["items"][0]["id"]
    codes = [_redeem(owner, member, {"id": reward_id}).get_json()["code"]["code"] for _ in range(3)]
    back = _pass(client, member)["backFields"]
    shown = [f["value"] for f in back if f["key"].startswith("reward_code_")]
    assert shown == [f"{c} · Un caffè omaggio" for c in reversed(codes)]
    assert {f["label"] for f in back if f["key"].startswith("reward_code_")} == {"reward_code"}
    owner.post("/rewards/redeem-code", {"code": codes[-1]})
    back = _pass(client, member)["backFields"]
    assert [f["value"].split(" ")[0] for f in back if f["key"].startswith("reward_code_")] == codes[1::-1]


def test_the_english_card_speaks_english(client: FlaskClient, owner: Api) -> None:
    program = owner.post("/programs", {"name": "Corner Café", "locale": "en"}).get_json()
    owner.post(f"/programs/{program['id']}/rewards", {"name": "A free coffee", "cost": 150})
    member = owner.post(f"/programs/{program['id']}/members",
                        {"name": "Ann Lee", "email": "ann@example.com", "consent": {"terms": True}}).get_json()
    _earn(owner, member, 30)
    assert _pass(client, member)["auxiliaryFields"][0]["value"] == "A free coffee: 120 points to go"


def test_a_stamp_card_end_to_end(client: FlaskClient, owner: Api, cashier: Api) -> None:
    program = owner.post("/programs", {"name": "Barberia Sud", "kind": "stamps", "stamps_required": 8,
                                       "stamp_reward": "Taglio omaggio"}).get_json()
    member = owner.post(f"/programs/{program['id']}/members",
                        {"name": "Marco Sala", "email": "marco@example.com", "consent": {"terms": True}}).get_json()
    money = cashier.post(f"/members/{member['id']}/transactions", {"amount": "18.00"})
    assert (money.status_code, "amount" in money.get_json()["error"]["message"]) == (422, True)
    for _ in range(3):
        _earn(cashier, member, 1)
    card = _pass(client, member)
    assert card["headerFields"][0]["value"] == "3/8" and "changeMessage" in card["headerFields"][0]
    assert card["primaryFields"][0]["value"] == "●●●○○○○○"
    early = cashier.post(f"/members/{member['id']}/stamps/redeem")
    assert (early.status_code, early.get_json()["error"]["code"]) == (409, "card_not_full")
    for _ in range(5):
        _earn(cashier, member, 1)
    assert _pass(client, member)["auxiliaryFields"][0]["value"] == "Carta completa. Il tuo premio: Taglio omaggio"
    redeemed = cashier.post(f"/members/{member['id']}/stamps/redeem", json={"idempotency_key": "barber-1"})
    assert redeemed.status_code == 201, redeemed.get_json()
    assert redeemed.get_json()["balance"] == 0 and redeemed.get_json()["reward"]["cost"] == 8
    card = _pass(client, member)
    assert (card["headerFields"][0]["value"], card["primaryFields"][0]["value"]) == ("0/8", "○" * 8)
    assert any(redeemed.get_json()["code"]["code"] in f["value"] for f in card["backFields"])
    assert cashier.post("/rewards/redeem-code", {"code": redeemed.get_json()["code"]["code"]}).status_code == 200


def test_a_points_card_has_no_stamps_to_redeem(owner: Api, member: dict[str, Any]) -> None:
    response = owner.post(f"/members/{member['id']}/stamps/redeem")
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "not_a_stamp_card")
