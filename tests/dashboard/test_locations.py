"""The QR poster page and its locations: add, rename, delete, each with its own code and poster."""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from PIL import Image
from sqlalchemy import select

from app.dashboard.settings import location_code, slugify
from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll
from app.models import Location, Member, Program
from tests.conftest import Api, new_merchant
from tests.dashboard.test_figures_data import add_staff, login
from tests.poster.test_poster import decode, rasterise_svg

OWNER = "owner@rossi.example"


def _page(program: dict[str, Any]) -> str:
    return f"/dashboard/programs/{program['id']}/poster"


def _locations(program_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(loc.name, loc.code) for loc in db.session.scalars(
        select(Location).where(Location.program_id == program_id).order_by(Location.id))]


def _add(client: FlaskClient, program: dict[str, Any], name: str) -> Any:
    return client.post(_page(program), data={"name": name})


def test_codes_are_short_readable_and_unique() -> None:
    assert slugify("Vetrina Caffè – Via Roma!") == "vetrina-caffe-via-roma"
    assert location_code("Vetrina Caffè – Via Roma!", set()) == "vetrina-caff"  # 12 characters at most
    assert location_code("Cassa", {"cassa"}) == "cassa-2"
    assert location_code("Cassa", {"cassa", "cassa-2"}) == "cassa-3"
    random_code = location_code("☕☕", set())
    assert re.fullmatch(r"[a-z0-9]{6}", random_code)


def test_the_page_offers_the_link_the_codes_and_the_poster(client: FlaskClient, owner: Api,
                                                           program: dict[str, Any]) -> None:
    login(client, OWNER)
    response = client.get(_page(program))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    slug = program["slug"]
    assert f'href="http://tessera.test/join/{slug}"' in html
    assert f'src="/join/{slug}/qr.svg"' in html
    assert f'href="/join/{slug}/qr.svg" download=' in html and f'href="/join/{slug}/qr.png" download=' in html
    assert f'href="/join/{slug}/poster"' in html and "Print the poster" in html
    assert "No location yet" in html


def test_adding_a_location_gives_it_a_code_a_qr_and_a_poster(client: FlaskClient, owner: Api,
                                                             program: dict[str, Any]) -> None:
    login(client, OWNER)
    response = _add(client, program, "  Vetrina   Via Roma ")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(_page(program) + "#location-")
    assert _locations(program["id"]) == [("Vetrina Via Roma", "vetrina-via")]
    html = client.get(_page(program)).get_data(as_text=True)
    slug = program["slug"]
    assert "Location Vetrina Via Roma added" in html
    assert f'href="/join/{slug}/poster?at=vetrina-via"' in html
    assert f'href="http://tessera.test/join/{slug}?at=vetrina-via"' in html
    link = f"http://tessera.test/join/{slug}?at=vetrina-via"
    assert decode(Image.open(io.BytesIO(client.get(f"/join/{slug}/qr.png?at=vetrina-via").data))) == link
    assert decode(rasterise_svg(client.get(f"/join/{slug}/qr.svg?at=vetrina-via").data)) == link
    poster = client.get(f"/join/{slug}/poster?at=vetrina-via").get_data(as_text=True)
    assert f'src="/join/{slug}/qr.svg?at=vetrina-via"' in poster
    assert f'href="{link}"' in poster and f">tessera.test/join/{slug}?at=vetrina-via</a>" in poster
    assert "Rossi Club · Vetrina Via Roma" in poster


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name for the location."),
    ("   ", "Enter a name for the location."),
    ("x" * 81, "At most 80 characters."),
    ("cassa", "There is already a location called cassa."),
])
def test_a_bad_name_is_told_beside_the_field_and_kept(client: FlaskClient, owner: Api, program: dict[str, Any],
                                                      name: str, message: str) -> None:
    login(client, OWNER)
    assert _add(client, program, "Cassa").status_code == 303
    response = _add(client, program, name)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="new-location-error">{message}</p>' in html
    assert 'aria-describedby="new-location-hint new-location-error" aria-invalid="true"' in html
    assert f'value="{name}"' in html
    assert _locations(program["id"]) == [("Cassa", "cassa")]


def test_a_second_location_with_the_same_slug_gets_a_number(client: FlaskClient, owner: Api,
                                                            program: dict[str, Any]) -> None:
    login(client, OWNER)
    _add(client, program, "Cassa 1")
    _add(client, program, "Cassa-1")
    assert _locations(program["id"]) == [("Cassa 1", "cassa-1"), ("Cassa-1", "cassa-1-2")]


def test_renaming_keeps_the_code_so_printed_posters_still_work(client: FlaskClient, owner: Api,
                                                               program: dict[str, Any]) -> None:
    login(client, OWNER)
    _add(client, program, "Cassa")
    _add(client, program, "Vetrina")
    cassa = db.session.scalar(select(Location).where(Location.code == "cassa"))
    assert cassa is not None
    url = f"{_page(program)}/locations/{cassa.id}"
    assert client.post(url, data={"name": "Cassa principale"}).status_code == 303
    assert _locations(program["id"]) == [("Cassa principale", "cassa"), ("Vetrina", "vetrina")]
    refused = client.post(url, data={"name": "vetrina"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f'<p class="error" id="name-{cassa.id}-error">There is already a location called vetrina.</p>' in html
    assert f'id="name-{cassa.id}" name="name" maxlength="80" required value="vetrina"' in html
    assert client.post(url, data={"name": "CASSA PRINCIPALE"}).status_code == 303  # its own name, recased
    assert _locations(program["id"])[0] == ("CASSA PRINCIPALE", "cassa")


def test_deleting_keeps_the_members_without_a_location(client: FlaskClient, owner: Api,
                                                       program: dict[str, Any]) -> None:
    login(client, OWNER)
    _add(client, program, "Cassa")
    cassa = db.session.scalar(select(Location).where(Location.code == "cassa"))
    assert cassa is not None
    program_row = db.session.get(Program, program["id"])
    assert program_row is not None
    member = enroll(program_row, Applicant(name="Ada", email="ada@example.com", terms=True, location_id=cassa.id))
    db.session.commit()
    html = client.get(_page(program)).get_data(as_text=True)
    assert '<td class="num">1</td>' in html  # one member joined there
    response = client.post(f"{_page(program)}/locations/{cassa.id}/delete")
    assert response.status_code == 303
    assert _locations(program["id"]) == []
    db.session.expire_all()
    kept = db.session.get(Member, member.id)
    assert kept is not None and kept.location_id is None
    assert client.get(f"/join/{program['slug']}/poster?at=cassa").status_code == 404
    assert client.get(f"/join/{program['slug']}?at=cassa").status_code == 200  # the printed poster still enrols


@pytest.mark.parametrize("path", ["qr.svg", "qr.png", "poster"])
def test_the_public_codes_refuse_an_unknown_location(client: FlaskClient, owner: Api, program: dict[str, Any],
                                                     path: str) -> None:
    other = owner.post("/programs", {"name": "Second shop"}).get_json()
    db.session.add(Location(program_id=other["id"], name="Their till", code="till"))
    db.session.commit()
    assert client.get(f"/join/{program['slug']}/{path}?at=nowhere").status_code == 404
    assert client.get(f"/join/{program['slug']}/{path}?at=").status_code == 404
    assert client.get(f"/join/{program['slug']}/{path}?at=till").status_code == 404  # another program's
    assert client.get(f"/join/{other['slug']}/{path}?at=till").status_code == 200


def _cassa_id(program_id: int) -> int:
    location = Location(program_id=program_id, name="Cassa", code="cassa")
    db.session.add(location)
    db.session.commit()
    return location.id


def test_cashiers_are_refused(client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    location_id = _cassa_id(program["id"])
    login(client, add_staff(OWNER, "cassa@rossi.example"))
    assert client.get(_page(program)).status_code == 403
    assert _add(client, program, "Mine").status_code == 403
    assert client.post(f"{_page(program)}/locations/{location_id}", data={"name": "X"}).status_code == 403
    assert client.post(f"{_page(program)}/locations/{location_id}/delete").status_code == 403
    assert _locations(program["id"]) == [("Cassa", "cassa")]


def test_another_merchant_gets_not_found(client: FlaskClient, runner: FlaskCliRunner, owner: Api,
                                         program: dict[str, Any]) -> None:
    location_id = _cassa_id(program["id"])
    new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    login(client, "boss@verdi.example")
    assert client.get(_page(program)).status_code == 404
    assert _add(client, program, "Theirs").status_code == 404
    assert client.post(f"{_page(program)}/locations/{location_id}", data={"name": "X"}).status_code == 404
    assert client.post(f"{_page(program)}/locations/{location_id}/delete").status_code == 404
    assert _locations(program["id"]) == [("Cassa", "cassa")]


def test_a_location_of_another_program_is_not_found(client: FlaskClient, owner: Api,
                                                    program: dict[str, Any]) -> None:
    other = owner.post("/programs", {"name": "Second shop"}).get_json()
    location_id = _cassa_id(other["id"])
    login(client, OWNER)
    assert client.post(f"{_page(program)}/locations/{location_id}", data={"name": "X"}).status_code == 404
    assert client.post(f"{_page(program)}/locations/{location_id}/delete").status_code == 404
    assert _locations(other["id"]) == [("Cassa", "cassa")]


def test_forms_need_the_csrf_token(app: Flask, client: FlaskClient, owner: Api, program: dict[str, Any]) -> None:
    login(client, OWNER)
    location_id = _cassa_id(program["id"])
    app.config["WTF_CSRF_ENABLED"] = True
    assert _add(client, program, "Vetrina").status_code == 400
    assert client.post(f"{_page(program)}/locations/{location_id}/delete").status_code == 400
    html = client.get(_page(program)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    assert client.post(_page(program), data={"name": "Vetrina", "csrf_token": token.group(1)}).status_code == 303
    assert _locations(program["id"]) == [("Cassa", "cassa"), ("Vetrina", "vetrina")]
