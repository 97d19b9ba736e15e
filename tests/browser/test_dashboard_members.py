"""Members and messages in Chromium: find a member, adjust their points, write a message and
watch the recipient count follow the segment; every page passes axe-core."""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, SentMessage
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.conftest import Api
from tests.dashboard.members_helpers import PASSWORD, enroll

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/dashboard/login")
    page.fill("#email", "owner@rossi.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/(?!login).*"))


def test_find_a_member_adjust_points_and_message_a_tier(page: Page, live_server: LiveServer, owner: Api,
                                                        program: dict[str, Any], artifacts: Path) -> None:
    pid = program["id"]
    giulia = enroll(owner, pid, "Giulia Bianchi", "giulia@example.com", phone="+39 333 1234567")
    enroll(owner, pid, "Marco Neri", "marco@example.com")
    owner.post(f"/members/{giulia['id']}/transactions", {"points": 1500, "reason": "Welcome"})
    _sign_in(page, live_server)

    page.goto(f"{live_server.url}/dashboard/programs/{pid}/members")
    page.fill("#q", "bianchi")
    page.click("form[role=search] button[type=submit]")
    rows = page.locator("#members-table tbody tr")
    assert rows.count() == 1 and "Giulia Bianchi" in rows.first.inner_text()
    keep(page, artifacts / "dashboard-members-search.png")
    assert_accessible(page)

    page.click("#members-table a:has-text('Giulia Bianchi')")
    page.wait_for_url(f"**/dashboard/members/{giulia['id']}")
    assert page.locator("#balance").inner_text() == "1,500"
    page.fill("#points", "-2000")
    page.fill("#reason", "Broken cup")
    page.click("#adjust-form button[type=submit]")
    assert page.locator("#points-error").inner_text().startswith("The balance is 1,500")
    assert page.locator("#points").get_attribute("aria-invalid") == "true"
    keep(page, artifacts / "dashboard-members-adjust-error.png")
    assert_accessible(page)
    page.fill("#points", "-200")
    page.click("#adjust-form button[type=submit]")
    page.wait_for_url(f"**/dashboard/members/{giulia['id']}")
    assert page.locator("#balance").inner_text() == "1,300"
    assert "Broken cup" in page.locator("#ledger").inner_text()
    keep(page, artifacts / "dashboard-members-member.png")
    assert_accessible(page)
    assert db.session.scalar(select(LedgerEntry.points).where(LedgerEntry.kind == "adjust")) == -200

    page.click("#erase")
    page.wait_for_url(f"**/dashboard/members/{giulia['id']}/erase")
    keep(page, artifacts / "dashboard-members-erase.png")
    assert_accessible(page)

    page.goto(f"{live_server.url}/dashboard/programs/{pid}/messages")
    recipients = page.locator("#recipients")
    page.wait_for_function("document.getElementById('recipients').dataset.count === '2'")
    assert page.locator("#tier-field").is_hidden() and page.locator("#days-field").is_hidden()
    page.select_option("#type", "tier")
    page.select_option("#tier", "Gold")
    page.wait_for_function("document.getElementById('recipients').dataset.count === '1'")
    assert recipients.inner_text() == "This message will reach 1 member."
    page.fill("#text", "Gold evening on Friday")
    assert page.locator("#preview-text").inner_text() == "Gold evening on Friday"
    keep(page, artifacts / "dashboard-messages-compose.png")
    assert_accessible(page)

    page.click("#preview-button")
    page.wait_for_selector("#send-button")
    assert page.locator("#send-button").inner_text() == "Send to 1 member"
    page.click("#send-button")
    page.wait_for_selector(".flash")
    assert "Message sent to 1 member" in page.locator(".flash").inner_text()
    assert "Gold evening on Friday" in page.locator("#sent-messages").inner_text()
    keep(page, artifacts / "dashboard-messages-sent.png")
    assert_accessible(page)
    record = db.session.scalar(select(SentMessage))
    assert record is not None and record.recipients == 1
