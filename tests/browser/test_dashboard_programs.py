"""The program editor in Chromium: create a program, watch the card preview follow the name, the
colour and a chosen logo before saving, save, and find the logo on the saved page; every page of
the editor passes axe-core."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.extensions import db
from app.models import Program, ProgramImage
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.conftest import Api
from tests.dashboard.members_helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page


def logo_png(path: Path) -> Path:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((10, 10, 590, 190), radius=40, fill=(240, 170, 30, 255))
    image.save(path, format="PNG")
    return path


def sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/dashboard/login")
    page.fill("#email", "owner@rossi.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/(?!login).*"))


def shot(page: Page, artifacts: Path, name: str) -> None:
    keep(page, artifacts / f"dashboard-programs-{name}.png")
    assert_accessible(page)


def test_create_a_program_and_design_its_card_with_a_live_preview(
        page: Page, live_server: LiveServer, owner: Api, artifacts: Path, tmp_path: Path) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/")
    shot(page, artifacts, "empty")
    page.click("#new-program")
    page.wait_for_url("**/dashboard/programs/new")
    assert page.input_value("#organization_name") == "Caffè Rossi"
    page.fill("#name", "Rossi Club")
    assert page.input_value("#points_label") == "Points"
    page.select_option("#locale", "it")
    assert page.input_value("#points_label") == "Punti"  # untouched, it follows the card's language
    page.click("#kind-stamps")
    assert page.locator("#stamps_required").is_visible()
    page.click("#kind-points")
    assert not page.locator("#stamps_required").is_visible()
    shot(page, artifacts, "new")
    page.click("#create-program")
    page.wait_for_url(re.compile(r".*/dashboard/programs/\d+/design$"))
    program_id = int(page.url.split("/")[-2])
    shot(page, artifacts, "design")

    # The preview follows what is typed, without a reload.
    marker = page.evaluate("() => (window.__same_page = true)")
    assert page.locator("#pv-name").inner_text() == "Rossi Club"
    assert page.locator("#pv-points-label").inner_text().lower() == "punti"
    assert page.locator(".pv-front [data-label=member]").inner_text().lower() == "cliente"
    page.fill("#name", "Rossi Amici")
    assert page.locator("#pv-name").inner_text() == "Rossi Amici"
    page.fill("#background_color", "#7a1f1f")
    background = page.eval_on_selector(".pv-front", "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(122, 31, 31)"
    assert page.input_value("#background_color-picker") == "#7a1f1f"
    page.select_option("#locale", "en")
    assert page.locator(".pv-front [data-label=member]").inner_text().lower() == "member"
    page.fill("#terms", "One point per euro.")
    page.click("#preview-back-button")
    assert page.locator("#preview-back-side").is_visible() and not page.locator("#preview-front-side").is_visible()
    assert page.locator("#pv-terms").inner_text() == "One point per euro."
    page.click("#preview-front-button")

    assert page.locator("#pv-badge").is_visible() and not page.locator("#pv-logo").is_visible()
    page.set_input_files("#logo", str(logo_png(tmp_path / "logo.png")))
    page.wait_for_function("() => document.getElementById('pv-logo').naturalWidth === 600")
    assert page.locator("#pv-logo").is_visible() and not page.locator("#pv-badge").is_visible()
    assert page.locator("#pv-logo").get_attribute("src").startswith("blob:")  # type: ignore[union-attr]
    assert page.evaluate("() => window.__same_page") is marker is True
    shot(page, artifacts, "design-preview")

    page.click("#save-design")
    page.wait_for_load_state()
    assert "1 card" not in page.locator(".flash").inner_text()  # no member yet: no card to update
    assert "Saved" in page.locator(".flash").inner_text()
    assert page.locator("#current-logo").is_visible()
    assert page.locator("#pv-logo").get_attribute("src").startswith("data:image/png")  # type: ignore[union-attr]
    assert page.locator("#pv-name").inner_text() == "Rossi Amici"
    shot(page, artifacts, "design-saved")
    program = db.session.scalar(select(Program).where(Program.id == program_id))
    assert program is not None and program.name == "Rossi Amici" and program.background_color == "#7a1f1f"
    assert db.session.scalar(select(ProgramImage.width).where(ProgramImage.scale == 3)) == 450

    # Ticking "remove" shows the drawn badge again, before saving.
    page.check("#remove_logo")
    assert page.locator("#pv-badge").is_visible() and not page.locator("#pv-logo").is_visible()
    page.uncheck("#remove_logo")
    assert page.locator("#pv-logo").is_visible()
    strip = tmp_path / "strip.jpg"
    Image.new("RGB", (1500, 500), (20, 120, 90)).save(strip, format="JPEG")
    page.set_input_files("#strip", str(strip))
    assert "has-image" in (page.get_attribute("#pv-strip", "class") or "")
    assert "blob:" in page.eval_on_selector("#pv-strip", "el => el.style.backgroundImage")
    page.set_input_files("#strip", [])
    assert "has-image" not in (page.get_attribute("#pv-strip", "class") or "")

    # A bad upload: the message beside the field, the rest of the page as it was.
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    page.set_input_files("#icon", str(bad))
    page.click("#save-design")
    page.wait_for_load_state()
    assert "not a picture" in page.locator("#icon-error").inner_text()
    shot(page, artifacts, "design-error")

    page.click("#tab-rules")
    page.wait_for_url("**/rules")
    page.fill("#tier-0-name", "Oro")
    page.fill("#tier-0-min_points", "500")
    page.click("#save-rules")
    page.wait_for_load_state()
    assert page.input_value("#tier-0-name") == "Oro"
    shot(page, artifacts, "rules")

    page.click("#tab-rewards")
    page.wait_for_url("**/rewards")
    page.fill("#reward-0-name", "Caffè gratis")
    page.fill("#reward-0-cost", "100")
    page.click("#save-rewards")
    page.wait_for_load_state()
    assert page.input_value("#reward-0-name") == "Caffè gratis"
    shot(page, artifacts, "rewards")

    page.click("#tab-overview")
    page.wait_for_url(f"**/dashboard/programs/{program_id}")
    shot(page, artifacts, "overview")
    page.goto(f"{live_server.url}/dashboard/")
    assert "Rossi Amici" in page.locator(".program-list").inner_text()
    shot(page, artifacts, "list")


def test_the_preview_image_reads_smaller_than_the_original(tmp_path: Path) -> None:
    """The helper picture is a real PNG of the size the test relies on."""
    with Image.open(io.BytesIO(logo_png(tmp_path / "l.png").read_bytes())) as image:
        assert image.size == (600, 200) and image.mode == "RGBA"
