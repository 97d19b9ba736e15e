"""Fixtures: a fresh app per test on SQLite and, when reachable, on PostgreSQL.

Each backend is migrated once per session with the real Alembic migrations; every test starts
from empty tables. Set REQUIRE_POSTGRES=1 to turn a missing PostgreSQL into a failure.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.migrate import upgrade
from config import TestingConfig
from tests.support.openapi_check import OpenApiRecorder

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _require(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def _postgres_url() -> Iterator[str]:
    """A fresh database for this run, dropped afterwards (or TEST_DATABASE_URL as given)."""
    given = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if given and not worker:
        yield given
        return
    # Parallel workers (pytest -n) each need a database of their own, on the given server if any.
    server = make_url(given).set(database="postgres").render_as_string(hide_password=False) if given else PG_ADMIN_URL
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{make_url(given).database}_{worker}" if given else f"tessera_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 (any failure to reach it means "not available")
        admin.dispose()
        message = f"PostgreSQL is not reachable at {make_url(server).render_as_string()}: {exc.__class__.__name__}"
        if _require("REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgresql() -> Iterator[str]:
    yield from _postgres_url()


@pytest.fixture(scope="session")
def _sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tessera.db'}"


_migrated: set[str] = set()


def make_config(database_url: str, **extra: str) -> TestingConfig:
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "PUBLIC_URL": "http://tessera.test", **extra}
    return TestingConfig(env)


def _migrate_once(url: str) -> None:
    if url in _migrated:
        return
    app = create_app(make_config(url))
    with app.app_context():
        upgrade(app)
        db.engine.dispose()
    _migrated.add(url)


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "change_counter"]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"_{request.param}"))


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    _migrate_once(database_url)
    application = create_app(make_config(database_url))
    recorder = OpenApiRecorder(application)
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    recorder.assert_clean()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Api:
    """The test client with a merchant's key attached."""

    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


def new_merchant(runner: FlaskCliRunner, name: str, email: str, role: str = "owner") -> str:
    result = runner.invoke(args=["create-merchant", name, "--email", email, "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-api-key", "--email", email, "--role", role])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def owner(client: FlaskClient, runner: FlaskCliRunner) -> Api:
    return Api(client, new_merchant(runner, "Caffè Rossi", "owner@rossi.example"))


@pytest.fixture
def program(owner: Api) -> dict[str, Any]:
    response = owner.post(
        "/programs",
        {"name": "Rossi Club", "tiers": [{"name": "Bronze", "min_points": 0}, {"name": "Gold", "min_points": 1000}]},
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


@pytest.fixture
def member(owner: Api, program: dict[str, Any]) -> dict[str, Any]:
    response = owner.post(
        f"/programs/{program['id']}/members",
        {"name": "Giulia Bianchi", "email": "giulia@example.com", "consent": {"terms": True, "marketing": False}},
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())
