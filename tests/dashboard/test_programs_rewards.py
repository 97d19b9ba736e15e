"""The rewards tab: one editable list saved at once (add, edit, remove, all rows or none), the
reward's own page for its description, turning a reward off and on."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import CardSweep, Reward, StaffUser
from tests.conftest import Api
from tests.dashboard.members_helpers import add_cashier, login, other_merchant
from tests.dashboard.test_programs import OWNER, error_beside

COFFEE = {"name": "Caffè gratis", "description": "Un espresso al banco", "cost": "100", "stock": "",
          "min_tier": "", "valid_days": "30"}


def rewards_form(client: FlaskClient, program_id: int) -> dict[str, str]:
    """The list as the page fills it in: text and hidden inputs, selects and ticked checkboxes."""
    page = client.get(f"/dashboard/programs/{program_id}/rewards").get_data(as_text=True)
    page = page.split("<template", 1)[0] + page.split("</template>", 1)[-1]  # not the row to clone
    form = {m.group(1): m.group(2) for m in re.finditer(
        r'<input type="(?:text|hidden)"(?: id="[^"]*")? name="([^"]+)" value="([^"]*)"', page)}
    form.update({name: "1" for name in re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="1" checked', page)})
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        form[name] = chosen.group(1) if chosen else ""
    form.pop("csrf_token", None)
    return form


def row(i: int, **fields: str) -> dict[str, str]:
    return {f"reward-{i}-{name}": value for name, value in fields.items()}


def saved() -> list[tuple[str, int, int | None, str | None, int | None, bool]]:
    db.session.expire_all()
    return [(r.name, r.cost, r.stock, r.min_tier, r.valid_days, r.active)
            for r in db.session.scalars(select(Reward).order_by(Reward.cost))]


def sweeps() -> int:
    return db.session.scalar(select(func.count(CardSweep.id)).where(CardSweep.reason == "rewards")) or 0


@pytest.fixture
def signed_in(owner: Api, program: dict[str, Any], client: FlaskClient) -> int:
    login(client, OWNER)
    return int(program["id"])


def test_add_two_rewards_in_one_save_and_see_them_listed(signed_in: int, client: FlaskClient) -> None:
    page = client.get(f"/dashboard/programs/{signed_in}/rewards").get_data(as_text=True)
    assert "No rewards yet" in page
    form = rewards_form(client, signed_in)
    assert form["reward_count"] == "2" and form["reward-0-name"] == form["reward-1-name"] == ""
    form |= row(0, name="Caffè gratis", cost="100", valid_days="30", min_tier="Gold")
    form |= row(1, name="Cornetto", cost="60", stock="12")
    response = client.post(f"/dashboard/programs/{signed_in}/rewards", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert saved() == [("Cornetto", 60, 12, None, None, True), ("Caffè gratis", 100, None, "Gold", 30, True)]
    assert sweeps() == 1  # one catalogue change for the cards, not one per row
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rewards saved (added: 2, changed: 0, removed: 0)." in page
    again = rewards_form(client, signed_in)
    assert (again["reward-0-name"], again["reward-0-stock"], again["reward-1-min_tier"]) == ("Cornetto", "12", "Gold")
    assert again["reward_count"] == "4"  # the two rewards and two empty rows


def test_one_bad_row_saves_nothing_and_is_told_beside_its_fields(signed_in: int, client: FlaskClient) -> None:
    form = rewards_form(client, signed_in) | row(0, name="Caffè gratis", cost="100") | row(1, name="", cost="0", stock="-3")
    response = client.post(f"/dashboard/programs/{signed_in}/rewards", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_beside(page, "reward-1-name") == "This cannot be empty."
    assert "1 to 1000000" in error_beside(page, "reward-1-cost") and error_beside(page, "reward-1-stock")
    assert 'id="reward-0-error"' not in page and 'value="Caffè gratis"' in page  # the good row kept as typed
    assert saved() == [] and sweeps() == 0


def test_edit_remove_and_add_in_one_save(signed_in: int, owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    for name, cost in (("Biscotto", 5), ("Cornetto", 10), ("Torta", 500)):
        assert owner.post(f"/programs/{signed_in}/rewards", {"name": name, "cost": cost}).status_code == 201
    owner.post(f"/members/{member['id']}/transactions", {"points": 50})
    cornetto = db.session.scalar(select(Reward.id).where(Reward.name == "Cornetto"))
    assert owner.post(f"/members/{member['id']}/rewards/{cornetto}/redeem", {}).status_code == 201
    before = sweeps()
    form = rewards_form(client, signed_in)
    assert [form[f"reward-{i}-name"] for i in range(3)] == ["Biscotto", "Cornetto", "Torta"]
    form |= row(0, remove="1") | row(1, remove="1") | row(2, cost="450", stock="3") | row(3, name="Gelato", cost="80")
    response = client.post(f"/dashboard/programs/{signed_in}/rewards", data=form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Rewards saved (added: 1, changed: 1, removed: 1)." in page
    assert "Reward turned off rather than removed, because codes were already issued for it (they stay valid): Cornetto." in page
    # Biscotto, never redeemed, is gone; Cornetto has a code out, so it is only turned off.
    assert saved() == [("Cornetto", 10, None, None, None, False), ("Gelato", 80, None, None, None, True),
                       ("Torta", 450, 3, None, None, True)]
    assert sweeps() == before + 1


def test_an_unchanged_save_changes_nothing(signed_in: int, owner: Api, client: FlaskClient) -> None:
    owner.post(f"/programs/{signed_in}/rewards", {"name": "Torta", "cost": 500})
    before = sweeps()
    response = client.post(f"/dashboard/programs/{signed_in}/rewards", data=rewards_form(client, signed_in),
                           follow_redirects=True)
    assert "Nothing to save" in response.get_data(as_text=True) and sweeps() == before


def test_more_rows_without_javascript_keeps_what_was_typed(signed_in: int, client: FlaskClient) -> None:
    form = rewards_form(client, signed_in) | row(0, name="Cornetto", cost="6x") | {"more_rows": "1"}
    response = client.post(f"/dashboard/programs/{signed_in}/rewards", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="reward_count" value="5"' in page
    assert 'value="Cornetto"' in page and 'value="6x"' in page and 'class="error"' not in page
    assert 'id="reward-4-name"' in page and saved() == []


def test_numbers_are_read_and_shown_the_italian_way(signed_in: int, client: FlaskClient) -> None:
    db.session.execute(update(StaffUser).values(locale="it"))
    db.session.commit()
    form = rewards_form(client, signed_in) | row(0, name="Torta", cost="1.500", stock="2.000")
    assert client.post(f"/dashboard/programs/{signed_in}/rewards", data=form).status_code == 302
    assert saved() == [("Torta", 1500, 2000, None, None, True)]
    again = rewards_form(client, signed_in)
    assert (again["reward-0-cost"], again["reward-0-stock"]) == ("1500", "2000")
    bad = client.post(f"/dashboard/programs/{signed_in}/rewards", data=again | row(0, cost="12,5"))
    assert bad.status_code == 422 and "senza decimali" in error_beside(bad.get_data(as_text=True), "reward-0-cost")


def test_the_reward_page_edits_the_description_and_turns_it_off_and_on(signed_in: int, owner: Api,
                                                                     client: FlaskClient) -> None:
    owner.post(f"/programs/{signed_in}/rewards", {"name": "Caffè gratis", "cost": 100})
    reward = db.session.scalar(select(Reward))
    assert reward is not None
    edit = f"/dashboard/programs/{signed_in}/rewards/{reward.id}"
    assert f'href="{edit}"' in client.get(f"/dashboard/programs/{signed_in}/rewards").get_data(as_text=True)
    assert 'value="Caffè gratis"' in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data=COFFEE | {"cost": "80", "stock": "12"}).status_code == 302
    db.session.expire_all()
    assert (reward.cost, reward.stock, reward.description) == (80, 12, "Un espresso al banco")
    refused = client.post(edit, data=COFFEE | {"cost": "many", "description": "x" * 301})
    assert refused.status_code == 422 and "not a number" in error_beside(refused.get_data(as_text=True), "cost")
    client.post(f"{edit}/active", data={"active": "0"})
    db.session.expire_all()
    assert reward.active is False
    form = rewards_form(client, signed_in)
    assert "reward-0-active" not in form  # shown unticked in the list
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
    # A row naming a reward of another program is not found, and nothing is saved.
    forged = {"reward_count": "1", **row(0, id=str(reward["id"]), name="Mine", cost="1", remove="1")}
    assert client.post(f"/dashboard/programs/{other['id']}/rewards", data=forged).status_code == 404
    assert db.session.scalar(select(Reward.active)) is True and db.session.scalar(select(Reward.name)) == "Torta"
