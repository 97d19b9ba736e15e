"""A walk-in customer gets a card at the till: the cashier fills in the form, the QR code on the
screen is read as a phone's camera would (a screenshot decoded by zxing-cpp), and the phone opens
the link and adds the pass. And an owner uploads a members CSV with a bad row."""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zxingcpp
from flask import Flask
from PIL import Image

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.browser.test_dashboard_till import TABLET, sign_in
from tests.dashboard.test_till import add_cashier
from tests.enrollment.smtp import smtp_server
from tests.support.phone import check_pkpass_like_a_phone

if TYPE_CHECKING:
    from playwright.sync_api import Page

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")


def test_a_cashier_gives_a_walk_in_customer_a_card_they_scan_off_the_screen(
        new_page: Callable[..., Page], live_server: LiveServer, app: Flask, program: dict[str, Any],
        artifacts: Path) -> None:
    add_cashier()
    till = new_page(**TABLET)
    sign_in(till, live_server, "anna@rossi.example")
    till.goto(f"{live_server.url}/dashboard/programs/{program['id']}/till")
    till.click("#till-enrol")
    till.wait_for_url("**/till/enrol")
    till.fill("#name", "Luca Neri")
    till.fill("#email", "luca@example")  # a slip the form points out
    till.click("#enrol-submit")
    assert till.locator("#email-error").is_visible() and till.locator("#terms-error").is_visible()
    assert till.input_value("#name") == "Luca Neri"
    keep(till, artifacts / "dashboard-enrol-1-errors.png")
    assert_accessible(till)

    till.fill("#email", "luca@example.com")
    till.check("#terms")
    till.click("#enrol-submit")
    till.wait_for_url("**/new-card/**")
    assert till.locator("h1").inner_text() == "Card for Luca Neri"
    assert till.locator("#card-email-button").inner_text() == "E-mail the card instead"
    screenshot = keep(till, artifacts / "dashboard-enrol-2-qr.png")
    assert_accessible(till)
    box = till.locator("#card-qr svg").bounding_box()
    assert box is not None and box["width"] >= 300  # big enough to scan from across the counter

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(screenshot)))
    link = till.locator("#card-link").inner_text()
    assert [result.text for result in decoded] == [link]
    assert link.startswith(f"{live_server.url}/join/{program['slug']}/card/")

    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE,
                     locale="en-GB", accept_downloads=True)
    assert (response := phone.goto(decoded[0].text)) is not None and response.status == 200
    keep(phone, artifacts / "dashboard-enrol-3-phone.png")
    with phone.expect_download() as download:
        phone.locator("a.wallet").first.click()
    pass_json = check_pkpass_like_a_phone(Path(download.value.path()).read_bytes(),
                                          pass_type_identifier="pass.dev.tessera.example",
                                          team_identifier="TESSERA000")
    fronts = {f["key"]: f["value"] for f in pass_json["storeCard"]["secondaryFields"]}
    assert fronts["member"] == "Luca Neri"

    with smtp_server() as (port, inbox):  # the customer would rather have it by e-mail too
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                          MAIL_FROM="Caffè Rossi <carte@rossi.example>")
        till.click("#card-email-button")
        till.wait_for_load_state()
        recipients, message = inbox.next()
    assert recipients == ["luca@example.com"]
    assert f"{live_server.url}/join/{program['slug']}/card/" in message.get_body(("plain",)).get_content()
    assert "The card link was sent to luca@example.com." in till.locator(".flash").inner_text()
    keep(till, artifacts / "dashboard-enrol-4-emailed.png")
    assert_accessible(till)


def test_an_owner_uploads_members_and_sees_the_refused_row(
        new_page: Callable[..., Page], live_server: LiveServer, program: dict[str, Any], artifacts: Path,
        tmp_path: Path) -> None:
    rows = "".join(f"Member {i},member{i}@example.com,{i * 10}\n" for i in range(120))
    csv_file = tmp_path / "members.csv"
    csv_file.write_text(f"name,email,points\n{rows}Bad Row,bad-address,5\n", encoding="utf-8")
    page = new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/members")
    page.click("#members-import")
    page.wait_for_url("**/members/import")
    keep(page, artifacts / "dashboard-import-1-form.png")
    assert_accessible(page)
    page.set_input_files("#file", str(csv_file))
    page.click("#import-submit")
    page.wait_for_url("**/members/imports/**")
    assert page.locator("#import-progress").is_visible()
    assert " of 121" in page.locator("#import-done").inner_text()
    keep(page, artifacts / "dashboard-import-2-progress.png")
    page.wait_for_selector("#import-status[data-status=finished]", timeout=30_000)  # it refreshes itself
    assert page.locator("#import-done").inner_text() == "121 of 121"
    assert page.locator("#import-kept").inner_text() == "120"
    assert page.locator("#import-refused").inner_text() == "1"
    assert page.locator("#refused-rows tbody tr").inner_text().split("\t") == \
        ["122", "email 'bad-address' is not a valid e-mail address"]
    assert "120 imported members have an e-mail address" in page.locator("#import-mail").inner_text()
    keep(page, artifacts / "dashboard-import-3-finished.png")
    assert_accessible(page)
