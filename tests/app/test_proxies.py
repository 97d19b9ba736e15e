"""TRUSTED_PROXIES: behind a reverse proxy, limits count the real client, and only then."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from config import ConfigError
from tests.conftest import make_config
from tests.enrollment.helpers import IT, fields

PROXY = {"REMOTE_ADDR": "10.1.2.3"}  # every request reaches the app from the proxy's address


@pytest.fixture
def proxied(app: Flask, database_url: str) -> Iterator[Flask]:
    """The same installation started with TRUSTED_PROXIES=1 (one proxy in front)."""
    application = create_app(make_config(database_url, TRUSTED_PROXIES="1"))
    yield application
    with application.app_context():
        db.engine.dispose()


def _join_from(client: FlaskClient, slug: str, forwarded_for: str, **overrides: str) -> Any:
    headers = {**IT, "X-Forwarded-For": forwarded_for}
    return client.post(f"/join/{slug}", data=fields(**overrides), headers=headers, environ_base=PROXY)


def test_behind_one_proxy_each_client_has_its_own_limit(proxied: Flask, program: dict[str, Any]) -> None:
    client = proxied.test_client()
    for _ in range(10):
        assert _join_from(client, program["slug"], "203.0.113.5", email="wrong").status_code == 422
    assert _join_from(client, program["slug"], "203.0.113.5").status_code == 429
    # Another customer behind the same proxy is not locked out by the first one.
    assert _join_from(client, program["slug"], "203.0.113.6").status_code == 303
    # A client sending its own X-Forwarded-For cannot pick its address: the proxy appends the
    # real one, and only that last hop is believed.
    assert _join_from(client, program["slug"], "198.51.100.9, 203.0.113.5").status_code == 429


def test_without_trusted_proxies_forwarded_headers_are_ignored(program: dict[str, Any], client: FlaskClient) -> None:
    for address in (f"203.0.113.{n}" for n in range(10)):
        assert _join_from(client, program["slug"], address, email="wrong").status_code == 422
    # Ten different claimed addresses were all the proxy's one: the next submission is limited.
    assert _join_from(client, program["slug"], "203.0.113.99").status_code == 429


def test_address_and_scheme_come_from_the_proxy_only_when_trusted(app: Flask, proxied: Flask) -> None:
    seen: dict[str, tuple[str, str | None]] = {}
    for name, application in (("trusted", proxied), ("plain", app)):
        application.add_url_rule(f"/_probe_{name}", f"probe_{name}",
                                 lambda name=name: seen.setdefault(name, (request.scheme, request.remote_addr)) and "ok")
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
        assert application.test_client().get(f"/_probe_{name}", headers=headers, environ_base=PROXY).text == "ok"
    assert seen == {"trusted": ("https", "203.0.113.5"), "plain": ("http", "10.1.2.3")}


@pytest.mark.parametrize("value", ["-1", "6", "two"])
def test_a_wrong_count_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        make_config("sqlite://", TRUSTED_PROXIES=value)
