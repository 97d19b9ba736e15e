"""The account pages in Chromium: first run from an empty database, staff, API keys, profile,
sign-in and the forgotten password, each one screenshotted and checked with axe-core."""
from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, keep
from tests.dashboard.accounts_support import mail_to_inbox

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "correct horse battery"


def _shot(page: Page, artifacts: Path, name: str) -> None:
    keep(page, artifacts / f"dashboard-accounts-{name}.png")
    assert_accessible(page)


def _first_run(page: Page, base: str, artifacts: Path) -> None:
    page.goto(f"{base}/dashboard/")
    assert page.url.startswith(f"{base}/dashboard/login")
    _shot(page, artifacts, "login-first-run")
    page.get_by_role("link", name="Set up your shop").click()
    page.get_by_role("heading", name="Set up your shop").wait_for()
    page.get_by_label("Shop name").fill("Forno Bianchi")
    page.get_by_label("Your name").fill("Anna Bianchi")
    page.get_by_label("E-mail").fill("anna@forno.example")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Create the shop").click()
    assert page.locator("#password-error").is_visible()  # told beside the field, input kept
    assert page.get_by_label("Shop name").input_value() == "Forno Bianchi"
    _shot(page, artifacts, "setup")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the shop").click()
    page.wait_for_url(re.compile(r".*/dashboard/(programs/new|)$"))
    assert page.get_by_role("link", name="Anna Bianchi").is_visible()  # the top bar's profile link


def test_the_account_pages_from_an_empty_database(app: Flask, live_server: LiveServer,
                                                  new_page: Callable[..., Page], artifacts: Path) -> None:
    base = live_server.url
    page = new_page(viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    _first_run(page, base, artifacts)

    page.goto(f"{base}/dashboard/staff")
    page.get_by_label("E-mail").fill("luca@forno.example")
    page.get_by_label("Name", exact=True).fill("Luca Verdi")
    page.get_by_label("Role", exact=True).select_option("cashier")
    with mail_to_inbox(app) as inbox:
        page.get_by_role("button", name="Send the invitation").click()
        page.get_by_text("Invitation sent to luca@forno.example").wait_for()
        invitation = inbox.next()[1]
    assert "Forno Bianchi" in invitation["Subject"]
    _shot(page, artifacts, "staff")
    _accept(new_page(), link_of(invitation, "invite"), artifacts)
    page.reload()
    assert "active" in page.locator("tr", has_text="luca@forno.example").inner_text()

    page.goto(f"{base}/dashboard/api-keys")
    page.get_by_label("Label").fill("Till app")
    page.get_by_role("button", name="Create the key").click()
    key = page.get_by_label("The new API key").input_value()
    assert key.startswith("tsk_")
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == key
    _shot(page, artifacts, "api-key-created")
    page.get_by_role("link", name="I have stored it: back to the keys").click()
    assert key not in page.content()
    _shot(page, artifacts, "api-keys")
    _revoke(page)

    page.get_by_role("link", name="Anna Bianchi").click()
    page.get_by_role("heading", name="Your profile").wait_for()
    _shot(page, artifacts, "profile")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("E-mail").fill("anna@forno.example")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("The e-mail or the password is not right.").wait_for()
    _shot(page, artifacts, "login-error")

    page.get_by_role("link", name="Forgot your password?").click()
    _shot(page, artifacts, "forgot")
    page.get_by_label("E-mail").fill("anna@forno.example")
    with mail_to_inbox(app) as inbox:
        page.get_by_role("button", name="Send the link").click()
        page.get_by_role("heading", name="Check your e-mail").wait_for()
        reset = link_of(inbox.next()[1], "reset")
    _shot(page, artifacts, "forgot-sent")

    page.goto(reset)
    _shot(page, artifacts, "reset")
    page.get_by_label("New password", exact=True).fill("a brand new secret")
    page.get_by_label("New password again").fill("a brand new secret")
    page.get_by_role("button", name="Save and sign in").click()
    page.get_by_text("Your new password is set. You are signed in.").wait_for()
    page.goto(reset)  # a second time: used up
    page.get_by_role("heading", name="This link cannot be used").wait_for()
    _shot(page, artifacts, "bad-link")


def _revoke(page: Page) -> None:
    """Revoking asks first: dismissed, nothing happens; accepted, the key is revoked."""
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Revoke Till app").click()
    assert page.get_by_text("working").is_visible()
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Revoke Till app").click()
    page.get_by_text("The key “Till app” is revoked: it no longer works.").wait_for()
    assert questions and all("cannot be undone" in q for q in questions) and len(questions) == 2


def link_of(message: EmailMessage, kind: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"http://127\.0\.0\.1:\d+/dashboard/{kind}/\S+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def _accept(page: Page, link: str, artifacts: Path) -> None:
    """The invitee opens the e-mail's link in their own browser and chooses a password."""
    page.goto(link)
    page.get_by_role("heading", name="Accept the invitation").wait_for()
    assert page.get_by_label("Your name").input_value() == "Luca Verdi"
    _shot(page, artifacts, "invite")
    page.get_by_label("New password", exact=True).fill("luca's own secret")
    page.get_by_label("New password again").fill("luca's own secret")
    page.get_by_role("button", name="Save and sign in").click()
    page.get_by_text("Welcome, Luca Verdi. You are signed in to Forno Bianchi.").wait_for()
    assert page.get_by_role("link", name="Luca Verdi").is_visible()
