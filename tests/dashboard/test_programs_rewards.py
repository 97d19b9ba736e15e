"""The rewards tab: list, add, edit, turn off and on."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import Reward
from tests.conftest import Api
from tests.dashboard.members_helpers import add_cashier, login, other_merchant
from tests.dashboard.test_programs import OWNER, error_beside

COFFEE = {"name": "Caffè gratis", "description": "Un espresso al banco", "cost": "100", "stock": "",
          "min_tier": "", "valid_days": "30"}


@pytest.fixture
def signed_in(owner: Api, program: dict[str, Any], client: FlaskClient) -> int:
    login(client, OWNER)
    return int(program["id"])


def test_add_a_reward_and_see_it_listed(signed_in: int, client: FlaskClient) -> None:
    page = client.get(f"/dashboard/programs/{signed_in}/rewards").get_data(as_text=True)
    assert "No rewards yet" in page
    response = client.post(f"/dashboard/programs/{signed_in}/rewards", data=COFFEE | {"min_tier": "Gold"})
    assert response.status_code == 302
    reward = db.session.scalar(select(Reward))
    assert reward is not None
    assert (reward.name, reward.cost, reward.stock, reward.min_tier, reward.valid_days, reward.active) == (
        "Caffè gratis", 100, None, "Gold", 30, True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reward added: Caffè gratis" in page and "Un espresso al banco" in page and "no limit" in page


def test_bad_reward_fields_are_told_beside_them(signed_in: int, client: FlaskClient) -> None:
    response = client.post(f"/dashboard/programs/{signed_in}/rewards",
                           data=COFFEE | {"name": "", "cost": "0", "stock": "-3", "min_tier": "Diamond"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_beside(page, "name") == "This cannot be empty."
    assert "1 to 1000000" in error_beside(page, "cost")
    assert error_beside(page, "stock") and error_beside(page, "min_tier")
    assert 'value="Un espresso al banco"' not in page  # a textarea keeps it as its content instead
    assert "Un espresso al banco</textarea>" in page
    assert db.session.scalar(select(Reward.id)) is None


def test_edit_and_turn_off_and_on(signed_in: int, client: FlaskClient) -> None:
    client.post(f"/dashboard/programs/{signed_in}/rewards", data=COFFEE)
    reward = db.session.scalar(select(Reward))
    assert reward is not None
    edit = f"/dashboard/programs/{signed_in}/rewards/{reward.id}"
    assert 'value="Caffè gratis"' in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data=COFFEE | {"cost": "80", "stock": "12"}).status_code == 302
    db.session.expire_all()
    assert (reward.cost, reward.stock) == (80, 12)
    assert client.post(edit, data=COFFEE | {"cost": "many"}).status_code == 422
    client.post(f"{edit}/active", data={"active": "0"})
    db.session.expire_all()
    assert reward.active is False
    page = client.get(f"/dashboard/programs/{signed_in}/rewards").get_data(as_text=True)
    assert "Turn on" in page
    client.post(f"{edit}/active", data={"active": "1"})
    db.session.expire_all()
    assert reward.active is True


def test_rewards_of_others_are_not_found_and_cashiers_refused(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                              runner: FlaskCliRunner) -> None:
    reward = owner.post(f"/programs/{program['id']}/rewards", {"name": "Torta", "cost": 500}).get_json()
    edit = f"/dashboard/programs/{program['id']}/rewards/{reward['id']}"
    add_cashier()
    login(client, "cassa@rossi.example")
    assert client.get(edit).status_code == 403
    assert client.post(f"{edit}/active", data={"active": "0"}).status_code == 403
    client.post("/dashboard/logout")
    login(client, other_merchant(runner))
    assert client.get(edit).status_code == 404
    assert client.post(f"{edit}/active", data={"active": "0"}).status_code == 404
    other = owner.post("/programs", {"name": "Altro"}).get_json()
    client.post("/dashboard/logout")
    login(client, OWNER)
    assert client.get(f"/dashboard/programs/{other['id']}/rewards/{reward['id']}").status_code == 404
    assert db.session.scalar(select(Reward.active)) is True
