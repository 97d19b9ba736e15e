"""Staff enrol a customer standing at the counter: from the till or the members page, consent
recorded with the staff login, one card per address, the QR code and the e-mail instead."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import Member, StaffUser
from tests.conftest import Api, new_merchant
from tests.dashboard.test_till import add_cashier
from tests.dashboard.test_till import login as till_login
from tests.enrollment.smtp import smtp_server
from tests.support.phone import check_pkpass_like_a_phone

KEY = re.compile(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"')
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def login(client: FlaskClient, email: str = "owner@rossi.example") -> None:
    """Signed in; from then on every form must carry its CSRF token, as in production."""
    client.application.config["WTF_CSRF_ENABLED"] = False
    till_login(client, email)
    client.application.config["WTF_CSRF_ENABLED"] = True


def enrol_url(program_id: int, where: str = "till") -> str:
    return f"/dashboard/programs/{program_id}/" + ("till/enrol" if where == "till" else "members/new")


def form_page(client: FlaskClient, program_id: int, where: str = "till") -> tuple[str, str]:
    """The one-time key and CSRF token of a freshly drawn form."""
    page = client.get(enrol_url(program_id, where))
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    return KEY.findall(html)[0], CSRF.findall(html)[0]


def enrol(client: FlaskClient, program_id: int, where: str = "till", key: str | None = None, **fields: str) -> Any:
    fresh_key, token = form_page(client, program_id, where)
    data = {"csrf_token": token, "idempotency_key": key or fresh_key, "name": "Luca Neri",
            "email": "luca@example.com", "terms": "y", **fields}
    return client.post(enrol_url(program_id, where), data={k: v for k, v in data.items() if v is not None})


def members_named(name: str) -> list[Member]:
    db.session.expire_all()
    return list(db.session.scalars(select(Member).where(Member.name == name)))


def staff_id(email: str) -> int:
    return int(db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) or 0)


def test_a_cashier_enrols_a_customer_at_the_till_and_consent_names_them(
        owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    add_cashier()
    login(client, "anna@rossi.example")
    response = enrol(client, program["id"], marketing="y", phone="+39 333 1234567")
    assert response.status_code == 303, response.get_data(as_text=True)
    [member] = members_named("Luca Neri")
    assert response.headers["Location"].endswith(f"/dashboard/programs/{program['id']}/new-card/{member.id}?via=till")
    assert (member.email, member.phone, member.consent_terms, member.consent_marketing) == \
        ("luca@example.com", "+39 333 1234567", True, True)
    consents = {c.kind: c for c in member.consents}
    assert {c.source for c in consents.values()} == {"till"}
    assert {c.recorded_by_staff_id for c in consents.values()} == {staff_id("anna@rossi.example")}
    assert consents["terms"].granted and consents["marketing"].granted
    assert consents["terms"].text_version == member.consent_version
    assert member.card is not None and len(member.card.card_number) == 13
    history = client.get(f"/dashboard/members/{member.id}").get_data(as_text=True)
    assert history.count("till · recorded by Anna") == 2  # terms and marketing, on the member's page


def test_the_birthday_is_asked_when_the_program_gives_a_birthday_bonus(
        owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    assert 'id="birthday"' not in client.get(enrol_url(program["id"])).get_data(as_text=True)
    assert owner.patch(f"/programs/{program['id']}", {"birthday_bonus": 50}).status_code == 200
    assert 'id="birthday"' in client.get(enrol_url(program["id"])).get_data(as_text=True)
    assert enrol(client, program["id"], birthday="2099-01-01").status_code == 422
    assert enrol(client, program["id"], birthday="1990-04-12").status_code == 303
    [member] = members_named("Luca Neri")
    assert member.birthday is not None and member.birthday.isoformat() == "1990-04-12"


def test_an_owner_enrols_from_the_members_page_with_a_phone_only(
        owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    response = enrol(client, program["id"], "members", email="", phone="333 765 4321")
    assert response.status_code == 303, response.get_data(as_text=True)
    [member] = members_named("Luca Neri")
    assert member.email is None and member.phone == "333 765 4321"
    assert {(c.kind, c.granted, c.source) for c in member.consents} == {("terms", True, "dashboard"),
                                                                       ("marketing", False, "dashboard")}
    assert {c.recorded_by_staff_id for c in member.consents} == {staff_id("owner@rossi.example")}
    card_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "E-mail the card instead" not in card_page and "No e-mail address was given" in card_page
    listing = client.get(f"/dashboard/programs/{program['id']}/members").get_data(as_text=True)
    assert "Luca Neri" in listing and "None" not in listing
    assert owner.get(f"/members/{member.id}").status_code == 200  # the API serves a member without e-mail


def test_errors_are_shown_beside_their_fields_and_nothing_is_made(
        owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    response = enrol(client, program["id"], name="", email="", phone="", terms=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name-error"' in html and "Enter the customer's name." in html
    assert 'id="email-error"' in html and "at least one is needed" in html
    assert 'id="terms-error"' in html and "cannot be issued without them" in html
    bad = enrol(client, program["id"], email="not-an-address").get_data(as_text=True)
    assert 'id="email-error"' in bad and 'value="not-an-address"' in bad
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_an_address_with_a_card_gets_a_message_and_a_link_to_its_member(
        owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    response = enrol(client, member["program_id"], name="Giulia B.", email="Giulia@Example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and "giulia@example.com already has a card in this program" in html
    assert f'href="/dashboard/members/{member["id"]}" id="open-existing"' in html
    by_phone = owner.post(f"/programs/{member['program_id']}/members",
                          {"name": "Paolo", "email": "paolo@example.com", "phone": "+39 333 000 1111",
                           "consent": {"terms": True}}).get_json()
    again = enrol(client, member["program_id"], "members", name="Paolo R.", email="", phone="+39 (333) 000-1111")
    assert again.status_code == 422
    assert "This phone number already has a card" in again.get_data(as_text=True)
    assert f'/dashboard/members/{by_phone["id"]}' in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Member)) == 2


def test_the_same_form_sent_twice_makes_one_card(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                 app: Flask) -> None:
    login(client)
    key, token = form_page(client, program["id"])
    data = {"csrf_token": token, "idempotency_key": key, "name": "Luca Neri", "phone": "+39 333 2222222",
            "terms": "y"}
    first = client.post(enrol_url(program["id"]), data=data)
    second = client.post(enrol_url(program["id"]), data=data)  # the same browser: its session knows the key
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] in second.headers["Location"] and "again=1" in second.headers["Location"]
    other_browser = app.test_client()  # no session memory: the key stored with the member answers
    g.pop("csrf_token", None)  # the tests' app context outlives requests: forget the first browser's token
    login(other_browser)
    _, other_token = form_page(other_browser, program["id"])
    third = other_browser.post(enrol_url(program["id"]), data={**data, "csrf_token": other_token})
    assert third.status_code == 303 and "again=1" in third.headers["Location"]
    assert len(members_named("Luca Neri")) == 1
    assert "the card was made once" in other_browser.get(third.headers["Location"]).get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    key, _ = form_page(client, program["id"])
    response = client.post(enrol_url(program["id"]), data={"idempotency_key": key, "name": "Luca Neri",
                                                           "email": "luca@example.com", "terms": "y"})
    assert response.status_code == 400
    assert members_named("Luca Neri") == []


def test_a_forged_key_is_refused(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client)
    response = enrol(client, program["id"], key="not-a-key")
    assert response.status_code == 422 and "This form has expired" in response.get_data(as_text=True)
    assert members_named("Luca Neri") == []


def test_another_merchants_program_and_member_are_not_found(
        owner: Api, member: dict[str, Any], client: FlaskClient, runner: FlaskCliRunner) -> None:
    pizza = Api(client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    their_program = pizza.post("/programs", {"name": "Pizza Club"}).get_json()["id"]
    login(client)
    assert client.get(enrol_url(their_program)).status_code == 404
    assert client.get(enrol_url(their_program, "members")).status_code == 404
    assert client.get(f"/dashboard/programs/{their_program}/new-card/{member['id']}").status_code == 404
    login(client, "boss@pizza.example")
    assert client.get(f"/dashboard/programs/{their_program}/new-card/{member['id']}").status_code == 404
    assert client.get(f"/dashboard/programs/{member['program_id']}/new-card/{member['id']}").status_code == 404


def test_the_new_card_screen_shows_a_short_lived_link_that_opens_the_card(
        owner: Api, program: dict[str, Any], client: FlaskClient, app: Flask) -> None:
    login(client)
    screen = client.get(enrol(client, program["id"]).headers["Location"])
    html = screen.get_data(as_text=True)
    assert screen.headers["Cache-Control"] == "no-store"
    assert '<svg class="card-qr-code" role="img" aria-labelledby="card-qr-label"' in html
    assert "The code works for 30 minutes." in html
    link = re.search(r'id="card-link" href="([^"]+)"', html)
    assert link and link.group(1).startswith(f"http://tessera.test/join/{program['slug']}/card/")
    path = link.group(1).removeprefix("http://tessera.test")
    card_page = app.test_client().get(path)
    assert card_page.status_code == 200
    pkpass = re.search(r'href="http://tessera\.test(/p/[^"]+\.pkpass)"', card_page.get_data(as_text=True))
    assert pkpass
    download = app.test_client().get(pkpass.group(1))
    check_pkpass_like_a_phone(download.data, pass_type_identifier=app.config["PASS_TYPE_IDENTIFIER"],
                              team_identifier=app.config["TEAM_IDENTIFIER"])
    app.config["TILL_LINK_MAX_AGE"] = 1  # the same link, once its minutes have passed
    time.sleep(2.1)
    assert app.test_client().get(path).status_code == 410


def test_the_card_link_goes_by_email_instead(owner: Api, program: dict[str, Any], client: FlaskClient,
                                             app: Flask) -> None:
    add_cashier()
    login(client, "anna@rossi.example")
    screen_url = enrol(client, program["id"]).headers["Location"]
    token = CSRF.findall(client.get(screen_url).get_data(as_text=True))[0]
    with smtp_server() as (port, inbox):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                          MAIL_FROM="Caffè Rossi <carte@rossi.example>")
        response = client.post(screen_url.replace("?", "/email?"), data={"csrf_token": token})
        recipients, message = inbox.next()
    assert response.status_code == 303
    assert recipients == ["luca@example.com"]
    text = message.get_body(("plain",)).get_content()
    assert "Luca Neri" in text and f"http://tessera.test/join/{program['slug']}/card/" in text
    assert "/p/" in text
    assert "The card link was sent to luca@example.com." in client.get(screen_url).get_data(as_text=True)


def test_a_cashier_shows_the_code_of_a_customer_just_enrolled_not_of_an_old_member(
        owner: Api, program: dict[str, Any], member: dict[str, Any], client: FlaskClient) -> None:
    """The code opens a card: an owner may show anyone's, a cashier only a card made moments ago."""
    add_cashier()
    login(client, "anna@rossi.example")
    assert enrol(client, program["id"]).status_code == 303
    [walk_in] = members_named("Luca Neri")
    screen = f"/dashboard/programs/{program['id']}/new-card/"
    assert client.get(f"{screen}{walk_in.id}").status_code == 200
    old = db.session.get(Member, member["id"])
    assert old is not None
    old.created_at = old.created_at - timedelta(hours=2)
    walk_in.created_at = walk_in.created_at - timedelta(hours=2)
    db.session.commit()
    assert client.get(f"{screen}{member['id']}").status_code == 403
    assert client.get(f"{screen}{walk_in.id}").status_code == 403
    login(client)
    assert client.get(f"{screen}{member['id']}").status_code == 200
