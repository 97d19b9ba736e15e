"""The shop's images in Chromium: a 3:1 logo uploaded from the design tab is drawn 3:1 on the
poster, the join page and the card page, and every icon the pages name loads, none is a 404."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from tests.browser.conftest import LiveServer, keep
from tests.browser.test_dashboard_programs import sign_in
from tests.conftest import Api

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "locale": "en-GB"}


def wide_logo(path: Path) -> Path:
    """600×200, with a mark in each corner: a squashed or cropped drawing would show."""
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, 599, 199), radius=30, fill=(30, 120, 200, 255))
    for x, y in ((20, 20), (540, 20), (20, 140), (540, 140)):
        pen.ellipse((x, y, x + 40, y + 40), fill=(250, 200, 40, 255))
    image.save(path, format="PNG")
    return path


def square_icon(path: Path) -> Path:
    Image.new("RGB", (200, 200), (200, 40, 60)).save(path, format="PNG")
    return path


def upload_from_the_design_tab(page: Page, live_server: LiveServer, program_id: int, tmp_path: Path) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program_id}/design")
    page.set_input_files("#logo", str(wide_logo(tmp_path / "logo.png")))
    page.set_input_files("#icon", str(square_icon(tmp_path / "icon.png")))
    page.click("#save-design")
    page.wait_for_load_state()
    assert "Saved" in page.locator(".flash").inner_text()


def watch_misses(page: Page) -> list[str]:
    """Every answer of 400 or more the page receives, as it arrives."""
    misses: list[str] = []

    def record(response: Response) -> None:
        if response.status >= 400:
            misses.append(f"{response.status} {response.url}")

    page.on("response", record)
    return misses


def rendered_ratio(page: Page, selector: str) -> float:
    page.wait_for_function(f"() => document.querySelector({selector!r}).complete")
    box = page.locator(selector).bounding_box()
    assert box is not None and box["height"] > 0
    return box["width"] / box["height"]


def fetch_icons(page: Page) -> list[dict[str, Any]]:
    """Each icon the page's head names, and /favicon.ico that browsers ask for on their own,
    fetched by the page itself: their status and type."""
    return list(page.evaluate("""async () => {
        const hrefs = [...document.querySelectorAll('link[rel~=icon], link[rel=apple-touch-icon]')].map(l => l.href);
        hrefs.push(new URL('/favicon.ico', location.href).href);
        return Promise.all(hrefs.map(async href => {
            const answer = await fetch(href);
            return {href, status: answer.status, type: answer.headers.get('content-type')};
        }));
    }"""))


def assert_icons_load(page: Page, shop_icon: bool) -> None:
    icons = fetch_icons(page)
    assert all(icon["status"] == 200 and icon["type"].startswith("image/") for icon in icons), icons
    assert any("/icon.png" in icon["href"] for icon in icons) is shop_icon, icons


def test_a_wide_logo_keeps_its_proportions_on_the_poster_and_the_join_and_card_pages(
    page: Page, new_page: Callable[..., Page], live_server: LiveServer, owner: Api,
    program: dict[str, Any], artifacts: Path, tmp_path: Path,
) -> None:
    upload_from_the_design_tab(page, live_server, program["id"], tmp_path)
    join_link = f"{live_server.url}/join/{program['slug']}"

    poster = new_page(viewport={"width": 794, "height": 1123})
    misses = watch_misses(poster)
    assert (answer := poster.goto(f"{join_link}/poster")) is not None and answer.status == 200
    assert abs(rendered_ratio(poster, ".shop img") / 3 - 1) < 0.02
    assert_icons_load(poster, shop_icon=True)
    keep(poster, artifacts / "shop-images-poster.png")

    phone = new_page(**PHONE)
    misses += watch_misses(phone)
    assert (answer := phone.goto(join_link)) is not None and answer.status == 200
    assert abs(rendered_ratio(phone, "header img") / 3 - 1) < 0.02
    assert_icons_load(phone, shop_icon=True)
    keep(phone, artifacts / "shop-images-join.png")

    phone.fill("#name", "Anna Neri")
    phone.fill("#email", "anna@example.com")
    phone.check("#terms")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/card/.*"))
    assert abs(rendered_ratio(phone, "header img") / 3 - 1) < 0.02
    assert_icons_load(phone, shop_icon=True)
    keep(phone, artifacts / "shop-images-card.png")
    assert misses == []


def test_the_dashboard_and_an_error_page_load_tesseras_icon(
    page: Page, live_server: LiveServer, owner: Api, artifacts: Path
) -> None:
    misses = watch_misses(page)
    page.goto(f"{live_server.url}/dashboard/login")
    assert_icons_load(page, shop_icon=False)
    assert misses == []
    page.goto(f"{live_server.url}/no-such-page")
    assert_icons_load(page, shop_icon=False)
    assert misses == [f"404 {live_server.url}/no-such-page"]  # the page asked for, not its icons
