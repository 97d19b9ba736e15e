"""One date style and one number style per language, on every dashboard page and on the card.

The shop is in Europe/Rome; every stored instant is 8 November 2026 at 13:05 UTC, which is 14:05 in
Rome. Italian pages write `8 nov 2026, 14:05` and `12.345`, English pages `8 Nov 2026, 14:05` and
`12,345`; no page leaks an ISO date, a slashed date or another order."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.formats import elide
from app.loyalty.enrollment import luhn_digit
from app.models import ApiKey, Card, LedgerEntry, Member, Merchant, Program, SentMessage, StaffUser
from app.wallet.apple import description
from tests.conftest import Api
from tests.dashboard.members_helpers import login
from tests.support.phone import check_pkpass_like_a_phone

MOMENT = datetime(2026, 11, 8, 13, 5, tzinfo=timezone.utc)  # 14:05 in Rome
SHOWN = {"it": ("8 nov 2026", "8 nov 2026, 14:05"), "en": ("8 Nov 2026", "8 Nov 2026, 14:05")}
GROUPED = {"it": "12.345", "en": "12,345"}
MONTHS = {"it": "gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic", "en": "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"}
OTHER_DATES = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # ISO
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),  # 08/11/2026
    re.compile(r"\b[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\b"),  # Nov 8, 2026
    re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b"),  # seconds
    re.compile(r"\b\d{1,2}:\d{2}\s?(AM|PM)\b"),
]


class _Text(HTMLParser):
    """What a reader sees in the page's language: text outside script and style, outside a part in
    another language (the card preview speaks the card's) and outside names marked not to be
    translated (the time zones' list), and each table's column headings."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, language: str | None = None) -> None:
        super().__init__()
        self.language = language
        self.parts: list[str] = []
        self.tables: list[list[str]] = []
        self._skip = 0  # depth inside script, style or another language's part
        self._heading: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        lang = dict(attrs).get("lang")
        foreign = tag != "html" and lang is not None and self.language is not None and lang != self.language
        names = dict(attrs).get("translate") == "no"
        if self._skip or tag in ("script", "style", "template") or foreign or names:
            self._skip += 1
        elif tag == "thead":
            self._in_head = True
            self.tables.append([])
        elif tag == "th" and self._in_head:
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self._skip:
            self._skip -= 1
        elif tag == "thead":
            self._in_head = False
        elif tag == "th" and self._heading is not None:
            self.tables[-1].append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._heading is not None:
            self._heading.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def _read(html: str) -> _Text:
    found = re.search(r'<html lang="(\w+)"', html)
    parser = _Text(found.group(1) if found else None)
    parser.feed(html)
    return parser


@pytest.fixture
def shop(app: Flask, client: FlaskClient, owner: Api, program: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """A Rome shop whose member holds 12345 points, a reward still far away, and every row dated MOMENT."""
    assert owner.post(f"/members/{member['id']}/transactions", {"points": 12345}).status_code == 201
    assert owner.post(f"/programs/{program['id']}/rewards", {"name": "Una colazione omaggio", "cost": 20000}).status_code == 201
    assert owner.post(f"/programs/{program['id']}/messages", {"text": "Doppi punti sabato"}).status_code == 202
    merchant = db.session.scalar(select(Merchant))
    assert merchant is not None
    merchant.timezone = "Europe/Rome"
    db.session.get_one(Member, member["id"]).created_at = MOMENT
    for entry in db.session.scalars(select(LedgerEntry)):
        entry.created_at = MOMENT
    for row in db.session.scalars(select(SentMessage)):
        row.created_at = MOMENT
    for key in db.session.scalars(select(ApiKey)):
        key.created_at = key.last_used_at = MOMENT
    for staff in db.session.scalars(select(StaffUser)):
        staff.last_login_at = MOMENT
    db.session.commit()
    return {"program": program["id"], "member": member["id"], "card": member["card_number"]}


def _as(client: FlaskClient, language: str) -> None:
    login(client, "owner@rossi.example")
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "owner@rossi.example"))
    assert staff is not None
    staff.locale = language
    staff.last_login_at = MOMENT  # signing in just now stamped it
    db.session.commit()


def _pages(shop: dict[str, Any]) -> dict[str, str]:
    program = f"/dashboard/programs/{shop['program']}"
    return {
        "member": f"/dashboard/members/{shop['member']}", "members": f"{program}/members", "home": program,
        "till": f"{program}/till/{shop['card']}", "till start": f"{program}/till", "figures": f"{program}/figures",
        "messages": f"{program}/messages", "api keys": "/dashboard/api-keys", "staff": "/dashboard/staff",
        "rewards": f"{program}/rewards", "rules": f"{program}/rules", "poster": f"{program}/poster",
        "device log": f"{program}/device-log", "shop": "/dashboard/shop", "profile": "/dashboard/profile",
        "design": f"{program}/design", "programs": "/dashboard/", "erase": f"/dashboard/members/{shop['member']}/erase",
    }


def _page(client: FlaskClient, path: str) -> _Text:
    response = client.get(path)
    assert response.status_code == 200, path
    return _read(response.get_data(as_text=True))


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_dashboard_page_writes_dates_one_way(client: FlaskClient, shop: dict[str, Any], language: str) -> None:
    _as(client, language)
    day, moment = SHOWN[language]
    other_language = MONTHS["en" if language == "it" else "it"]
    seen = {}
    for name, path in _pages(shop).items():
        text = _page(client, path).text
        for pattern in OTHER_DATES:
            assert not pattern.search(text), f"{name}: {pattern.search(text)}"
        assert not re.search(rf"\b\d{{1,2}} ({other_language}) \d{{4}}\b", text), name
        # Each time of day on the page belongs to a "d MMM y, HH:mm" (or stands alone on the till's list).
        for clock in re.finditer(r"\b\d{1,2}:\d{2}\b", text):
            before = text[:clock.start()]
            assert re.search(rf"\d{{1,2}} ({MONTHS[language]}) \d{{4}}, $", before) or name == "till start", name
        seen[name] = text
    for name in ("member", "till", "api keys", "staff", "home", "messages"):
        assert moment in seen[name], name
    assert day in seen["members"] and day in seen["member"]


@pytest.mark.parametrize("language", ["it", "en"])
def test_points_are_grouped_the_language_way(client: FlaskClient, shop: dict[str, Any], language: str) -> None:
    _as(client, language)
    ungrouped = re.compile(r"(?<![\d.,])12345(?![\d.,])")
    for name in ("member", "till", "members", "home", "figures"):
        text = _page(client, _pages(shop)[name]).text
        assert GROUPED[language] in text, name
        assert not ungrouped.search(text), name
    signed = "+12.345" if language == "it" else "+12,345"
    assert signed in _page(client, _pages(shop)["member"]).text  # the history's signed figures too


def test_no_table_has_two_columns_with_the_same_heading(client: FlaskClient, shop: dict[str, Any]) -> None:
    for language in ("it", "en"):
        _as(client, language)
        for name, path in _pages(shop).items():
            for headings in _page(client, path).tables:
                named = [h for h in headings if h]
                assert len(named) == len(set(named)), f"{name} ({language}): {headings}"


def _pass_json(app: Flask, owner: Api, member_id: int) -> dict[str, Any]:
    url = owner.get(f"/members/{member_id}").get_json()["pass_url"].removeprefix(app.config["PUBLIC_URL"])
    return check_pkpass_like_a_phone(app.test_client().get(url).data, pass_type_identifier="pass.dev.tessera.example",
                                     team_identifier="TESSERA000")


@pytest.mark.parametrize(("locale", "label", "goal"), [("it", "Punti", "Una colazione omaggio: mancano 7.655 punti"),
                                                       ("en", "Points", "Una colazione omaggio: 7,655 points to go")])
def test_the_card_lets_wallet_write_the_date_and_groups_its_figures(
    app: Flask, owner: Api, shop: dict[str, Any], locale: str, label: str, goal: str
) -> None:
    assert owner.patch(f"/programs/{shop['program']}", {"locale": locale, "points_label": label}).status_code == 200
    data = _pass_json(app, owner, shop["member"])
    back = {f["key"]: f for f in data["storeCard"]["backFields"]}
    since = back["since"]
    assert since["value"] == "2026-11-08T14:05:00+01:00"  # the shop's local instant, offset included
    assert since["dateStyle"] == "PKDateStyleMedium" and since["timeStyle"] == "PKDateStyleNone"
    assert since["ignoresTimeZone"] is True
    points = data["storeCard"]["headerFields"][0]
    assert points["value"] == 12345 and points["numberStyle"] == "PKNumberStyleDecimal"
    assert data["storeCard"]["auxiliaryFields"][0]["value"] == goal
    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    texts = [f["value"] for f in data["storeCard"]["backFields"] if "dateStyle" not in f]
    assert not any(iso.search(str(text)) for text in texts)


def test_a_card_description_names_the_shop_once(app: Flask) -> None:
    def program(name: str, organization: str | None) -> Program:
        return Program(name=name, organization_name=organization)

    assert description(program("Rossi Club", "Caffè Rossi")) == "Rossi Club · Caffè Rossi"
    assert description(program("Caffè Rossi", "Caffè Rossi")) == "Caffè Rossi"
    assert description(program("Caffè Rossi Club", "Caffè Rossi")) == "Caffè Rossi Club"
    assert description(program("Rossi", "Caffè Rossi")) == "Caffè Rossi"
    assert description(program("Rossi Club", None)) == "Rossi Club"


def test_the_served_card_description_has_no_repeated_name(app: Flask, owner: Api, shop: dict[str, Any]) -> None:
    assert owner.patch(f"/programs/{shop['program']}", {"name": "Caffè Rossi", "organization_name": "Caffè Rossi"}).status_code == 200
    assert _pass_json(app, owner, shop["member"])["description"] == "Caffè Rossi"


@pytest.mark.parametrize(("text", "expected"), [
    ("Dal 8 nov 2026 al 11 dic 2026", "Dall'8 nov 2026 all'11 dic 2026"),
    ("cancellato il 8 nov 2026", "cancellato l'8 nov 2026"),
    ("fino al 80 per cento", "fino all'80 per cento"),
    ("dal 11.000 in su", "dall'11.000 in su"),
    ("dal 1 nov al 18 nov, il 110", "dal 1 nov al 18 nov, il 110"),
])
def test_italian_elides_the_article_before_a_number_said_with_a_vowel(app: Flask, text: str, expected: str) -> None:
    assert elide(text, "it") == expected
    assert elide(text, "en") == text


def test_a_mistyped_card_number_names_what_is_wrong(client: FlaskClient, shop: dict[str, Any]) -> None:
    _as(client, "en")
    body = shop["card"][:-1]
    wrong_digit = body + str((int(luhn_digit(body)) + 1) % 10)
    till = f"/dashboard/programs/{shop['program']}/till"
    text = _read(client.get(till, query_string={"card": wrong_digit}).get_data(as_text=True)).text
    assert "the last digit does not match the others" in text and "has 13 digits" not in text
    text = _read(client.get(till, query_string={"card": body}).get_data(as_text=True)).text
    assert "a card number has 13 digits" in text and "last digit" not in text
    card = db.session.scalar(select(Card))
    assert card is not None and card.card_number == shop["card"]


@pytest.mark.parametrize("language", ["it", "en"])
def test_pages_never_say_a_word_twice_in_a_row(client: FlaskClient, shop: dict[str, Any], language: str) -> None:
    repeated = re.compile(r"\b([^\W\d]\w*)[\s,;:]+\1\b", re.IGNORECASE)
    _as(client, language)
    created = client.post("/dashboard/api-keys", data={"label": "Till app", "role": "cashier"})
    assert created.status_code == 200
    pages = {"new key": _read(created.get_data(as_text=True))}
    pages.update((name, _page(client, path)) for name, path in _pages(shop).items())
    for name, page in pages.items():
        for sentence in page.parts:  # one text node: a sentence, a label, a cell
            assert not repeated.search(sentence), f"{name}: {sentence!r}"
    assert "Authorization: Bearer" in pages["new key"].text


@pytest.mark.parametrize(("language", "badge"), [("it", "revocata l'8 nov 2026"), ("en", "revoked on 8 Nov 2026")])
def test_a_date_after_an_article_reads_as_said(client: FlaskClient, shop: dict[str, Any], language: str, badge: str) -> None:
    _as(client, language)
    key = db.session.scalar(select(ApiKey))
    assert key is not None
    key.revoked_at = MOMENT
    db.session.commit()
    assert badge in _page(client, "/dashboard/api-keys").text


@pytest.mark.parametrize("language", ["it", "en"])
def test_public_pages_read_well_too(client: FlaskClient, program: dict[str, Any], language: str) -> None:
    repeated = re.compile(r"\b([^\W\d]\w*)[\s,;:]+\1\b", re.IGNORECASE)
    for path in (f"/join/{program['slug']}", f"/join/{program['slug']}/poster"):
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 200, path
        page = _read(response.get_data(as_text=True))
        assert not any(repeated.search(part) for part in page.parts), path
        assert not any(pattern.search(page.text) for pattern in OTHER_DATES), path
