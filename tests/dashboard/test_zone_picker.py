"""Time zones chosen for people: a new shop's zone comes from the browser's zone, else its
language's country; the picker offers the likely zones first, labelled with city and offset, and
still refuses what is not a zone a shop may use."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.dashboard.zones import country_zones, language_zone, suggested_zones, tag_country, zone_label
from app.extensions import db
from app.loyalty.days import zone_names
from app.models import Merchant
from tests.conftest import Api
from tests.dashboard.accounts_support import OWNER, login
from tests.dashboard.test_accounts_setup import FIRST

WINTER = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=timezone.utc)


def _groups(page: str) -> dict[str, list[str]]:
    """The zone picker's option values by group label."""
    select = re.search(r'<select[^>]*id="timezone".*?</select>', page, re.S)
    assert select, page
    return {label: re.findall(r'<option[^>]*value="([^"]*)"', body)
            for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select.group(0), re.S)}


def _selected(page: str) -> list[str]:
    return re.findall(r'<option selected value="([^"]*)"', page)


def _setup(client: FlaskClient, language: str, **form: str) -> str | None:
    response = client.post("/dashboard/setup", data={**FIRST, **form}, headers={"Accept-Language": language})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(Merchant.timezone))


@pytest.mark.parametrize(("tag", "country", "zone"), [
    ("it", "IT", "Europe/Rome"), ("it-IT", "IT", "Europe/Rome"), ("en-GB", "GB", "Europe/London"),
    ("de", "DE", "Europe/Berlin"), ("de-AT", "AT", "Europe/Vienna"), ("fr", "FR", "Europe/Paris"),
    ("es", "ES", "Europe/Madrid"), ("es-419", "ES", "Europe/Madrid"), ("en-US", "US", "America/New_York"),
    ("pt-BR", "BR", "America/Sao_Paulo"), ("zh-Hant-TW", "TW", "Asia/Taipei"), ("en", None, None)])
def test_a_language_names_its_country_and_its_main_zone(tag: str, country: str | None, zone: str | None) -> None:
    assert tag_country(tag) == country
    assert language_zone([tag]) == zone


def test_a_countrys_zones_are_those_a_shop_may_choose_main_first() -> None:
    assert country_zones("es") == ("Europe/Madrid", "Africa/Ceuta", "Atlantic/Canary")
    assert country_zones("US")[0] == "America/New_York" and "America/Los_Angeles" in country_zones("US")
    assert set(country_zones("AR")) <= set(zone_names()) and country_zones("XX") == ()
    assert suggested_zones(["de-AT", "it"], "America/Vancouver", "Etc/GMT+1", None) == [
        "America/Vancouver", "Europe/Vienna", "Europe/Rome"]


def test_labels_name_the_city_and_the_offset_of_the_day() -> None:
    assert zone_label("Europe/Rome", WINTER) == "Europe/Rome (Rome, UTC+1)"
    assert zone_label("Europe/Rome", SUMMER) == "Europe/Rome (Rome, UTC+2)"
    assert zone_label("America/Argentina/Buenos_Aires", WINTER) == \
        "America/Argentina/Buenos_Aires (Buenos Aires, UTC-3)"
    assert zone_label("Asia/Kolkata", WINTER) == "Asia/Kolkata (Kolkata, UTC+5:30)"
    assert zone_label("UTC", SUMMER) == "UTC (UTC)"


def test_labels_name_the_city_in_the_pages_language() -> None:
    assert zone_label("Europe/Rome", WINTER, "it") == "Europe/Rome (Roma, UTC+1)"
    assert zone_label("Europe/Lisbon", SUMMER, "it") == "Europe/Lisbon (Lisbona, UTC+1)"
    assert zone_label("Europe/Lisbon", SUMMER, "en") == "Europe/Lisbon (Lisbon, UTC+1)"


def test_an_italian_setup_preselects_rome_among_the_suggested_zones(client: FlaskClient) -> None:
    page = client.get("/dashboard/setup", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<label for="timezone">Fuso orario</label>' in page
    groups = _groups(page)
    assert list(groups) == ["Suggeriti", "Altri fusi orari"]
    assert groups["Suggeriti"] == ["Europe/Rome"] and "Europe/Rome" not in groups["Altri fusi orari"]
    assert len(groups["Altri fusi orari"]) == len(zone_names()) - 1
    assert _selected(page) == ["Europe/Rome"]
    assert re.search(r'value="Europe/Rome">Europe/Rome \(Roma, UTC\+[12]\)</option>', page)
    assert 'name="browser_zone" type="hidden"' in page and "dashboard/zones.js" in page
    assert 'class="field zone-filter" hidden' in page  # the search box waits for its script


def test_an_italian_shop_gets_rome_without_choosing(client: FlaskClient) -> None:
    assert _setup(client, "it") == "Europe/Rome"


def test_the_browsers_own_zone_comes_before_the_language(client: FlaskClient) -> None:
    assert _setup(client, "it", browser_zone="America/Vancouver") == "America/Vancouver"


def test_a_zone_chosen_on_the_page_wins(client: FlaskClient) -> None:
    assert _setup(client, "it", timezone="Atlantic/Canary", browser_zone="America/Vancouver") == "Atlantic/Canary"


def test_a_language_of_no_country_keeps_the_installation_zone(client: FlaskClient) -> None:
    page = client.get("/dashboard/setup", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _selected(page) == ["UTC"] and _groups(page)["Suggested"] == ["UTC"]
    assert _setup(client, "en") is None


def test_other_languages_and_regions_preselect_their_zone(client: FlaskClient) -> None:
    for language, zone in (("de-AT,de;q=0.8", "Europe/Vienna"), ("en-GB", "Europe/London"), ("fr-FR", "Europe/Paris"),
                           ("es", "Europe/Madrid")):
        page = client.get("/dashboard/setup", headers={"Accept-Language": language}).get_data(as_text=True)
        assert _selected(page) == [zone], language
        assert _groups(page)["Suggested"][0] == zone


@pytest.mark.parametrize("zone", ["Etc/GMT+1", "CET", "Europe/Nowhere", "localtime"])
def test_setup_refuses_what_is_not_a_shops_zone_beside_the_field(client: FlaskClient, zone: str) -> None:
    page = client.post("/dashboard/setup", data={**FIRST, "timezone": zone}, headers={"Accept-Language": "en-GB"})
    text = page.get_data(as_text=True)
    assert '<p class="error" id="timezone-error">Choose a time zone from the list.</p>' in text
    assert re.search(r'<select aria-describedby="timezone-hint timezone-error" aria-invalid="true"', text)
    assert db.session.scalar(select(func.count(Merchant.id))) == 0


def test_a_returned_setup_page_keeps_the_browsers_zone_among_the_suggestions(client: FlaskClient) -> None:
    page = client.post("/dashboard/setup", data={**FIRST, "shop": "", "timezone": "Asia/Tokyo",
                                                 "browser_zone": "Asia/Tokyo"}, headers={"Accept-Language": "it"})
    text = page.get_data(as_text=True)
    assert _groups(text)["Suggeriti"] == ["Asia/Tokyo", "Europe/Rome"] and _selected(text) == ["Asia/Tokyo"]


def test_the_shop_page_suggests_the_shops_zone_and_its_languages(app: Flask, client: FlaskClient, owner: Api) -> None:
    owner.post("/programs", {"name": "Club", "locale": "it"})
    login(client, OWNER)
    page = client.get("/dashboard/shop", headers={"Accept-Language": "de-CH"}).get_data(as_text=True)
    groups = _groups(page)
    assert groups["Suggested"] == ["", "Europe/Zurich", "Europe/Rome"]
    assert "As the installation: UTC" in page and _selected(page) == [""]
    saved = client.post("/dashboard/shop", data={"shop": "Caffè Rossi", "timezone": "Asia/Tokyo"})
    assert saved.status_code == 302
    page = client.get("/dashboard/shop").get_data(as_text=True)
    assert _groups(page)["Suggested"] == ["", "Asia/Tokyo", "Europe/Rome"] and _selected(page) == ["Asia/Tokyo"]
    refused = client.post("/dashboard/shop", data={"shop": "Caffè Rossi", "timezone": "Etc/GMT-2"})
    assert refused.status_code == 400 and 'id="timezone-error">Choose a time zone from the list.' in \
        refused.get_data(as_text=True)
