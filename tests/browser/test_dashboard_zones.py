"""The time zone picker in a real browser: the first run follows the browser's own zone, the
search box narrows the list to a typed city, and without JavaScript the language's zone is chosen."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.extensions import db
from app.models import Merchant
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.conftest import Api
from tests.dashboard.accounts_support import OWNER, PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _fill_owner(page: Page) -> None:
    page.fill("#shop", "Forno Bianchi")
    page.fill("#name", "Anna Bianchi")
    page.fill("#email", "anna@forno.example")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)


def _suggested(page: Page) -> list[str]:
    return page.eval_on_selector_all("#timezone optgroup:first-child option", "os => os.map(o => o.value)")


def _shop_zone() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Merchant.timezone))


def test_the_first_run_follows_the_browser_and_finds_a_typed_city(
        new_page: Callable[..., Page], live_server: LiveServer, artifacts: Path) -> None:
    page = new_page(locale="it-IT", timezone_id="America/Vancouver")
    page.goto(f"{live_server.url}/dashboard/setup")
    assert page.input_value("#timezone") == "America/Vancouver"  # the browser's own zone, chosen
    assert _suggested(page) == ["America/Vancouver", "Europe/Rome"]
    assert page.input_value("input[name=browser_zone]") == "America/Vancouver"
    keep(page, artifacts / "dashboard-zones-1-setup.png")
    assert_accessible(page)

    search = page.get_by_label("Cerca tra i fusi orari")
    search.fill("tokyo")
    assert page.input_value("#timezone") == "Asia/Tokyo"
    assert page.locator("#timezone-filter-count").inner_text() == "Fusi orari corrispondenti: 1."
    visible = page.eval_on_selector_all("#timezone option", "os => os.filter(o => !o.hidden).map(o => o.value)")
    assert visible == ["Asia/Tokyo"]
    search.fill("roma")  # the city as the page's language writes it
    assert page.input_value("#timezone") == "Europe/Rome"
    search.fill("buenos a")  # the city as it is written, with a space
    assert page.input_value("#timezone") == "America/Argentina/Buenos_Aires"
    search.fill("ven")
    page.get_by_label("Fuso orario", exact=True).select_option("Europe/Vienna")
    search.press("Enter")  # Enter in the search box chooses; it does not send the form
    assert page.url.endswith("/dashboard/setup") and page.input_value("#timezone") == "Europe/Vienna"
    search.fill("nowhere at all")
    assert page.locator("#timezone-filter-count").inner_text().startswith("Nessun fuso orario corrisponde")
    search.fill("Vienna")
    keep(page, artifacts / "dashboard-zones-2-search.png")
    assert_accessible(page)

    _fill_owner(page)
    page.get_by_role("button", name="Crea il negozio").click()
    page.wait_for_url("**/dashboard/programs/new")
    assert _shop_zone() == "Europe/Vienna"


def test_without_javascript_the_languages_zone_is_chosen(new_page: Callable[..., Page], live_server: LiveServer,
                                                         artifacts: Path) -> None:
    page = new_page(locale="de-AT", timezone_id="Asia/Tokyo", java_script_enabled=False)
    page.goto(f"{live_server.url}/dashboard/setup")
    assert page.input_value("#timezone") == "Europe/Vienna" and _suggested(page) == ["Europe/Vienna"]
    assert not page.locator(".zone-filter").is_visible()  # the search box needs its script
    _fill_owner(page)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/dashboard/programs/new")
    assert _shop_zone() == "Europe/Vienna"


def test_the_shop_page_search_and_suggestions(new_page: Callable[..., Page], live_server: LiveServer, owner: Api,
                                              artifacts: Path) -> None:
    page = new_page(locale="en-GB", timezone_id="Australia/Perth")
    page.goto(f"{live_server.url}/dashboard/login")
    page.fill("#email", OWNER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/dashboard/shop")
    # The shop keeps the installation's zone; the browser's own joins the suggestions, unchosen.
    assert page.input_value("#timezone") == ""
    assert _suggested(page) == ["", "Australia/Perth", "Europe/London"]
    page.get_by_label("Search the time zones").fill("lisb")
    assert page.input_value("#timezone") == "Europe/Lisbon"
    keep(page, artifacts / "dashboard-zones-3-shop.png")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/dashboard/shop")
    assert _shop_zone() == "Europe/Lisbon"
    assert page.input_value("#timezone") == "Europe/Lisbon"
