"""The till on a tablet: a typed number, then a purchase and its confirmation; and a real scan of
the card's QR code through a (fake) camera, which Linux Chromium reads with the vendored ponyfill."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import qrcode
from PIL import Image

from tests.browser.axe import assert_accessible
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, keep
from tests.conftest import Api

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "locale": "en-GB"}
FRAME = (640, 480)


def sign_in(page: Page, live_server: LiveServer, email: str = "owner@rossi.example") -> None:
    page.goto(f"{live_server.url}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_typed_number_then_a_purchase(new_page: Callable[..., Page], live_server: LiveServer, owner: Api,
                                        member: dict[str, Any], artifacts: Path) -> None:
    owner.post(f"/programs/{member['program_id']}/rewards", {"name": "Cappuccino", "cost": 10})
    page = new_page(**TABLET)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{member['program_id']}/till")
    assert page.evaluate("() => document.activeElement.id") == "card"  # ready to type or scan
    keep(page, artifacts / "dashboard-till-1-start.png")
    assert_accessible(page)

    page.fill("#card", "1234")
    page.press("#card", "Enter")
    assert page.locator("#card-error").is_visible()
    keep(page, artifacts / "dashboard-till-2-unknown.png")
    assert_accessible(page)

    page.fill("#card", member["card_number"])
    page.press("#card", "Enter")
    page.wait_for_url(f"**/till/{member['card_number']}")
    assert page.evaluate("() => document.activeElement.id") == "amount"
    keep(page, artifacts / "dashboard-till-3-card.png")
    assert_accessible(page)

    page.fill("#amount", "abc")
    page.click("#till-add")
    assert page.locator("#amount-error").is_visible() and page.input_value("#amount") == "abc"
    assert_accessible(page)

    page.fill("#amount", "12,50")
    page.press("#amount", "Enter")
    page.wait_for_url("**/till")
    done = page.locator("#till-done")
    assert "+12" in done.inner_text() and "Giulia Bianchi" in done.inner_text() and "Balance 12" in done.inner_text()
    assert page.evaluate("() => document.activeElement.id") == "card"  # the next customer
    keep(page, artifacts / "dashboard-till-4-done.png")
    assert_accessible(page)

    page.click("text=Back to the card of Giulia Bianchi")
    page.wait_for_url(f"**/till/{member['card_number']}")
    assert page.locator("#till-balance").inner_text() == "12"
    page.click("form.till-reward button[value=now]")
    page.wait_for_url("**/till")
    assert "Cappuccino for Giulia Bianchi" in page.locator("#till-done").inner_text()
    keep(page, artifacts / "dashboard-till-5-reward.png")


def test_a_double_tap_on_add_credits_once(new_page: Callable[..., Page], live_server: LiveServer, owner: Api,
                                          member: dict[str, Any]) -> None:
    page = new_page(**TABLET)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{member['program_id']}/till/{member['card_number']}")
    page.fill("#amount", "20")
    page.locator("#till-add").dblclick()
    page.wait_for_url("**/till")
    assert "Balance 20" in page.locator("#till-done").inner_text()
    assert owner.get(f"/members/{member['id']}/transactions").get_json()["items"][0]["balance"] == 20
    assert len(owner.get(f"/members/{member['id']}/transactions").get_json()["items"]) == 1


def test_a_stamp_card_on_a_phone(new_page: Callable[..., Page], live_server: LiveServer, owner: Api,
                                 artifacts: Path) -> None:
    program = owner.post("/programs", {"name": "Caffè a timbri", "kind": "stamps", "stamps_required": 5,
                                       "stamp_reward": "Caffè gratis"}).get_json()
    member = owner.post(f"/programs/{program['id']}/members",
                        {"name": "Marco Verdi", "email": "marco@example.com", "consent": {"terms": True}}).get_json()
    owner.post(f"/members/{member['id']}/transactions", {"points": 4, "reason": "earlier visits"})
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/till/{member['card_number']}")
    assert page.locator("#till-balance").inner_text() == "4 of 5"
    page.click("#till-add-stamps")
    page.wait_for_url("**/till")
    assert "+1 stamp for Marco Verdi" in page.locator("#till-done").inner_text()
    page.click("text=Back to the card of Marco Verdi")
    page.wait_for_url(f"**/till/{member['card_number']}")
    keep(page, artifacts / "dashboard-till-7-stamps-phone.png")
    assert_accessible(page)
    page.click("#till-redeem-stamps-form button[value=later]")
    page.wait_for_url("**/till")
    assert "Code" in page.locator("#till-done").inner_text()
    keep(page, artifacts / "dashboard-till-8-stamps-code-phone.png")
    assert_accessible(page)


def write_y4m(path: Path, text: str, frames: int = 10) -> None:
    """A camera's view of the card's QR code, as Chromium's fake capture device reads it (I420)."""
    code = qrcode.QRCode(border=4, box_size=8)
    code.add_data(text)
    code.make(fit=True)
    picture = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    frame = Image.new("L", FRAME, 235)
    frame.paste(picture, ((FRAME[0] - picture.width) // 2, (FRAME[1] - picture.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (FRAME[0] // 2 * FRAME[1] // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture
def camera_browser(_playwright: Playwright, tmp_path: Path, member: dict[str, Any]) -> Iterator[Browser]:
    video = tmp_path / "card.y4m"
    write_y4m(video, member["card_number"])
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ])
    try:
        yield browser
    finally:
        browser.close()


def test_scanning_the_cards_qr_code_opens_the_card(camera_browser: Browser, live_server: LiveServer, owner: Api,
                                                   member: dict[str, Any], artifacts: Path) -> None:
    context = camera_browser.new_context(**TABLET, permissions=["camera"])
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        sign_in(page, live_server)
        page.goto(f"{live_server.url}/dashboard/programs/{member['program_id']}/till")
        assert page.evaluate("() => 'BarcodeDetector' in window") is False  # so the ponyfill reads it
        page.click("text=Scan the card")
        page.wait_for_url(f"**/till/{member['card_number']}")
        assert page.locator("h1").inner_text() == "Giulia Bianchi"
        keep(page, artifacts / "dashboard-till-6-scanned.png")
        assert any(url.endswith("/static/vendor/barcode-detector/ponyfill.js") for url in requested)
        assert any(url.endswith("/static/vendor/zxing-wasm/zxing_reader.wasm") for url in requested)
        assert all(url.startswith((live_server.url, "data:", "blob:")) for url in requested), requested
    finally:
        context.close()
