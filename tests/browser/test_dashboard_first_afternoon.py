"""A shop's first afternoon, in Chromium, from an empty database: the owner creates the shop on
the first-run page, sets up a program and uploads a logo, prints the poster, invites a cashier; a
customer joins from the QR page on a phone; the cashier types the card number and adds a purchase;
the figures change. Every page is checked with axe-core and kept as a screenshot."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, LedgerEntry, Merchant, Program, ProgramImage
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.browser.test_poster_print import pdf_page_count
from tests.enrollment.smtp import smtp_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

LAPTOP = {"width": 1280, "height": 900}
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
ITALIAN = {"locale": "it-IT", "extra_http_headers": {"Accept-Language": "it-IT,it;q=0.9"}}


def _logo(path: Path) -> Path:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 190, 190), fill=(200, 40, 40, 255))
    draw.rectangle((220, 70, 580, 130), fill=(30, 30, 30, 255))
    image.save(path)
    return path


def _look(page: Page, artifacts: Path, name: str) -> None:
    """Each page of the afternoon: accessible, and kept for people to look at."""
    keep(page, artifacts / f"afternoon-{name}.png")
    assert_accessible(page)


def _headline(page: Page, term: str) -> str:
    return page.locator("dl.headline div", has=page.locator(f"dt:text-is('{term}')")).first.locator("dd").inner_text()


def _fresh(app: Flask) -> None:
    db.session.rollback()  # the live server wrote from its own thread: read from scratch


def test_a_new_shop_serves_its_first_customer(app: Flask, live_server: LiveServer, new_page: Callable[..., Page],
                                              artifacts: Path, tmp_path: Path) -> None:
    base = live_server.url
    assert db.session.scalar(select(func.count(Merchant.id))) == 0

    # The owner, on a laptop in Italian: the empty database offers the first-run page.
    owner = new_page(viewport=LAPTOP, accept_downloads=True, **ITALIAN)
    owner.goto(f"{base}/dashboard/")
    assert "/dashboard/login" in owner.url
    assert owner.locator("html").get_attribute("lang") == "it"
    owner.click("a[href$='/dashboard/setup']")
    _look(owner, artifacts, "1-first-run")
    owner.fill("#shop", "Caffè Rossi")
    owner.fill("#name", "Marco Rossi")
    owner.fill("#email", "marco@rossi.example")
    owner.fill("#password", "una password lunga")
    owner.fill("#confirm", "una password lunga")
    owner.click("form button[type=submit]")
    owner.wait_for_url("**/dashboard/programs/new")
    _look(owner, artifacts, "2-new-program")

    owner.fill("#name", "Rossi Club")
    assert owner.input_value("#organization_name") == "Caffè Rossi"
    assert owner.input_value("#points_label") == "Punti"
    owner.click("#create-program")
    owner.wait_for_url(re.compile(r".*/dashboard/programs/\d+/design$"))
    program_id = int(re.findall(r"/programs/(\d+)/design", owner.url)[0])
    _look(owner, artifacts, "3-design")

    # The live preview follows the typing before anything is saved.
    owner.fill("#name", "Rossi Club Caffè")
    owner.wait_for_function("() => document.body.innerText.includes('Rossi Club Caffè')")
    owner.set_input_files("#logo", str(_logo(tmp_path / "logo.png")))
    owner.click("#save-design")
    owner.wait_for_selector("#current-logo")
    assert owner.eval_on_selector("#current-logo", "img => img.complete && img.naturalWidth > 0")
    _look(owner, artifacts, "4-design-saved")
    _fresh(app)
    program = db.session.get(Program, program_id)
    assert program is not None and program.name == "Rossi Club Caffè"
    logos = db.session.scalars(select(ProgramImage).where(ProgramImage.program_id == program_id,
                                                          ProgramImage.kind == "logo")).all()
    assert sorted(image.scale for image in logos) == [1, 2, 3]
    slug = program.slug

    # The poster: its page, then the printable A4 it links to.
    owner.goto(f"{base}/dashboard/programs/{program_id}/poster")
    _look(owner, artifacts, "5-poster-page")
    owner.click(f"a.button[href$='/join/{slug}/poster']")
    owner.wait_for_url(f"**/join/{slug}/poster")
    owner.emulate_media(media="print")
    assert pdf_page_count(owner.pdf(format="A4", print_background=True)) == 1
    owner.emulate_media(media="screen")
    _look(owner, artifacts, "6-poster")

    owner.goto(f"{base}/dashboard/programs/{program_id}/figures")
    _look(owner, artifacts, "7-figures-before")
    assert _headline(owner, "Nuovi clienti") == "0"

    # A customer scans the poster with a phone and joins.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, **ITALIAN)
    phone.goto(f"{base}/join/{slug}")
    _look(phone, artifacts, "8-join")
    phone.fill("#name", "Giulia Bianchi")
    phone.fill("#email", "giulia@example.com")
    phone.check("#terms")
    phone.click("button[type=submit]")
    phone.wait_for_selector("a[href*='.pkpass']")
    _look(phone, artifacts, "9-card")
    _fresh(app)
    card = db.session.scalar(select(Card).where(Card.program_id == program_id))
    assert card is not None

    # The owner invites a cashier, who follows the e-mailed link on the till's tablet.
    with smtp_server() as (port, inbox):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                          MAIL_FROM="Tessera <tessera@rossi.example>")
        owner.goto(f"{base}/dashboard/staff")
        _look(owner, artifacts, "10-staff")
        invite = owner.locator("form[action$='/dashboard/staff']")
        invite.locator("#email").fill("anna@rossi.example")
        invite.locator("#name").fill("Anna")
        invite.locator("#role").select_option("cashier")
        invite.locator("button[type=submit]").click()
        owner.wait_for_load_state()
        recipients, mail = inbox.next(timeout=10)
    assert recipients == ["anna@rossi.example"]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    link = re.search(r"https?://\S+/dashboard/invite/\S+", body.get_content())
    assert link, body.get_content()

    till = new_page(viewport=TABLET, **ITALIAN)
    till.goto(link.group(0))
    _look(till, artifacts, "11-invitation")
    till.fill("#password", "cassa sempre aperta")
    till.fill("#confirm", "cassa sempre aperta")
    till.click("form button[type=submit]")
    till.wait_for_url(f"**/dashboard/programs/{program_id}/till")
    _look(till, artifacts, "12-till")

    # The customer shows the card; the camera is not used here: the cashier types the number.
    till.fill("#card", card.card_number)
    till.click("#till-open")
    till.wait_for_url(f"**/till/{card.card_number}")
    _look(till, artifacts, "13-till-card")
    till.fill("#amount", "12,50")
    till.click("#till-add")
    till.wait_for_selector("#till-done")
    assert "12" in till.locator("#till-done").inner_text()
    _look(till, artifacts, "14-till-done")
    _fresh(app)
    assert db.session.scalar(select(func.sum(LedgerEntry.points)).where(LedgerEntry.member_id == card.member_id)) == 12

    # A cashier serves the till and nothing else.
    response = till.goto(f"{base}/dashboard/programs/{program_id}/figures")
    assert response is not None and response.status == 403

    # The figures have moved.
    owner.goto(f"{base}/dashboard/programs/{program_id}/figures")
    assert _headline(owner, "Nuovi clienti") == "1"
    assert _headline(owner, "Clienti attivi") == "1"
    issued = owner.locator("dl.headline.small div", has=owner.locator("dt:text-is('Punti assegnati')")).locator("dd")
    assert issued.inner_text() == "12"
    _look(owner, artifacts, "15-figures-after")
