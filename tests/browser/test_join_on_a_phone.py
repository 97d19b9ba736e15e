"""Scan to card, as a customer does it: a phone-sized Chromium in Italian opens the join page
from the shop's QR code, fills it in, corrects a mistake, and downloads the signed pass."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import LiveServer, keep
from tests.support.phone import check_pkpass_like_a_phone

if TYPE_CHECKING:
    from playwright.sync_api import Page

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")


def test_scan_to_card_on_a_phone_in_italian(new_page: Callable[..., Page], live_server: LiveServer,
                                            program: dict[str, Any], artifacts: Path) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
                    user_agent=IPHONE, locale="it-IT", extra_http_headers={"Accept-Language": "it-IT,it;q=0.9"},
                    accept_downloads=True)
    response = page.goto(f"{live_server.url}/join/{program['slug']}")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.locator("button[type=submit]").inner_text() == "Ottieni la mia carta"
    keep(page, artifacts / "join-1-form-it.png")

    page.fill("#name", "Giulia Bianchi")
    page.fill("#email", "giulia.phone@example.com")
    page.fill("#phone", "chiamami")  # a typo the server refuses
    page.check("#terms")
    page.click("button[type=submit]")
    assert page.locator("#phone-error").is_visible()
    assert page.input_value("#name") == "Giulia Bianchi"  # the input is kept
    assert page.locator("#marketing").is_checked() is False  # marketing stays unticked unless chosen
    keep(page, artifacts / "join-2-error-it.png")

    page.fill("#phone", "+39 333 1234567")
    if not page.locator("#terms").is_checked():
        page.check("#terms")
    page.click("button[type=submit]")
    page.wait_for_url("**/card/**")
    buttons = page.locator("a.wallet")
    assert buttons.first.inner_text() == "Aggiungi ad Apple Wallet"  # the iPhone's wallet first
    keep(page, artifacts / "join-3-card-it.png")

    with page.expect_download() as download:
        buttons.first.click()
    data = Path(download.value.path()).read_bytes()
    pass_json = check_pkpass_like_a_phone(data, pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    fronts = {f["key"]: f["value"] for f in pass_json["storeCard"]["secondaryFields"]}
    assert fronts["member"] == "Giulia Bianchi"
    assert pass_json["webServiceURL"] == f"{live_server.url}/passkit"
