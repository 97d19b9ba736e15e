"""The till: finding a card, adding a purchase, redeeming, each credited once and pushed."""
from __future__ import annotations

import re
import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.ledger import totals
from app.models import Card, LedgerEntry, Member, OutboxJob, RewardCode, StaffUser
from app.security import hash_password
from tests.conftest import Api, new_merchant

PASSWORD = "correct horse battery"
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


def login(client: FlaskClient, email: str = "owner@rossi.example") -> None:
    response = client.post("/dashboard/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def add_cashier(email: str = "anna@rossi.example", of: str = "owner@rossi.example") -> None:
    owner = db.session.scalar(select(StaffUser).where(StaffUser.email == of))
    assert owner is not None
    db.session.add(StaffUser(merchant_id=owner.merchant_id, email=email, password_hash=hash_password(PASSWORD),
                             role="cashier", name="Anna"))
    db.session.commit()


def till_url(program_id: int, number: str = "", action: str = "") -> str:
    base = f"/dashboard/programs/{program_id}/till"
    return base + (f"/{number}" if number else "") + (f"/{action}" if action else "")


def keys(client: FlaskClient, program_id: int, number: str) -> list[str]:
    """The one-time keys of the card page's forms, in page order."""
    page = client.get(till_url(program_id, number))
    assert page.status_code == 200, page.get_data(as_text=True)
    return KEY.findall(page.get_data(as_text=True))


def act(client: FlaskClient, member: dict[str, Any], action: str, key: str | None = None, **form: str) -> Any:
    number = member["card_number"]
    if key is None:
        key = keys(client, member["program_id"], number)[0]
    return client.post(till_url(member["program_id"], number, action), data={"idempotency_key": key, **form})


def entries(member_id: int) -> list[LedgerEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id)
                                   .order_by(LedgerEntry.id)))


def card_of(member_id: int) -> Card:
    db.session.expire_all()
    return db.session.scalars(select(Card).where(Card.member_id == member_id)).one()


def balance(owner: Api, member: dict[str, Any]) -> int:
    db.session.expire_all()
    return totals(member["id"]).balance


def register_phone(client: FlaskClient, card: Card) -> None:
    """A Wallet app holding the card, so a change queues a push job for it."""
    path = f"/passkit/v1/devices/device0001/registrations/pass.dev.tessera.example/{card.serial_number}"
    response = client.post(path, json={"pushToken": "ab" * 32}, headers={"Authorization": f"ApplePass {card.auth_token}"})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_cashier_finds_the_card_by_its_number_and_adds_a_purchase(
        owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    add_cashier()
    login(client, "anna@rossi.example")
    program_id, number = member["program_id"], member["card_number"]
    start = client.get(till_url(program_id))
    assert start.status_code == 200
    assert 'id="card"' in start.get_data(as_text=True) and "autofocus" in start.get_data(as_text=True)
    spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
    found = client.get(till_url(program_id), query_string={"card": spaced})
    assert found.status_code == 302 and found.headers["Location"].endswith(till_url(program_id, number))
    opened = client.get(found.headers["Location"])
    assert opened.headers["Cache-Control"] == "no-store"  # a balance seen again is the current one
    card_page = opened.get_data(as_text=True)
    assert "Giulia Bianchi" in card_page and 'id="amount"' in card_page and 'id="till-balance"' in card_page
    done = act(client, member, "purchase", amount="12,50")
    assert done.status_code == 302 and done.headers["Location"].endswith(till_url(program_id))
    confirmation = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="till-done"' in confirmation and "+12" in confirmation and "Giulia Bianchi" in confirmation
    assert "Balance 12" in confirmation
    assert 'id="till-done"' not in client.get(till_url(program_id)).get_data(as_text=True)  # shown once
    [entry] = entries(member["id"])
    assert (entry.kind, entry.points, str(entry.amount)) == ("earn", 12, "12.50")
    assert balance(owner, member) == 12


def test_an_action_pushes_the_card(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    before = card_of(member["id"])
    register_phone(client, before)
    seq, version = before.change_seq, before.version
    login(client)
    assert act(client, member, "purchase", amount="3").status_code == 302
    after = card_of(member["id"])
    assert after.change_seq > seq and after.version > version
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 1


def test_another_merchants_card_is_not_found(owner: Api, member: dict[str, Any], client: FlaskClient,
                                            runner: FlaskCliRunner) -> None:
    pizza = Api(client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    their_program = pizza.post("/programs", {"name": "Pizza Club"}).get_json()["id"]
    login(client, "boss@pizza.example")
    number = member["card_number"]
    page = client.get(till_url(their_program), query_string={"card": number})
    assert page.status_code == 404 and f"No card of this shop has the number {number}" in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True) and f'value="{number}"' in page.get_data(as_text=True)
    assert client.get(till_url(their_program, number)).status_code == 404
    assert client.get(till_url(member["program_id"])).status_code == 404
    assert client.post(till_url(their_program, number, "purchase"), data={"amount": "5"}).status_code == 404
    assert client.post(till_url(member["program_id"], number, "purchase"), data={"amount": "5"}).status_code == 404
    assert entries(member["id"]) == []


def test_a_mistyped_number_is_told_apart_from_an_unknown_one(owner: Api, member: dict[str, Any],
                                                            client: FlaskClient) -> None:
    login(client)
    wrong_digit = member["card_number"][:-1] + str((int(member["card_number"][-1]) + 1) % 10)
    page = client.get(till_url(member["program_id"]), query_string={"card": wrong_digit}).get_data(as_text=True)
    assert "is not a card number" in page and 'id="card-error"' in page
    empty = client.get(till_url(member["program_id"]), query_string={"card": " "}).get_data(as_text=True)
    assert "Type the card number" in empty


def test_the_till_needs_a_login(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    assert client.get(till_url(member["program_id"])).status_code == 302
    response = act(client, member, "purchase", key="a" * 32, amount="5")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]
    assert entries(member["id"]) == []


def test_a_double_submission_credits_once(owner: Api, member: dict[str, Any], client: FlaskClient,
                                          app: Flask) -> None:
    login(client)
    key = keys(client, member["program_id"], member["card_number"])[0]
    first = act(client, member, "purchase", key=key, amount="10")
    again = act(client, member, "purchase", key=key, amount="10")
    assert first.status_code == again.status_code == 302
    # Another browser (no shared session) retrying the same form: the ledger's key replays it.
    other = app.test_client()
    login(other)
    retry = act(other, member, "purchase", key=key, amount="10")
    assert retry.status_code == 302
    assert "sent already" in other.get(retry.headers["Location"]).get_data(as_text=True)
    assert [e.points for e in entries(member["id"])] == [10]
    # The same key with another amount, from a browser that never sent it: refused, nothing written.
    third = app.test_client()
    login(third)
    changed = act(third, member, "purchase", key=key, amount="99")
    assert changed.status_code == 409 and "already used" in changed.get_data(as_text=True)
    assert balance(owner, member) == 10


def test_every_form_has_its_own_key_and_a_form_without_one_is_refused(
        owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    found = keys(client, member["program_id"], member["card_number"])
    assert len(found) == len(set(found)) >= 3
    refused = act(client, member, "purchase", key="", amount="5")
    assert refused.status_code == 422 and "expired" in refused.get_data(as_text=True)
    assert entries(member["id"]) == []


def test_a_bad_amount_is_told_beside_the_field(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    for typed in ("abc", "0", "12,345", "-4"):
        page = act(client, member, "purchase", amount=typed)
        text = page.get_data(as_text=True)
        assert page.status_code == 422, typed
        assert 'id="amount-error"' in text and "such as 12,50" in text and f'value="{typed}"' in text
        assert 'aria-describedby="amount-hint amount-error"' in text
    tiny = act(client, member, "purchase", amount="0,50")
    assert tiny.status_code == 422 and "earns no points" in tiny.get_data(as_text=True)
    assert entries(member["id"]) == []


def test_amounts_are_read_the_italian_way(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    for typed in ("€ 1.234,50", "7.5", "2"):
        assert act(client, member, "purchase", amount=typed).status_code == 302
    assert [str(e.amount) for e in entries(member["id"])] == ["1234.50", "7.50", "2.00"]


def test_points_by_hand_need_a_reason(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    key = keys(client, member["program_id"], member["card_number"])[-1]
    refused = act(client, member, "points", key=key, points="50", reason=" ")
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert act(client, member, "points", key=key, points="x", reason="gift").status_code == 422
    assert act(client, member, "points", key=key, points="50", reason="Refund of a cake").status_code == 302
    [entry] = entries(member["id"])
    assert (entry.kind, entry.points, entry.reason) == ("earn", 50, "Refund of a cake")


def _reward(owner: Api, member: dict[str, Any], cost: int = 20, name: str = "Cappuccino") -> int:
    response = owner.post(f"/programs/{member['program_id']}/rewards", {"name": name, "cost": cost})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_redeeming_with_too_few_points_is_refused(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    reward_id = _reward(owner, member)
    login(client)
    act(client, member, "purchase", amount="5")
    page = client.get(till_url(member["program_id"], member["card_number"])).get_data(as_text=True)
    assert "15 more" in page and "Cappuccino" in page and 'name="reward_id"' not in page  # not offered yet
    refused = act(client, member, "redeem", reward_id=str(reward_id), hand_over="now")
    assert refused.status_code == 409 and "Not enough points" in refused.get_data(as_text=True)
    assert 'id="reward-error"' in refused.get_data(as_text=True)
    assert balance(owner, member) == 5 and db.session.scalar(select(func.count()).select_from(RewardCode)) == 0


def test_a_reward_handed_over_now_uses_its_code(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    reward_id = _reward(owner, member)
    login(client)
    act(client, member, "purchase", amount="25")
    page = client.get(till_url(member["program_id"], member["card_number"])).get_data(as_text=True)
    assert f'name="reward_id" value="{reward_id}"' in page
    done = act(client, member, "redeem", reward_id=str(reward_id), hand_over="now")
    assert done.status_code == 302
    text = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cappuccino for Giulia Bianchi" in text and "Balance 5" in text
    [code] = db.session.scalars(select(RewardCode)).all()
    assert code.status == "used"


def test_a_code_for_later_is_used_once(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    reward_id = _reward(owner, member)
    login(client)
    act(client, member, "purchase", amount="40")
    done = act(client, member, "redeem", reward_id=str(reward_id), hand_over="later")
    code = db.session.scalars(select(RewardCode)).one().code
    assert code in client.get(done.headers["Location"]).get_data(as_text=True)
    assert code in client.get(till_url(member["program_id"], member["card_number"])).get_data(as_text=True)
    used = act(client, member, "code", code=code.replace("-", " ").lower())
    assert used.status_code == 302
    assert f"Code {code} used: Cappuccino" in client.get(used.headers["Location"]).get_data(as_text=True)
    again = act(client, member, "code", code=code)
    assert again.status_code == 409 and "already used" in again.get_data(as_text=True)
    assert 'id="code-error"' in again.get_data(as_text=True)
    unknown = act(client, member, "code", code="ZZZZ-9999")
    assert unknown.status_code == 409 and "No reward code of this shop" in unknown.get_data(as_text=True)


def test_another_programs_reward_cannot_be_redeemed(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    other = owner.post("/programs", {"name": "Second"}).get_json()["id"]
    foreign = owner.post(f"/programs/{other}/rewards", {"name": "Cake", "cost": 1}).get_json()["id"]
    login(client)
    act(client, member, "purchase", amount="5")
    refused = act(client, member, "redeem", reward_id=str(foreign))
    assert refused.status_code == 409 and "not offered" in refused.get_data(as_text=True)
    assert balance(owner, member) == 5


def test_an_erased_members_card_is_refused(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    erased = owner.client.delete(f"/api/v1/members/{member['id']}", headers={"Authorization": f"Bearer {owner.key}"})
    assert erased.status_code == 204
    login(client)
    page = client.get(till_url(member["program_id"], member["card_number"]))
    assert page.status_code == 200 and "cancelled" in page.get_data(as_text=True)
    assert 'id="amount"' not in page.get_data(as_text=True)
    refused = act(client, member, "purchase", key="b" * 32, amount="5")
    assert refused.status_code == 409 and "cancelled" in refused.get_data(as_text=True)
    assert entries(member["id"]) == []


def test_the_forms_need_the_csrf_token(app: Flask, owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    key = keys(client, member["program_id"], member["card_number"])[0]
    app.config["WTF_CSRF_ENABLED"] = True
    assert act(client, member, "purchase", key=key, amount="5").status_code == 400
    assert entries(member["id"]) == []


def test_a_card_of_the_merchants_other_program_opens_at_its_own_till(
        owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    other = owner.post("/programs", {"name": "Second"}).get_json()["id"]
    login(client)
    found = client.get(till_url(other), query_string={"card": member["card_number"]})
    assert found.headers["Location"].endswith(till_url(member["program_id"], member["card_number"]))
    assert db.session.get(Member, member["id"]) is not None


def test_two_tills_sending_one_form_at_the_same_moment_credit_once(
        app: Flask, owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    key = keys(client, member["program_id"], member["card_number"])[0]
    browsers = [app.test_client() for _ in range(4)]
    for browser in browsers:
        login(browser)
    start = threading.Barrier(len(browsers))
    answers: list[int] = []

    def send(browser: FlaskClient) -> None:
        start.wait()
        answers.append(act(browser, member, "purchase", key=key, amount="8").status_code)

    threads = [threading.Thread(target=send, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302] * len(browsers)
    assert [e.points for e in entries(member["id"])] == [8]
