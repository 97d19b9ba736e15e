"""The QR poster in Chromium: it loads whole, prints on exactly one A4 page, and its code scans."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zxingcpp
from PIL import Image

from tests.browser.conftest import LiveServer, keep

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

# A4 at CSS's 96 px per inch: 210 × 297 mm.
A4_VIEWPORT: ViewportSize = {"width": 794, "height": 1123}


def pdf_page_count(pdf: bytes) -> int:
    """Page objects in Chromium's PDF (Skia writes them uncompressed, one `/Type /Page` each)."""
    assert pdf.startswith(b"%PDF-"), pdf[:16]
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def loaded_width(page: Page, selector: str) -> int:
    return int(page.eval_on_selector(selector, "img => img.complete ? img.naturalWidth : 0"))


def test_poster_loads_prints_on_one_a4_page_and_scans(
    page: Page, live_server: LiveServer, program: dict[str, Any], artifacts: Path
) -> None:
    join_link = f"{live_server.url}/join/{program['slug']}"
    page.set_viewport_size(A4_VIEWPORT)
    response = page.goto(f"{join_link}/poster")
    assert response is not None and response.status == 200

    assert loaded_width(page, "#qr") > 0
    assert loaded_width(page, ".shop img") > 0
    assert page.locator("h1").inner_text() == "Caffè Rossi"
    assert page.locator(".link a").inner_text() == join_link.removeprefix("http://")
    assert page.locator(".link a").get_attribute("href") == join_link
    assert "Inquadra il codice" in page.locator(".invitation").inner_text()

    page.emulate_media(media="print")
    assert not page.locator(".toolbar").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf_page_count(pdf) == 1

    screenshot = keep(page, artifacts / "poster.png")
    # The poster as a phone's camera sees it: the code in the picture opens the join page.
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(screenshot)))
    assert [result.text for result in decoded] == [join_link]


def test_pdf_page_count_sees_every_page(page: Page) -> None:
    """The page counter itself: two forced pages must count as two, or one-page proves nothing."""
    page.set_content('<p>one</p><p style="break-before: page">two</p>')
    assert pdf_page_count(page.pdf(format="A4")) == 2
