from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import ConsentEvent, Member
from tests.conftest import Api
from tests.enrollment.helpers import EN, IT, join, links, path
from tests.support.phone import check_pkpass_like_a_phone


def test_form_speaks_the_browsers_language(program: dict[str, Any], client: FlaskClient) -> None:
    italian = client.get(f"/join/{program['slug']}", headers=IT)
    english = client.get(f"/join/{program['slug']}", headers=EN)
    assert italian.status_code == english.status_code == 200
    assert '<html lang="it">' in italian.text and "Ottieni la mia carta" in italian.text
    assert "Compleanno (facoltativo)" in italian.text
    assert '<html lang="en">' in english.text and "Get my card" in english.text
    assert "Accept-Language" in english.headers["Vary"]


def test_a_language_we_do_not_speak_gets_the_programs(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    assert "Ottieni la mia carta" in client.get(f"/join/{program['slug']}", headers=german).text
    owner.patch(f"/programs/{program['id']}", {"locale": "en"})
    assert "Get my card" in client.get(f"/join/{program['slug']}", headers=german).text
    assert "Get my card" in client.get(f"/join/{program['slug']}").text


def test_page_wears_the_shops_name_colours_and_logo(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    owner.patch(f"/programs/{program['id']}", {"organization_name": "Caffè Rossi",
                                              "colors": {"background": "#5b2c1a", "foreground": "#fff8ef", "label": "#f2c98a"}})
    html = client.get(f"/join/{program['slug']}", headers=EN).text
    assert "Caffè Rossi" in html and "--bg:#5b2c1a" in html and "--fg:#fff8ef" in html
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)


def test_unknown_program_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/join/no-such-shop", headers=IT)
    assert response.status_code == 404
    assert response.mimetype == "text/html" and "Qui non c&#39;è nessuna carta fedeltà" in response.text


def test_errors_are_shown_beside_their_field_with_the_input_kept(program: dict[str, Any], client: FlaskClient) -> None:
    response = join(client, program["slug"], IT, name="Marta <Verdi>", email="not-an-address",
                    phone="call me", birthday="31/02/1990", terms="")
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="email"[^>]*value="not-an-address"[^>]*aria-invalid="true"', html)
    assert '<p class="error" id="email-error">Inserisci un indirizzo e-mail come nome@esempio.it.</p>' in html
    assert '<p class="error" id="phone-error">' in html and 'value="call me"' in html
    assert '<p class="error" id="birthday-error">Inserisci la data come GG/MM/AAAA.</p>' in html
    assert '<p class="error" id="terms-error">Accetta le condizioni per iscriverti.</p>' in html
    assert 'value="Marta &lt;Verdi&gt;"' in html  # kept, and escaped
    assert 'id="name-error"' not in html
    assert db.session.scalar(select(func.count(Member.id))) == 1 - 1


def test_joining_gives_the_wallet_links_and_a_valid_pass(program: dict[str, Any], client: FlaskClient) -> None:
    response = join(client, program["slug"], IT, phone="+39 333 1234567", birthday="1990-05-12", marketing="y")
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=IT)
    assert page.status_code == 200 and "La tua carta è pronta" in page.text and "Aggiungi ad Apple Wallet" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "e-mail" not in page.text  # no SMTP configured: the page does not claim an e-mail went out
    [apple] = links(page.text)  # Google Wallet is not configured: only Apple's
    download = client.get(path(apple))
    pass_json = check_pkpass_like_a_phone(download.data, pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    member = db.session.scalar(select(Member))
    assert member is not None and pass_json["serialNumber"] == member.card.serial_number
    assert (member.name, member.phone, str(member.birthday)) == ("Marta Verdi", "+39 333 1234567", "1990-05-12")
    assert member.consent_terms and member.consent_marketing and member.consent_version == "terms-v1"


def test_consent_is_stored_with_time_version_and_marketing_left_off(program: dict[str, Any], client: FlaskClient) -> None:
    assert join(client, program["slug"], EN).status_code == 303
    events = {e.kind: e for e in db.session.scalars(select(ConsentEvent))}
    assert events["terms"].granted and not events["marketing"].granted
    assert {e.source for e in events.values()} == {"join"}
    assert {e.text_version for e in events.values()} == {"terms-v1"}
    assert all(e.created_at is not None for e in events.values())
    html = client.get(f"/join/{program['slug']}").text
    assert re.search(r'<input type="checkbox" id="marketing" name="marketing" value="y">', html)  # unticked


def test_an_old_link_to_the_card_page_is_refused(app: Flask, program: dict[str, Any], client: FlaskClient) -> None:
    location = join(client, program["slug"], EN).headers["Location"]
    tampered = location[:-4] + ("abcd" if not location.endswith("abcd") else "wxyz")
    assert client.get(tampered).status_code == 404
    other = client.get(location.replace(program["slug"], "another-shop"))
    assert other.status_code == 404
