"""TIMEZONE: the dashboard shows times in the shop's zone (figures keep counting UTC days)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import ApiKey
import config as settings
from config import ConfigError
from tests.conftest import _empty_tables, _migrate_once, make_config, new_merchant
from tests.dashboard.accounts_support import OWNER, login


@pytest.fixture
def rome(database_url: str) -> Iterator[Flask]:
    _migrate_once(database_url)
    application = create_app(make_config(database_url, TIMEZONE="Europe/Rome"))
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def test_times_on_the_pages_follow_the_configured_zone(rome: Flask) -> None:
    new_merchant(rome.test_cli_runner(), "Caffè Rossi", OWNER)
    key = db.session.scalar(select(ApiKey))
    assert key is not None
    key.last_used_at = key.created_at.replace(year=2030, month=7, day=2, hour=3, minute=4)  # summer: UTC+2
    db.session.commit()
    client = rome.test_client()
    login(client, OWNER)
    assert "2030-07-02 05:04 Europe/Rome" in client.get("/dashboard/api-keys").get_data(as_text=True)


def test_an_unknown_zone_stops_start_up_with_one_line() -> None:
    with pytest.raises(ConfigError, match="TIMEZONE must be an IANA time zone"):
        settings.TestingConfig({"SECRET_KEY": "k", "TIMEZONE": "Mars/Olympus"})
