"""Tills hitting the API at the same moment: sums stay exact, balances never go below zero,
an idempotency key credits once. Runs on SQLite and on PostgreSQL."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from tests.conftest import Api


def _at_once(app: Flask, key: str, member: dict[str, Any], bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    path = f"/api/v1/members/{member['id']}/transactions"

    def send(body: dict[str, Any]) -> tuple[int, Any]:
        client = app.test_client()
        response = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(send, bodies))


def test_200_concurrent_earnings_sum_exactly(app: Flask, owner: Api, member: dict[str, Any]) -> None:
    results = _at_once(app, owner.key, member, [{"points": 3} for _ in range(200)])
    assert Counter(status for status, _ in results) == {201: 200}
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 600
    balances = sorted(body["balance"] for _, body in results)
    assert balances == list(range(3, 603, 3)), "each answer saw every earlier credit"


def test_concurrent_redemptions_never_go_below_zero(app: Flask, owner: Api, member: dict[str, Any]) -> None:
    owner.post(f"/members/{member['id']}/transactions", {"points": 100})
    results = _at_once(app, owner.key, member, [{"points": -7} for _ in range(40)])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 14, 409: 26}
    assert all(body["error"]["code"] == "insufficient_points" for status, body in results if status == 409)
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 2


def test_one_idempotency_key_sent_50_times_at_once_credits_once(app: Flask, owner: Api,
                                                                 member: dict[str, Any]) -> None:
    body = {"points": 25, "idempotency_key": "till-3-receipt-777"}
    results = _at_once(app, owner.key, member, [body] * 50)
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1 and statuses[201] + statuses[200] == 50, statuses
    assert len({body["id"] for _, body in results}) == 1
    assert owner.get(f"/members/{member['id']}").get_json()["points"] == 25
