from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.errors import InsufficientPoints, InvalidValue, LoyaltyError
from app.loyalty.ledger import post, totals
from app.loyalty.rewards import (
    CodeExpired,
    CodeNotFound,
    CodeUsed,
    OutOfStock,
    RewardInactive,
    TierTooLow,
    create_reward,
    effective_status,
    next_reward,
    normalise_code,
    redeem_reward,
    update_reward,
    use_code,
)
from app.models import (
    Card,
    LedgerEntry,
    Member,
    OutboxJob,
    Program,
    Reward,
    RewardCode,
    WebhookEndpoint,
)
from app.models._common import utcnow
from tests.conftest import Api, new_merchant


def _member(member_id: int) -> Member:
    return db.session.get_one(Member, member_id)


def _reward(program_id: int, **fields: Any) -> Reward:
    reward = create_reward(db.session.get_one(Program, program_id), {"name": "Caffè omaggio", "cost": 100, **fields})
    db.session.commit()
    return reward


def _funded(member_id: int, points: int) -> Member:
    member = _member(member_id)
    post(member, points)
    db.session.commit()
    return member


def _at_once(app: Flask, count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work` in `count` threads released together, each in its own session and transaction."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        with app.app_context():
            try:
                barrier.wait()
                result = work(i)
                db.session.commit()
                return result
            except LoyaltyError as exc:
                db.session.rollback()
                return exc
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_redeeming_debits_the_ledger_takes_stock_and_issues_a_code(member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"], stock=5, valid_days=30)
    m = _funded(member["id"], 250)
    redemption = redeem_reward(m, reward)
    db.session.commit()
    code = redemption.code
    assert redemption.balance == 150 and totals(m.id).balance == 150
    assert normalise_code(code.code) == code.code and len(code.code) == 9
    assert code.status == "issued" and effective_status(code) == "issued"
    assert code.expires_at is not None and timedelta(days=29) < code.expires_at - utcnow() <= timedelta(days=30)
    entry = db.session.get_one(LedgerEntry, code.ledger_entry_id)
    assert (entry.kind, entry.points, entry.reason) == ("reward", -100, "Caffè omaggio")
    db.session.refresh(reward)
    assert reward.stock == 4


def test_codes_are_normalised_as_typed() -> None:
    assert normalise_code(" abcd-2345 ") == "ABCD-2345"
    assert normalise_code("abcd2345") == "ABCD-2345"
    assert normalise_code("AB CD 23 45") == "ABCD-2345"
    assert normalise_code("ABCD-0345") == ""  # 0 is never used: it would read as O
    assert normalise_code("ABCD-234") == ""


def test_refusals_leave_nothing_behind(member: dict[str, Any], program: dict[str, Any]) -> None:
    gold = _reward(program["id"], name="Cena per due", cost=50, min_tier="Gold", stock=3)
    m = _funded(member["id"], 60)
    with pytest.raises(TierTooLow):
        redeem_reward(m, gold)
    db.session.rollback()
    pricey = _reward(program["id"], name="Cesto", cost=500, stock=3)
    with pytest.raises(InsufficientPoints):
        redeem_reward(_member(member["id"]), pricey)
    db.session.rollback()
    update_reward(pricey, {"cost": 10, "active": False})
    db.session.commit()
    with pytest.raises(RewardInactive):
        redeem_reward(_member(member["id"]), pricey)
    db.session.rollback()
    assert totals(member["id"]).balance == 60
    assert db.session.scalars(select(Reward.stock)).all() == [3, 3]
    assert db.session.scalar(select(func.count(RewardCode.id))) == 0


def test_out_of_stock(member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"], stock=0)
    with pytest.raises(OutOfStock):
        redeem_reward(_funded(member["id"], 500), reward)
    db.session.rollback()
    assert totals(member["id"]).balance == 500


def test_a_gold_member_may_take_a_gold_reward(member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"], cost=200, min_tier="Gold")
    m = _funded(member["id"], 1200)
    assert m.tier == "Gold"
    assert redeem_reward(m, reward).balance == 1000


def test_min_tier_must_be_one_of_the_programs(program: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        _reward(program["id"], min_tier="Platinum")
    assert caught.value.field == "min_tier"
    with pytest.raises(InvalidValue):
        _reward(program["id"], cost=0)
    with pytest.raises(InvalidValue):
        _reward(program["id"], stock=-1)


def test_the_same_idempotency_key_returns_the_same_code(member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"], stock=1)
    first = redeem_reward(_funded(member["id"], 300), reward, idempotency_key="till-7-0001")
    db.session.commit()
    again = redeem_reward(_member(member["id"]), reward, idempotency_key="till-7-0001")  # stock is 0 by now
    assert again.replayed and again.code.id == first.code.id and again.balance == 200
    assert totals(member["id"]).balance == 200


def test_a_code_is_used_once_and_the_card_changes(member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"])
    code = redeem_reward(_funded(member["id"], 100), reward).code.code
    db.session.commit()
    version = db.session.scalar(select(Card.version).where(Card.member_id == member["id"]))
    used = use_code(_member(member["id"]).merchant_id, code.lower().replace("-", ""))
    db.session.commit()
    assert used.status == "used" and used.used_at is not None
    assert db.session.scalar(select(Card.version).where(Card.member_id == member["id"])) == version + 1
    with pytest.raises(CodeUsed):
        use_code(used.member.merchant_id, code)


def test_an_expired_code_is_refused(member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"], valid_days=1)
    code = redeem_reward(_funded(member["id"], 100), reward, now=utcnow() - timedelta(days=2)).code
    db.session.commit()
    assert effective_status(code) == "expired"
    with pytest.raises(CodeExpired):
        use_code(code.member.merchant_id, code.code)


def test_another_merchants_code_is_not_found(runner: Any, client: Any, member: dict[str, Any], program: dict[str, Any]) -> None:
    code = redeem_reward(_funded(member["id"], 100), _reward(program["id"])).code
    db.session.commit()
    other = Api(client, new_merchant(runner, "Bar Verdi", "owner@verdi.example"))
    other_program = other.post("/programs", {"name": "Verdi"}).get_json()
    with pytest.raises(CodeNotFound):
        use_code(db.session.get_one(Program, other_program["id"]).merchant_id, code.code)
    with pytest.raises(CodeNotFound):
        use_code(code.member.merchant_id, "ZZZZ-ZZZZ")


def test_redemption_emits_reward_redeemed(member: dict[str, Any], program: dict[str, Any]) -> None:
    m = _funded(member["id"], 100)
    db.session.add(WebhookEndpoint(merchant_id=m.merchant_id, url="https://hooks.example/t", secret="s" * 32,
                                   events="reward.redeemed", active=True))
    db.session.commit()
    redemption = redeem_reward(_member(member["id"]), _reward(program["id"]))
    db.session.commit()
    payloads = [json.loads(p) for p in db.session.scalars(select(OutboxJob.payload).where(OutboxJob.kind == "webhook"))]
    assert [p["type"] for p in payloads] == ["reward.redeemed"]
    assert payloads[0]["data"]["code"] == redemption.code.code
    assert payloads[0]["data"]["balance"] == 0


def test_next_reward_is_the_cheapest_out_of_reach_that_the_tier_allows(member: dict[str, Any], program: dict[str, Any]) -> None:
    _reward(program["id"], name="Caffè", cost=100)
    _reward(program["id"], name="Cornetto", cost=150, stock=0)
    _reward(program["id"], name="Cena", cost=200, min_tier="Gold")
    _reward(program["id"], name="Torta", cost=400)
    m = _funded(member["id"], 120)
    found = next_reward(m, 120, m.tier)
    assert found is not None and (found[0].name, found[1]) == ("Torta", 280)
    found = next_reward(m, 20, m.tier)
    assert found is not None and (found[0].name, found[1]) == ("Caffè", 80)
    found = next_reward(m, 500, m.tier)
    assert found is not None and (found[0].name, found[1]) == ("Torta", 0)


def test_two_tills_using_one_code_at_once_use_it_once(app: Flask, member: dict[str, Any], program: dict[str, Any]) -> None:
    code = redeem_reward(_funded(member["id"], 100), _reward(program["id"])).code
    db.session.commit()
    merchant_id, text = code.member.merchant_id, code.code
    results = _at_once(app, 8, lambda i: use_code(merchant_id, text).id)
    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, CodeUsed) for r in results if not isinstance(r, int))
    db.session.expire_all()
    assert db.session.scalar(select(RewardCode.status)) == "used"


def test_the_last_item_in_stock_goes_to_one_member(app: Flask, owner: Api, member: dict[str, Any], program: dict[str, Any]) -> None:
    reward = _reward(program["id"], stock=1)
    ids = [member["id"]] + [
        owner.post(f"/programs/{program['id']}/members", {"name": f"Cliente {i}", "email": f"c{i}@example.com",
                                                           "consent": {"terms": True}}).get_json()["id"]
        for i in range(5)
    ]
    for member_id in ids:
        _funded(member_id, 100)
    reward_id = reward.id
    results = _at_once(app, len(ids), lambda i: redeem_reward(_member(ids[i]), db.session.get_one(Reward, reward_id)).code.id)
    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, OutOfStock) for r in results if not isinstance(r, int))
    db.session.expire_all()
    assert db.session.get_one(Reward, reward_id).stock == 0
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "reward")) == 1
    assert sorted(totals(i).balance for i in ids) == [0] + [100] * 5
