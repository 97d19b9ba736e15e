"""A shop with two programs in a real browser: the switcher in the top bar moves the till and the
members pages to the other program (their links and headings follow it), a card of the other
program at the till switches it and says so, and the choice survives signing out."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.browser.test_dashboard_till import TABLET, sign_in
from tests.conftest import Api
from tests.dashboard.accounts_support import add_login

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _nav_link(page: Page, label: str) -> str:
    return str(page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)
               .get_attribute("href"))


def _switch_to(page: Page, name: str) -> None:
    page.get_by_label("Program", exact=True).select_option(label=name)
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()


def test_the_till_and_members_follow_the_chosen_program(new_page: Callable[..., Page], live_server: LiveServer,
                                                        owner: Api, member: dict[str, Any], artifacts: Path) -> None:
    rossi = member["program_id"]
    gelato = owner.post("/programs", {"name": "Gelateria Club"}).get_json()["id"]
    add_login("cassa@rossi.example")
    page = new_page(**TABLET)
    sign_in(page, live_server, "cassa@rossi.example")
    page.wait_for_url(f"**/programs/{rossi}/till")
    assert page.get_by_role("heading", level=1).inner_text() == "Till Rossi Club"

    _switch_to(page, "Gelateria Club")
    page.wait_for_url(f"**/programs/{gelato}/till")
    assert page.get_by_role("heading", level=1).inner_text() == "Till Gelateria Club"
    assert _nav_link(page, "Till") == f"/dashboard/programs/{gelato}/till"
    assert _nav_link(page, "Members") == f"/dashboard/programs/{gelato}/members"
    keep(page, artifacts / "dashboard-programs-1-till-switched.png")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.wait_for_url(f"**/programs/{gelato}/members")
    assert page.get_by_role("heading", level=1).inner_text() == "Members of Gelateria Club"
    keep(page, artifacts / "dashboard-programs-2-members.png")

    _switch_to(page, "Rossi Club")  # from Members of one program to Members of the other
    page.wait_for_url(f"**/programs/{rossi}/members")
    assert page.get_by_role("heading", level=1).inner_text() == "Members of Rossi Club"
    assert "Giulia Bianchi" in page.locator("main").inner_text()
    keep(page, artifacts / "dashboard-programs-3-members-switched.png")
    assert_accessible(page)

    # Keyboard only: the switcher is reached with Tab and chosen with the arrow keys and Enter.
    page.get_by_label("Program", exact=True).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/programs/{gelato}/members")

    page.goto(f"{live_server.url}/dashboard/programs/{gelato}/till")
    page.fill("#card", member["card_number"])
    page.press("#card", "Enter")
    page.wait_for_url(f"**/programs/{rossi}/till/{member['card_number']}")
    notice = page.get_by_role("status").filter(has_text="the till has switched")
    assert notice.inner_text() == "This card belongs to another program, so the till has switched to it: Rossi Club."
    keep(page, artifacts / "dashboard-programs-4-card-of-the-other-program.png")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "cassa@rossi.example")
    page.wait_for_url(f"**/programs/{rossi}/till")  # the till of the program chosen last
    assert page.get_by_label("Program", exact=True).input_value() == str(rossi)
