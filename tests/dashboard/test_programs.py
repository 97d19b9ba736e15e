"""The programs list, a new program, its overview and its design tab (texts and colours)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import Card, OutboxJob, Program
from tests.conftest import Api
from tests.dashboard.members_helpers import add_cashier, login, other_merchant

OWNER = "owner@rossi.example"


def design_form(program: Program, **changes: str) -> dict[str, str]:
    return {
        "name": program.name, "organization_name": program.organization_name, "points_label": program.points_label,
        "locale": program.locale, "terms": program.terms, "contact": program.contact,
        "background_color": program.background_color, "foreground_color": program.foreground_color,
        "label_color": program.label_color, **changes,
    }


def error_beside(page: str, field: str) -> str:
    """The message the page shows beside `field`, checking the input points at it."""
    match = re.search(rf'<p class="error" id="{re.escape(field)}-error">([^<]+)</p>', page)
    assert match, f"no error beside {field}"
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field)}"[^>]*>', page)
    assert tag and f"{field}-error" in tag.group(0) and 'aria-invalid="true"' in tag.group(0), tag
    return match.group(1)


def test_an_owner_without_programs_is_invited_to_create_one(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Create your first loyalty card" in page and 'href="/dashboard/programs/new"' in page


def test_the_list_shows_each_program_with_its_members(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    owner.post("/programs", {"name": "Gelato Club"})
    login(client, OWNER)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Rossi Club" in page and "Gelato Club" in page
    assert "1 member" in page and "0 members" in page and 'id="new-program"' in page


def test_new_program_starts_with_the_shop_name_and_goes_to_the_design(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    form = client.get("/dashboard/programs/new").get_data(as_text=True)
    assert 'value="Caffè Rossi"' in form and 'value="Points"' in form  # an English page: "Points"
    response = client.post("/dashboard/programs/new", data={
        "name": "Caffè Club", "organization_name": "Caffè Rossi", "points_label": "Chicchi", "locale": "it",
        "kind": "stamps", "stamps_required": "8", "stamp_reward": "Un caffè gratis",
        "background_color": "#6B2E1F", "foreground_color": "#ffffff", "label_color": "#f2d7c9",
    })
    program = db.session.scalar(select(Program).where(Program.name == "Caffè Club"))
    assert program is not None
    assert response.status_code == 302 and response.headers["Location"] == f"/dashboard/programs/{program.id}/design"
    assert (program.kind, program.stamps_required, program.stamp_reward) == ("stamps", 8, "Un caffè gratis")
    assert (program.points_label, program.background_color, program.locale) == ("Chicchi", "#6b2e1f", "it")


def test_new_program_errors_are_beside_the_fields_and_nothing_is_made(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    response = client.post("/dashboard/programs/new", data={
        "name": "  ", "organization_name": "Caffè Rossi", "points_label": "Punti", "locale": "it", "kind": "stamps",
        "stamps_required": "1", "stamp_reward": "", "background_color": "blue", "foreground_color": "#fff000",
        "label_color": "#000000",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_beside(page, "name") == "This cannot be empty."
    assert "2 to 50" in error_beside(page, "stamps_required")
    assert error_beside(page, "stamp_reward")
    assert "#1f3a5f" in error_beside(page, "background_color")
    assert 'value="blue"' in page  # kept as typed
    assert db.session.scalar(select(Program.id)) is None


def test_overview_shows_members_join_link_and_editor(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    login(client, OWNER)
    page = client.get(f"/dashboard/programs/{member['program_id']}").get_data(as_text=True)
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    assert 'id="member-count">1<' in page and "Giulia Bianchi" in page and member["card_number"] in page
    assert f"http://tessera.test/join/{program.slug}" in page
    for tab in ("design", "rules", "rewards"):
        assert f'href="/dashboard/programs/{program.id}/{tab}"' in page


def test_design_saves_texts_and_colours_and_updates_every_card(owner: Api, member: dict[str, Any],
                                                               client: FlaskClient) -> None:
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    version = program.version
    card_version = db.session.scalar(select(Card.version))
    login(client, OWNER)
    page = client.get(f"/dashboard/programs/{program.id}/design").get_data(as_text=True)
    assert 'id="preview"' in page and "Cliente dal" in page  # the card's labels, in the program's language
    response = client.post(f"/dashboard/programs/{program.id}/design", data=design_form(
        program, name="Rossi Amici", background_color="#7A1F1F", terms="Un punto per euro.", locale="en"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (program.name, program.background_color, program.terms, program.locale) == (
        "Rossi Amici", "#7a1f1f", "Un punto per euro.", "en")
    assert program.version > version and db.session.scalar(select(Card.version)) > card_version
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 card will update" in page


def test_an_unchanged_design_pushes_nothing(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    version = program.version
    login(client, OWNER)
    response = client.post(f"/dashboard/programs/{program.id}/design", data=design_form(program), follow_redirects=True)
    assert "Nothing to save" in response.get_data(as_text=True)
    db.session.expire_all()
    assert program.version == version and db.session.scalar(select(OutboxJob.id)) is None


def test_design_errors_keep_what_was_typed(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    row = db.session.get(Program, program["id"])
    assert row is not None
    login(client, OWNER)
    response = client.post(f"/dashboard/programs/{row.id}/design", data=design_form(
        row, name="Nuovo nome", points_label="x" * 21, foreground_color="#12345"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At most 20 characters" in error_beside(page, "points_label")
    assert error_beside(page, "foreground_color") and 'value="Nuovo nome"' in page
    db.session.expire_all()
    assert row.name == "Rossi Club"


@pytest.mark.parametrize("path", ["", "/design", "/rules", "/rewards"])
def test_other_merchants_and_cashiers_are_refused(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                  runner: FlaskCliRunner, path: str) -> None:
    add_cashier()
    login(client, "cassa@rossi.example")
    assert client.get(f"/dashboard/programs/{program['id']}{path}").status_code == 403
    assert client.post(f"/dashboard/programs/{program['id']}{path}", data={"name": "x"}).status_code in (403, 405)
    assert client.get("/dashboard/programs/new").status_code == 403
    client.post("/dashboard/logout")
    login(client, other_merchant(runner))
    assert client.get(f"/dashboard/programs/{program['id']}{path}").status_code == 404
    assert client.post(f"/dashboard/programs/{program['id']}{path}", data={"name": "x"}).status_code in (404, 405)
    db.session.expire_all()
    assert db.session.get(Program, program["id"]).name == "Rossi Club"  # type: ignore[union-attr]


def test_a_cashier_opening_the_dashboard_goes_to_the_till(app: Flask, owner: Api, program: dict[str, Any],
                                                          client: FlaskClient) -> None:
    add_cashier()
    login(client, "cassa@rossi.example")
    response = client.get("/dashboard/")
    if "dashboard.till" in app.view_functions:
        assert response.status_code == 302 and f"/{program['id']}" in response.headers["Location"]
    else:
        assert response.status_code == 200 and "Rossi Club" not in response.get_data(as_text=True)


def test_forms_carry_the_csrf_token(app: Flask, owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    login(client, OWNER)
    app.config["WTF_CSRF_ENABLED"] = True
    for path in ("/dashboard/programs/new", f"/dashboard/programs/{program['id']}/design",
                 f"/dashboard/programs/{program['id']}/rules", f"/dashboard/programs/{program['id']}/rewards"):
        assert 'name="csrf_token"' in client.get(path).get_data(as_text=True), path
        assert client.post(path, data={"name": "x"}).status_code == 400, path


def test_the_preview_only_takes_valid_colours(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    row = db.session.get(Program, program["id"])
    assert row is not None
    login(client, OWNER)
    page = client.post(f"/dashboard/programs/{row.id}/design", data=design_form(
        row, background_color="red; background-image: url(//evil.example/x)")).get_data(as_text=True)
    style = re.search(r'id="preview"[^>]*style="([^"]*)"', page)
    assert style and style.group(1).startswith(f"--pv-bg: {row.background_color};") and "evil" not in style.group(1)


def test_a_stamp_card_preview_shows_its_stamps(owner: Api, client: FlaskClient) -> None:
    made = owner.post("/programs", {"name": "Timbri Club", "kind": "stamps", "stamps_required": 8,
                                    "stamp_reward": "Un caffè"}).get_json()
    login(client, OWNER)
    page = client.get(f"/dashboard/programs/{made['id']}/design").get_data(as_text=True)
    assert "3/8" in page and "●●●○○○○○" in page and "Un caffè: mancano 5 timbri" in page
    assert '"stamp_card": "Your card"' in page.replace("&#34;", '"')  # the other language, for preview.js
