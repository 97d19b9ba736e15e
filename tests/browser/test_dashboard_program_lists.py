"""The program editor's lists in Chromium, in Italian: the owner adds two tiers and removes one
with the buttons, types an Italian decimal, saves once, reloads and sees the result with the
comma kept; then adds two rewards and removes one in one save. Every scripted state passes axe-core;
without scripts, "More empty rows" and the remove boxes do the same job."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Program, Reward
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.browser.test_dashboard_first_afternoon import ITALIAN
from tests.browser.test_dashboard_programs import sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def look(page: Page, artifacts: Path, name: str) -> None:
    keep(page, artifacts / f"dashboard-lists-{name}.png")
    assert_accessible(page)


def focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.id"))


def program_row(app: Flask, program_id: int) -> Program:
    db.session.rollback()  # the live server wrote from its own thread: read from scratch
    return db.session.get_one(Program, program_id)


def test_tiers_added_and_removed_then_saved_once_in_italian(
        app: Flask, live_server: LiveServer, new_page: Callable[..., Page], program: dict[str, Any],
        artifacts: Path) -> None:
    page = new_page(**ITALIAN)
    sign_in(page, live_server)
    version = program_row(app, program["id"]).version
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/rules")
    assert page.locator("#add-tiers").is_visible() and page.locator("#more-tiers").is_hidden()
    assert page.locator("#tier-1-remove").is_hidden()  # the checkbox gives way to a button
    look(page, artifacts, "tiers-before")

    page.fill("#earn_rate", "1,5")
    page.fill("#tier-2-name", "Argento")
    page.fill("#tier-2-min_points", "500")
    page.fill("#tier-2-multiplier", "1,2")
    page.click("#add-tiers")
    assert focused(page) == "tier-4-name"  # the new row, ready to type in
    assert page.get_attribute("#tier-4-name", "aria-label") == "Nome, livello 5"
    assert page.input_value("input[name=tier_count]") == "5"
    page.fill("#tier-4-name", "Platino")
    page.fill("#tier-4-min_points", "5.000")
    page.click("#tiers-table tbody tr:nth-child(2) [data-remove-row]")  # Gold
    assert page.locator("#tier-1-name").is_hidden() and page.locator("#tier-1-remove").is_checked()
    assert focused(page) == "tier-2-name"  # the next row
    page.wait_for_function("() => document.getElementById('tiers-status').textContent.length > 0")
    look(page, artifacts, "tiers-edited")

    page.click("#save-rules")
    page.wait_for_load_state()
    assert "Regole salvate" in page.locator("body").inner_text()
    page.reload()
    names = [page.input_value(f"#tier-{i}-name") for i in range(3)]
    assert names == ["Bronze", "Argento", "Platino"]
    assert page.input_value("#tier-1-multiplier") == "1,2" and page.input_value("#earn_rate") == "1,5"
    assert page.input_value("#tier-2-min_points") == "5000"
    look(page, artifacts, "tiers-saved")

    saved = program_row(app, program["id"])
    assert [(t.name, t.min_points, t.multiplier) for t in saved.tiers] == [
        ("Bronze", 0, Decimal(1)), ("Argento", 500, Decimal("1.2")), ("Platino", 5000, Decimal(1))]
    assert saved.earn_rate == Decimal("1.5") and saved.version == version + 1


def test_rewards_added_and_removed_in_one_save(
        app: Flask, live_server: LiveServer, new_page: Callable[..., Page], program: dict[str, Any],
        artifacts: Path) -> None:
    page = new_page(**ITALIAN)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/rewards")
    page.fill("#reward-0-name", "Caffè")
    page.fill("#reward-0-cost", "100")
    page.fill("#reward-1-name", "Cornetto")
    page.fill("#reward-1-cost", "1.000")
    page.click("#add-rewards")
    assert focused(page) == "reward-2-name" and page.is_checked("#reward-2-active")
    page.fill("#reward-2-name", "Torta")
    page.fill("#reward-2-cost", "500")
    page.click("#rewards-table tbody tr:nth-child(1) [data-remove-row]")
    assert focused(page) == "reward-1-name"
    look(page, artifacts, "rewards-edited")
    page.click("#save-rewards")
    page.wait_for_load_state()
    assert "Premi salvati (aggiunti: 2, modificati: 0, rimossi: 0)." in page.locator("body").inner_text()
    assert [page.input_value(f"#reward-{i}-name") for i in range(2)] == ["Torta", "Cornetto"]
    assert page.input_value("#reward-1-cost") == "1000"
    look(page, artifacts, "rewards-saved")
    db.session.rollback()
    assert [(r.name, r.cost) for r in db.session.scalars(select(Reward).order_by(Reward.cost))] == [
        ("Torta", 500), ("Cornetto", 1000)]


def test_without_javascript_rows_come_from_the_server(
        app: Flask, live_server: LiveServer, new_page: Callable[..., Page], program: dict[str, Any],
        artifacts: Path) -> None:
    page = new_page(java_script_enabled=False, **ITALIAN)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/programs/{program['id']}/rules")
    assert page.locator("#add-tiers").is_hidden() and page.locator("#tier-1-remove").is_visible()
    page.fill("#tier-2-name", "Argento")
    page.fill("#tier-2-min_points", "500")
    page.click("#more-tiers")  # saves nothing: the page comes back with three more empty rows
    page.wait_for_load_state()
    assert page.input_value("#tier-2-name") == "Argento" and page.locator("#tier-6-name").is_visible()
    page.fill("#tier-6-name", "Platino")
    page.fill("#tier-6-min_points", "5.000")
    page.check("#tier-1-remove")
    keep(page, artifacts / "dashboard-lists-tiers-no-script.png")  # axe needs scripts: the scripted page is checked above
    assert [t.name for t in program_row(app, program["id"]).tiers] == ["Bronze", "Gold"]
    page.press("#tier-6-min_points", "Enter")  # Enter saves, though "More empty rows" comes first
    page.wait_for_load_state()
    assert "Regole salvate" in page.locator("body").inner_text()
    assert [(t.name, t.min_points) for t in program_row(app, program["id"]).tiers] == [
        ("Bronze", 0), ("Argento", 500), ("Platino", 5000)]
