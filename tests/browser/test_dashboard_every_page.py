"""Every dashboard page, found from the app's own routes, opened in Chromium in English and in
Italian and checked with axe-core: a page added later is checked without anyone listing it."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from app.dashboard.account_tokens import INVITE_SALT, RESET_SALT, make_token
from app.extensions import db
from app.loyalty.members_csv_runs import run_import, start_import
from app.models import Location, Program, StaffUser
from app.models._common import utcnow
from app.security import hash_password
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.conftest import Api

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "correct horse battery"
# Pages that are files or data, not HTML: downloaded, never rendered.
NOT_PAGES = {"dashboard.export_member_data", "dashboard.members_csv", "dashboard.message_recipients"}
# Only reachable while the database has no merchant; the first-afternoon test covers it.
EMPTY_DATABASE_ONLY = {"dashboard.setup"}


@pytest.fixture
def database_url(_sqlite: str) -> str:
    """Markup does not depend on the database: one is enough here (and halves the time)."""
    return _sqlite


def _world(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """One of everything a page can show: a purchase, a reward, a location, a message, an invitee."""
    pid = program["id"]
    assert owner.post(f"/members/{member['id']}/transactions",
                      {"amount": "25.00", "idempotency_key": "every-page-1"}).status_code == 201
    reward = owner.post(f"/programs/{pid}/rewards", {"name": "Caffè omaggio", "cost": 10})
    assert reward.status_code == 201, reward.get_json()
    sent = owner.post(f"/programs/{pid}/messages", {"text": "Doppi punti sabato"})
    assert sent.status_code in (200, 201, 202), sent.get_json()
    merchant_id = db.session.scalar(select(StaffUser.merchant_id).where(StaffUser.email == "owner@rossi.example"))
    db.session.add(Location(program_id=pid, name="Vetrina", code="vetrina"))
    invitee = StaffUser(merchant_id=merchant_id, email="new@rossi.example", name="", role="cashier",
                        password_hash=hash_password("not yet chosen, unusable"), invited_at=utcnow())
    db.session.add(invitee)
    db.session.commit()
    owner_login = db.session.scalar(select(StaffUser).where(StaffUser.email == "owner@rossi.example"))
    assert owner_login is not None
    upload = start_import(db.session.get_one(Program, pid), owner_login.id, "members.csv",
                          b"name,email\nAnna Rossi,anna@example.com\nBad Row,bad-address\n")
    db.session.commit()
    run_import(upload.id)  # finished, with a refused row to show
    return {
        "import_id": upload.id,
        "program_id": pid, "member_id": member["id"], "card_number": member["card_number"],
        "reward_id": reward.get_json()["id"],
        "invite": make_token(invitee, INVITE_SALT), "reset": make_token(owner_login, RESET_SALT),
    }


def _argument(world: dict[str, Any], endpoint: str, name: str) -> Any:
    if name == "token":
        return world["invite"] if endpoint == "dashboard.accept_invite" else world["reset"]
    return world[name]


def _pages(app: Flask, world: dict[str, Any]) -> list[tuple[str, str]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard.") or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint in NOT_PAGES | EMPTY_DATABASE_ONLY:
            continue
        args = {name: _argument(world, rule.endpoint, name) for name in rule.arguments}
        with app.test_request_context():
            pages.append((rule.endpoint, url_for(rule.endpoint, **args)))
    return sorted(pages)


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/dashboard/login")
    page.fill("#email", "owner@rossi.example")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/dashboard/")


@pytest.mark.parametrize("language", ["en", "it"])
def test_every_dashboard_page_is_accessible(app: Flask, live_server: LiveServer, new_page: Callable[..., Page],
                                            owner: Api, program: dict[str, Any], member: dict[str, Any],
                                            artifacts: Path, language: str) -> None:
    world = _world(owner, program, member)
    pages = _pages(app, world)
    assert len(pages) >= 20, pages  # the routes were read: every area is there
    signed_out = {"dashboard.login", "dashboard.forgot", "dashboard.reset", "dashboard.accept_invite"}
    visitor = new_page(viewport={"width": 1280, "height": 900}, locale=language,
                       extra_http_headers={"Accept-Language": language})
    staff = new_page(viewport={"width": 1024, "height": 768}, locale=language,
                     extra_http_headers={"Accept-Language": language})
    _sign_in(staff, live_server.url)
    checked = []
    for endpoint, path in pages:
        tab = visitor if endpoint in signed_out else staff
        response = tab.goto(live_server.url + path)
        assert response is not None and response.status == 200, (endpoint, path, response and response.status)
        assert tab.locator("html").get_attribute("lang") == language, (endpoint, path)
        assert_accessible(tab)
        checked.append(endpoint)
    assert len(checked) == len(pages)
