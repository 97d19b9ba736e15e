"""A shop with several programs: the navigation follows the program each login chose last.

Opening a program's page or choosing it in the switcher makes it the chosen one; the choice is
the login's (kept across sign-out and sign-in), never another merchant's program, and a card of
the shop's other program at the till moves the till there and says so."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import delete, update

from app.extensions import db
from app.models import Program, StaffUser
from tests.conftest import Api, new_merchant
from tests.dashboard.accounts_support import OWNER, add_login, csrf_of, login, staff

CASHIER = "cassa@rossi.example"
NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


def _nav(page: str) -> dict[str, str]:
    """The navigation's links by label."""
    found = NAV.search(page)
    assert found, page
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', found.group(1))}


def _switcher(page: str) -> str:
    found = re.search(r'<form class="switcher".*?</form>', page, re.S)
    assert found, page
    return found.group(0)


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _switch(client: FlaskClient, program_id: int, section: str) -> Any:
    return client.post("/dashboard/switch-program", data={"program_id": str(program_id), "section": section})


def _second(owner: Api) -> int:
    return int(owner.post("/programs", {"name": "Gelateria Club"}).get_json()["id"])


def test_opening_a_program_makes_the_navigation_follow_it_after_sign_in_too(
        client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    first, second = program["id"], _second(owner)
    login(client, OWNER)
    nav = _nav(_page(client, "/dashboard/"))
    assert nav["Till"] == f"/dashboard/programs/{first}/till"  # no choice yet: the first program
    _page(client, f"/dashboard/programs/{second}/members")
    assert staff(OWNER).current_program_id == second
    nav = _nav(_page(client, "/dashboard/shop"))  # a page of no program follows the choice
    assert {nav[label] for label in ("Till", "Members", "Messages", "Figures", "QR poster")} == {
        f"/dashboard/programs/{second}/{section}" for section in ("till", "members", "messages", "figures", "poster")}
    client.post("/dashboard/logout")
    login(client, OWNER)
    assert _nav(_page(client, "/dashboard/"))["Members"] == f"/dashboard/programs/{second}/members"


def test_the_switcher_lands_on_the_same_section_of_the_other_program(
        client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    login(client, OWNER)
    assert 'class="switcher"' not in _page(client, "/dashboard/")  # one program: nothing to switch
    first, second = program["id"], _second(owner)
    switcher = _switcher(_page(client, f"/dashboard/programs/{first}/members"))
    assert '<label for="program-switch">Program</label>' in switcher and 'id="program-switch"' in switcher
    assert f'<option value="{first}" selected>Rossi Club</option>' in switcher
    assert 'name="section" value="dashboard.members"' in switcher and '<button type="submit"' in switcher
    moved = _switch(client, second, "dashboard.members")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/dashboard/programs/{second}/members")
    page = _page(client, moved.headers["Location"])
    assert "<h1>Members of Gelateria Club</h1>" in page
    assert f'<option value="{second}" selected>Gelateria Club</option>' in _switcher(page)
    assert staff(OWNER).current_program_id == second
    # A member's page belongs to Members, the program editor to the program, Shop stays Shop.
    assert 'value="dashboard.program"' in _switcher(_page(client, f"/dashboard/programs/{first}"))
    assert 'value="dashboard.shop"' in _switcher(_page(client, "/dashboard/shop"))
    assert _switch(client, first, "dashboard.shop").headers["Location"].endswith("/dashboard/shop")
    assert _switch(client, second, "dashboard.figures").headers["Location"].endswith(
        f"/dashboard/programs/{second}/figures")
    assert _switch(client, first, "dashboard.program").headers["Location"].endswith(f"/dashboard/programs/{first}")


def test_a_cashier_switches_between_the_till_and_members_of_each_program(
        client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    second = _second(owner)
    add_login(CASHIER)
    assert login(client, CASHIER).headers["Location"].endswith(f"/dashboard/programs/{program['id']}/till")
    assert set(_nav(_page(client, f"/dashboard/programs/{program['id']}/till"))) == {"Till", "Members"}
    moved = _switch(client, second, "dashboard.till")
    assert moved.headers["Location"].endswith(f"/dashboard/programs/{second}/till")
    # An owner's section is not the cashier's: the switch lands on the till.
    assert _switch(client, program["id"], "dashboard.figures").headers["Location"].endswith(
        f"/dashboard/programs/{program['id']}/till")
    assert _switch(client, second, "https://elsewhere.example/").headers["Location"].endswith(
        f"/dashboard/programs/{second}/till")
    client.post("/dashboard/logout")
    assert login(client, CASHIER).headers["Location"].endswith(f"/dashboard/programs/{second}/till")
    assert client.get("/dashboard/").headers["Location"].endswith(f"/dashboard/programs/{second}/till")


def test_another_merchants_program_is_never_chosen(
        client: FlaskClient, runner: FlaskCliRunner, owner: Api, program: dict[str, Any]) -> None:
    pizza = Api(client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    theirs = int(pizza.post("/programs", {"name": "Pizza Club"}).get_json()["id"])
    login(client, OWNER)
    assert _switch(client, theirs, "dashboard.members").status_code == 404
    assert staff(OWNER).current_program_id == program["id"]
    assert _switch(client, 0, "dashboard.members").status_code == 404
    assert client.post("/dashboard/switch-program", data={"program_id": "x"}).status_code == 400
    # A choice that names another merchant's program (it cannot be made here) is not followed.
    db.session.execute(update(StaffUser).where(StaffUser.email == OWNER).values(current_program_id=theirs))
    db.session.commit()
    nav = _nav(_page(client, "/dashboard/shop"))
    assert nav["Till"] == f"/dashboard/programs/{program['id']}/till" and "Pizza" not in nav["Till"]
    assert "Pizza Club" not in _page(client, "/dashboard/shop")


def test_a_removed_program_is_no_longer_the_choice(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    second = _second(owner)
    login(client, OWNER)
    _page(client, f"/dashboard/programs/{second}/till")
    db.session.execute(delete(Program).where(Program.id == second))
    db.session.commit()
    assert staff(OWNER).current_program_id is None  # ON DELETE SET NULL
    assert _nav(_page(client, "/dashboard/"))["Till"] == f"/dashboard/programs/{program['id']}/till"


def test_the_switch_needs_the_forms_token(app: Flask, client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    second = _second(owner)
    login(client, OWNER)
    app.config["WTF_CSRF_ENABLED"] = True
    assert _switch(client, second, "dashboard.till").status_code == 400
    assert staff(OWNER).current_program_id == program["id"]
    token = csrf_of(_switcher(_page(client, "/dashboard/")))
    moved = client.post("/dashboard/switch-program", data={"program_id": second, "section": "", "csrf_token": token})
    assert moved.status_code == 302 and staff(OWNER).current_program_id == second


def test_a_card_of_the_other_program_switches_the_till_and_says_so(
        client: FlaskClient, owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    second = _second(owner)
    login(client, OWNER)
    _page(client, f"/dashboard/programs/{second}/till")
    found = client.get(f"/dashboard/programs/{second}/till", query_string={"card": member["card_number"]})
    assert found.headers["Location"].endswith(f"/dashboard/programs/{program['id']}/till/{member['card_number']}")
    page = _page(client, found.headers["Location"])
    assert "This card belongs to another program, so the till has switched to it: Rossi Club." in page
    assert staff(OWNER).current_program_id == program["id"]
    assert _nav(page)["Till"] == f"/dashboard/programs/{program['id']}/till"
    # The card's own till says nothing; the card page opened at the other till says it too.
    assert "switched" not in _page(client, f"/dashboard/programs/{program['id']}/till/{member['card_number']}")
    _page(client, f"/dashboard/programs/{second}/till")
    moved = client.get(f"/dashboard/programs/{second}/till/{member['card_number']}")
    assert "the till has switched to it" in _page(client, moved.headers["Location"])
    assert staff(OWNER).current_program_id == program["id"]
