"""Signing in to the dashboard as the owner, a cashier or another merchant, for the member and
message tests."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import StaffUser
from app.security import hash_password
from tests.conftest import Api, new_merchant

PASSWORD = "correct horse battery"


def login(client: FlaskClient, email: str) -> None:
    response = client.post("/dashboard/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def add_cashier(owner_email: str = "owner@rossi.example", email: str = "cassa@rossi.example") -> str:
    owner = db.session.scalar(select(StaffUser).where(StaffUser.email == owner_email))
    assert owner is not None
    db.session.add(StaffUser(merchant_id=owner.merchant_id, email=email, password_hash=hash_password(PASSWORD),
                             role="cashier", name="Luca"))
    db.session.commit()
    return email


def other_merchant(runner: FlaskCliRunner) -> str:
    new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    return "boss@verdi.example"


def enroll(owner: Api, program_id: int, name: str, email: str, **extra: Any) -> dict[str, Any]:
    response = owner.post(f"/programs/{program_id}/members",
                          {"name": name, "email": email, "consent": {"terms": True, "marketing": True}, **extra})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())
