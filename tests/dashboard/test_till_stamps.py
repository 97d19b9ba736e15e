"""The till on a stamp card: a tap adds a stamp, a full card gives its reward."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import RewardCode
from tests.conftest import Api
from tests.dashboard.test_till import act, balance, entries, keys, login, till_url


@pytest.fixture
def stamp_member(owner: Api) -> dict[str, Any]:
    program = owner.post("/programs", {"name": "Caffè a timbri", "kind": "stamps", "stamps_required": 5,
                                       "stamp_reward": "Caffè gratis"})
    assert program.status_code == 201, program.get_json()
    member = owner.post(f"/programs/{program.get_json()['id']}/members",
                        {"name": "Marco Verdi", "email": "marco@example.com", "consent": {"terms": True}})
    assert member.status_code == 201, member.get_json()
    return dict(member.get_json())


def test_stamps_are_added_and_a_full_card_is_given(owner: Api, stamp_member: dict[str, Any],
                                                   client: FlaskClient) -> None:
    login(client)
    page = client.get(till_url(stamp_member["program_id"], stamp_member["card_number"])).get_data(as_text=True)
    assert 'id="stamps"' in page and 'id="amount"' not in page and "0 of 5" in page and "5 more stamps" in page
    one = act(client, stamp_member, "stamps", stamps="1")
    assert "+1 stamp for Marco Verdi" in client.get(one.headers["Location"]).get_data(as_text=True)
    act(client, stamp_member, "stamps", stamps="4")
    page = client.get(till_url(stamp_member["program_id"], stamp_member["card_number"])).get_data(as_text=True)
    assert "5 of 5" in page and 'id="till-redeem-stamps-form"' in page and "Caffè gratis" in page
    given = act(client, stamp_member, "redeem-stamps", key=keys(client, stamp_member["program_id"],
                                                                 stamp_member["card_number"])[1], hand_over="now")
    assert given.status_code == 302
    assert "Caffè gratis for Marco Verdi" in client.get(given.headers["Location"]).get_data(as_text=True)
    assert balance(owner, stamp_member) == 0
    assert db.session.scalars(select(RewardCode)).one().status == "used"


def test_a_card_not_full_and_bad_counts_are_refused(owner: Api, stamp_member: dict[str, Any],
                                                    client: FlaskClient) -> None:
    login(client)
    act(client, stamp_member, "stamps", stamps="2")
    refused = act(client, stamp_member, "redeem-stamps", hand_over="now")
    assert refused.status_code == 409 and "not full yet" in refused.get_data(as_text=True)
    for typed in ("0", "51", "two"):
        wrong = act(client, stamp_member, "stamps", stamps=typed)
        assert wrong.status_code == 422 and 'id="stamps-error"' in wrong.get_data(as_text=True)
    amount = act(client, stamp_member, "purchase", amount="12")
    assert amount.status_code == 422
    assert [e.points for e in entries(stamp_member["id"])] == [2]
