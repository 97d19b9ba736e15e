from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Card

PASS_TYPE = "pass.dev.tessera.example"


class Phone:
    """A Wallet app as Apple's web service sees it."""

    def __init__(self, client: FlaskClient, device: str = "device0001", push_token: str = "ab" * 32,
                 scheme: str = "ApplePass") -> None:
        self.client = client
        self.device = device
        self.push_token = push_token
        self.scheme = scheme
        self.tag: str | None = None

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"{self.scheme} {token}"}

    def register(self, serial: str, token: str, push_token: str | None = None) -> Any:
        return self.client.post(f"/passkit/v1/devices/{self.device}/registrations/{PASS_TYPE}/{serial}",
                                json={"pushToken": push_token or self.push_token}, headers=self._auth(token))

    def unregister(self, serial: str, token: str) -> Any:
        return self.client.delete(f"/passkit/v1/devices/{self.device}/registrations/{PASS_TYPE}/{serial}",
                                  headers=self._auth(token))

    def what_changed(self, remember: bool = True) -> Any:
        query = f"?passesUpdatedSince={self.tag}" if self.tag else ""
        response = self.client.get(f"/passkit/v1/devices/{self.device}/registrations/{PASS_TYPE}{query}")
        if remember and response.status_code == 200:
            self.tag = response.get_json()["lastUpdated"]
        return response

    def fetch(self, serial: str, token: str, since: str | None = None) -> Any:
        headers = self._auth(token)
        if since:
            headers["If-Modified-Since"] = since
        return self.client.get(f"/passkit/v1/passes/{PASS_TYPE}/{serial}", headers=headers)


@pytest.fixture
def card(member: dict[str, Any]) -> Card:
    return db.session.scalars(select(Card).where(Card.member_id == member["id"])).one()


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    return Phone(client)
