from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.enrollment.links import wallet_buttons
from app.extensions import db
from app.models import Card, Member
from tests.conftest import Api
from tests.enrollment.helpers import EN, IT, join, links

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile Safari/604.1"


def _after_join(client: FlaskClient, slug: str, **fields: str) -> str:
    response = join(client, slug, IT, **fields)
    assert response.status_code == 303, response.text
    return client.get(response.headers["Location"], headers=IT).text


def test_the_same_address_twice_gets_no_card_on_the_page(program: dict[str, Any], client: FlaskClient) -> None:
    first = _after_join(client, program["slug"], email="marta@example.com")
    again = join(client, program["slug"], IT, email="  MARTA@Example.com ", name="Someone Else", terms="y")
    assert again.status_code == 200 and "Location" not in again.headers
    card = db.session.scalar(select(Card))
    assert card is not None and card.member.name == "Marta Verdi"  # the second form changed nothing
    assert db.session.scalar(select(func.count(Card.id))) == 1
    assert links(first) and not links(again.text)
    for secret in ("/p/", "/card/", "/google/save", "pay.google.com", ".pkpass", card.serial_number):
        assert secret not in again.text
    assert "Controlla la tua e-mail" in again.text and "marta@example.com" in again.text
    assert again.headers["Cache-Control"] == "private, no-store"


def test_referral_link_is_attributed(member: dict[str, Any], program: dict[str, Any], client: FlaskClient) -> None:
    invitation = client.get(f"/r/{member['referral_code'].lower()}")
    assert invitation.status_code == 302
    form = client.get(invitation.headers["Location"].removeprefix("http://tessera.test")).text
    assert re.search(rf'name="ref" type="hidden" value="{member["referral_code"]}"', form)
    assert join(client, program["slug"], EN, email="friend@example.com", ref=member["referral_code"]).status_code == 303
    friend = db.session.scalar(select(Member).where(Member.email == "friend@example.com"))
    assert friend is not None and friend.referred_by_id == member["id"]


def test_an_unknown_referral_code_is_ignored_silently(program: dict[str, Any], client: FlaskClient) -> None:
    form = client.get(f"/join/{program['slug']}?ref=NOPE1234", headers=EN).text
    assert re.search(r'name="ref" type="hidden" value=""', form)
    response = join(client, program["slug"], EN, ref="NOPE1234")
    assert response.status_code == 303
    joined = db.session.scalar(select(Member))
    assert joined is not None and joined.referred_by_id is None


def test_csrf_token_is_required_when_enabled(app: Flask, program: dict[str, Any], client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    refused = join(client, program["slug"], IT, name="Marta Verdi")
    assert refused.status_code == 400
    assert "La pagina è rimasta aperta troppo a lungo" in refused.text and 'value="Marta Verdi"' in refused.text
    assert db.session.scalar(select(func.count(Member.id))) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', refused.text)
    assert token, refused.text
    accepted = join(client, program["slug"], IT, csrf_token=token.group(1))
    assert accepted.status_code == 303
    assert db.session.scalar(select(func.count(Member.id))) == 1


def test_submissions_are_rate_limited_per_address(program: dict[str, Any], client: FlaskClient) -> None:
    for _ in range(10):
        assert join(client, program["slug"], IT, email="wrong").status_code == 422
    limited = join(client, program["slug"], IT)
    assert limited.status_code == 429
    assert "Troppi tentativi" in limited.text and limited.mimetype == "text/html"
    assert limited.headers["Retry-After"] == "60"
    assert client.get(f"/join/{program['slug']}").status_code == 200  # reading the form is not limited
    elsewhere = client.post(f"/join/{program['slug']}", data={"name": "A", "email": "a@example.com", "terms": "y"},
                            environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 303
    assert db.session.scalar(select(func.count(Member.id))) == 1


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"link": "href", "script": "src", "img": "src"}.get(tag)
        url = dict(attrs).get(wanted or "")
        if url and not url.startswith("data:"):
            self.urls.append(url)


def _weight(client: FlaskClient, url: str) -> int:
    page = client.get(url, headers=IT)
    assert page.status_code == 200
    parser = _Assets()
    parser.feed(page.text)
    return len(page.data) + sum(_size(client, asset) for asset in parser.urls)


def _size(client: FlaskClient, url: str) -> int:
    with client.get(url) as response:  # a static file stays open until its response is closed
        return len(response.data)


def test_page_and_everything_it_loads_weigh_under_100_kb(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    owner.patch(f"/programs/{program['id']}", {"terms": "Un punto per ogni euro speso. " * 40})
    weight = _weight(client, f"/join/{program['slug']}")
    location = join(client, program["slug"], IT).headers["Location"]
    assert weight < 100_000 and _weight(client, location) < 100_000
    assert "<script" not in client.get(f"/join/{program['slug']}").text


def test_the_phones_own_wallet_comes_first() -> None:
    apple, google = "https://x/p/a.pkpass", "https://x/google/save/b"
    assert [b.kind for b in wallet_buttons(apple, google, ANDROID)] == ["google", "apple"]
    assert [b.kind for b in wallet_buttons(apple, google, IPHONE)] == ["apple", "google"]
    assert [b.kind for b in wallet_buttons(apple, None, ANDROID)] == ["apple"]
