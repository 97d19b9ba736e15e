"""Figures and the QR poster in Chromium: the charts draw without JavaScript and carry their
numbers; a location's poster scans to its own `?at=` link; every page passes axe-core."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zxingcpp
from PIL import Image

from app.extensions import db
from app.models import DeviceLog, PushAttempt
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.dashboard.test_figures_data import PASSWORD, build

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/dashboard/login")
    page.fill("#email", "owner@rossi.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/(?!login).*"))


def test_figures_draw_charts_with_their_numbers(new_page: Any, live_server: LiveServer, program: dict[str, Any],
                                                artifacts: Path) -> None:
    built = build(program["id"])
    card = built.members["B"].card
    db.session.add_all([
        DeviceLog(message=f"[2026-11-29 10:00:00 +0000] Web service error for pass.it.rossi ({card.serial_number}): "
                  "Response to 'What changed?' request included 1 serial numbers but the pass could not be "
                  "downloaded.", task="web_service_error", serial_number=card.serial_number, error="HTTP 404"),
        PushAttempt(card_id=card.id, attempt=1, status=410, reason="Unregistered", outcome="unregistered"),
    ])
    db.session.commit()
    page: Page = new_page(viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False)
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/figures?days=7")
    assert page.locator("h1").inner_text().startswith("Figures")
    charts = page.locator("svg[role=img]")
    assert charts.count() == 7
    first = charts.first.bounding_box()
    assert first is not None and first["width"] > 500 and first["height"] > 150  # drawn, not collapsed
    assert page.get_by_role("img", name="New members per day").count() == 1
    assert page.locator(".headline dd").first.inner_text() == "5"
    page.locator("#points-heading ~ details summary").click()
    assert page.locator("#points-heading ~ details table").is_visible()
    keep(page, artifacts / "dashboard-figures-charts.png")

    # The same page with JavaScript on, for axe-core (which runs in the page).
    checked: Page = new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    _sign_in(checked, live_server)
    checked.goto(f"{live_server.url}/dashboard/programs/{program['id']}/figures?days=30")
    assert_accessible(checked)
    checked.get_by_role("link", name=re.compile("Wallet log")).click()
    checked.wait_for_url(re.compile(r".*/device-log$"))
    assert checked.locator("table.log tbody tr").count() == 1
    assert card.card_number in checked.locator("table.log").inner_text()
    keep(checked, artifacts / "dashboard-figures-device-log.png")
    assert_accessible(checked)


def test_a_locations_poster_scans_to_its_own_link(page: Page, live_server: LiveServer, program: dict[str, Any],
                                                  artifacts: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/poster")
    assert page.eval_on_selector(".qr-preview img", "img => img.complete ? img.naturalWidth : 0") > 0
    assert_accessible(page)
    page.fill("#new-location", "")
    page.click("text=Add location")
    assert page.locator("#new-location-error").inner_text() == "Enter a name for the location."
    assert_accessible(page)
    page.fill("#new-location", "Vetrina sul corso")
    page.click("text=Add location")
    page.wait_for_selector("text=Location Vetrina sul corso added")
    keep(page, artifacts / "dashboard-figures-poster.png")
    assert_accessible(page)

    link = f"{live_server.url}/join/{program['slug']}?at=vetrina-sul"
    page.get_by_role("link", name="Print the poster for Vetrina sul corso").click()
    page.wait_for_url(f"{live_server.url}/join/{program['slug']}/poster?at=vetrina-sul")
    page.set_viewport_size({"width": 794, "height": 1123})
    page.wait_for_function("document.querySelector('#qr').complete && document.querySelector('#qr').naturalWidth > 0")
    screenshot = keep(page, artifacts / "dashboard-figures-location-poster.png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(screenshot)))
    assert [result.text for result in decoded] == [link]
    assert page.locator(".link a").get_attribute("href") == link
