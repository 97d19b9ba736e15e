from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.errors import IdempotencyKeyReused, InsufficientPoints, InvalidAmount
from app.loyalty.ledger import post, totals
from app.models import LedgerEntry, Member


def _in_threads(app: Flask, count: int, work: Callable[[int], Any]) -> list[Any]:
    def run(i: int) -> Any:
        with app.app_context():
            try:
                result = work(i)
                db.session.commit()
                return result
            except (InsufficientPoints, IdempotencyKeyReused) as exc:
                db.session.rollback()
                return exc
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(run, range(count)))


def _member(member_id: int) -> Member:
    return db.session.get_one(Member, member_id)


def test_concurrent_earnings_sum_exactly(app: Flask, member: dict[str, Any]) -> None:
    _in_threads(app, 40, lambda i: post(_member(member["id"]), 5))
    db.session.expire_all()
    assert totals(member["id"]).balance == 200
    balances = sorted(db.session.scalars(select(LedgerEntry.balance_after)))
    assert balances == list(range(5, 205, 5))  # every row saw every earlier one


def test_concurrent_redemptions_never_overdraw(app: Flask, member: dict[str, Any]) -> None:
    post(_member(member["id"]), 100)
    db.session.commit()
    results = _in_threads(app, 12, lambda i: post(_member(member["id"]), -30))
    assert sum(isinstance(r, InsufficientPoints) for r in results) == 9
    db.session.expire_all()
    assert totals(member["id"]).balance == 10


def test_one_idempotency_key_at_once_credits_once(app: Flask, member: dict[str, Any]) -> None:
    results = _in_threads(app, 16, lambda i: post(_member(member["id"]), 7, idempotency_key="receipt-1").entry.id)
    assert len({r for r in results if isinstance(r, int)}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1
    assert totals(member["id"]).balance == 7


@pytest.mark.parametrize("points", [0, 1.0, "5", True, 1_000_001, -1_000_001])
def test_invalid_amounts(member: dict[str, Any], points: Any) -> None:
    with pytest.raises(InvalidAmount):
        post(_member(member["id"]), points)


def test_earned_ignores_redemptions(member: dict[str, Any]) -> None:
    m = _member(member["id"])
    post(m, 100)
    post(m, -60)
    post(m, 10)
    sums = totals(m.id)
    assert (sums.balance, sums.earned) == (50, 110)
