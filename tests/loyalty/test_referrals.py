from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Api
from tests.support.phone import check_pkpass_like_a_phone


@pytest.fixture
def club(owner: Api) -> dict[str, Any]:
    response = owner.post("/programs", {"name": "Friends Club", "slug": "friends", "referrer_bonus": 100,
                                        "referee_bonus": 50, "referral_monthly_limit": 2})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _join(owner: Api, club: dict[str, Any], email: str, **extra: Any) -> dict[str, Any]:
    response = owner.post(f"/programs/{club['id']}/members",
                          {"name": email.split("@")[0], "email": email, "consent": {"terms": True}, **extra})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _points(owner: Api, member: dict[str, Any]) -> int:
    return int(owner.get(f"/members/{member['id']}").get_json()["points"])


def _buy(owner: Api, member: dict[str, Any], points: int = 10) -> None:
    assert owner.post(f"/members/{member['id']}/transactions", {"points": points}).status_code == 201


def test_both_get_their_bonus_after_the_first_purchase_once(owner: Api, club: dict[str, Any]) -> None:
    anna = _join(owner, club, "anna@example.com")
    bruno = _join(owner, club, "bruno@example.com", referral_code=anna["referral_code"])
    assert (_points(owner, anna), _points(owner, bruno)) == (0, 0)  # nothing before a purchase
    _buy(owner, bruno)
    assert (_points(owner, anna), _points(owner, bruno)) == (100, 60)
    _buy(owner, bruno)
    assert (_points(owner, anna), _points(owner, bruno)) == (100, 70)
    reasons = [t["reason"] for t in owner.get(f"/members/{anna['id']}/transactions").get_json()["items"]]
    assert reasons == ["Referral: bruno"]


def test_redemptions_do_not_trigger_the_bonus(owner: Api, club: dict[str, Any]) -> None:
    anna = _join(owner, club, "anna@example.com")
    bruno = _join(owner, club, "bruno@example.com", referral_code=anna["referral_code"])
    assert owner.post(f"/members/{bruno['id']}/transactions", {"points": -1}).status_code == 409
    assert _points(owner, anna) == 0


def test_the_monthly_limit_caps_the_referrers_bonuses(owner: Api, club: dict[str, Any]) -> None:
    anna = _join(owner, club, "anna@example.com")
    friends = [_join(owner, club, f"f{n}@example.com", referral_code=anna["referral_code"]) for n in range(3)]
    for friend in friends:
        _buy(owner, friend)
    assert _points(owner, anna) == 200
    assert all(_points(owner, f) == 60 for f in friends)


def test_the_same_phone_is_not_a_referral(owner: Api, club: dict[str, Any]) -> None:
    anna = _join(owner, club, "anna@example.com", phone="+39 333 1111111")
    again = _join(owner, club, "anna.bis@example.com", phone="+39 333 1111111", referral_code=anna["referral_code"])
    _buy(owner, again)
    assert _points(owner, anna) == 0


def test_link_and_qr(owner: Api, club: dict[str, Any], client: FlaskClient) -> None:
    anna = _join(owner, club, "anna@example.com")
    assert anna["referral_url"] == f"http://tessera.test/r/{anna['referral_code']}"
    redirect = client.get(f"/r/{anna['referral_code'].lower()}")
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == f"http://tessera.test/join/friends?ref={anna['referral_code']}"
    qr = client.get(f"/r/{anna['referral_code']}.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    assert client.get("/r/NOPE1234.svg").status_code == 404
    data = client.get(anna["pass_url"].removeprefix("http://tessera.test")).data
    back = check_pkpass_like_a_phone(data, pass_type_identifier="pass.dev.tessera.example",
                                     team_identifier="TESSERA000")["storeCard"]["backFields"]
    assert {"key": "referral", "label": "referral", "value": anna["referral_url"]}.items() <= next(
        f for f in back if f["key"] == "referral").items()
