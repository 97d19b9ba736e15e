from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, Merchant, StaffUser


def test_init_db_is_safe_twice(runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output


def test_create_merchant_prints_its_id_and_hashes_the_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-merchant", "Forno Bianchi", "--email", "Ada@Forno.example", "--password", "pane e burro 42"])
    assert result.exit_code == 0, result.output
    merchant = db.session.scalars(select(Merchant)).one()
    assert result.output.strip() == str(merchant.id)
    staff = db.session.scalars(select(StaffUser)).one()
    assert staff.email == "ada@forno.example"
    assert staff.role == "owner"
    assert staff.password_hash.startswith("$argon2")
    assert "pane e burro" not in staff.password_hash


def test_cli_errors_are_one_line_and_non_zero(runner: FlaskCliRunner) -> None:
    cases = [
        ["create-merchant", "X", "--email", "nope", "--password", "long enough pw"],
        ["create-merchant", "X", "--email", "a@b.it", "--password", "short"],
        ["create-merchant", " ", "--email", "a@b.it", "--password", "long enough pw"],
        ["create-api-key", "--email", "ghost@nowhere.example"],
    ]
    for args in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert result.output.startswith("Error: "), result.output
    runner.invoke(args=["create-merchant", "X", "--email", "a@b.it", "--password", "long enough pw"])
    again = runner.invoke(args=["create-merchant", "Y", "--email", "a@b.it", "--password", "long enough pw"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_create_api_key_prints_the_key_last_and_stores_only_a_hash(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["create-merchant", "X", "--email", "a@b.it", "--password", "long enough pw"])
    result = runner.invoke(args=["create-api-key", "--email", "a@b.it", "--role", "cashier"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("tsk_") and len(key) > 40
    row = db.session.scalars(select(ApiKey)).one()
    assert row.role == "cashier"
    assert key not in row.key_hash
    bad_role = runner.invoke(args=["create-api-key", "--email", "a@b.it", "--role", "admin"])
    assert bad_role.exit_code == 2


def test_seed_demo_only_fills_an_empty_database(app: Flask, runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "demo login: demo@tessera.local / tessera-demo" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "nothing seeded" in second.output
    assert db.session.scalar(select(db.func.count(Merchant.id))) == 1
