"""Helpers for the account, staff and API key tests: logins, a real SMTP inbox, links in e-mails."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import StaffUser
from app.security import hash_password
from tests.enrollment.smtp import Inbox, smtp_server

PASSWORD = "correct horse battery"
OWNER = "owner@rossi.example"


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kw: Any) -> Any:
    return client.post("/dashboard/login", data={"email": email, "password": password}, **kw)


def staff(email: str) -> StaffUser:
    db.session.expire_all()  # the views committed in their own request: read afresh
    row = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    assert row is not None, email
    return row


def add_login(email: str, role: str = "cashier", of: str = OWNER, **fields: Any) -> StaffUser:
    """Another login of the merchant that `of` belongs to, with the usual password."""
    row = StaffUser(merchant_id=staff(of).merchant_id, email=email, password_hash=hash_password(PASSWORD),
                    role=role, name=fields.pop("name", email.split("@")[0].title()), **fields)
    db.session.add(row)
    db.session.commit()
    return row


@contextmanager
def mail_to_inbox(app: Flask) -> Iterator[Inbox]:
    """The app sends its e-mail to a real SMTP server on loopback for the length of the block."""
    with smtp_server() as (port, inbox):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                          MAIL_FROM="Tessera <noreply@tessera.test>")
        yield inbox


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage, kind: str) -> str:
    """The path of the /dashboard/<kind>/<token> link, checked to be the same in both parts."""
    found = re.search(rf"http://tessera\.test(/dashboard/{kind}/[A-Za-z0-9_.\-]+)", text_of(message))
    assert found, text_of(message)
    assert f'href="{found.group(0)}"' in html_of(message)
    return found.group(1)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert found, page
    return found.group(1)
