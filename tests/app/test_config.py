from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import EXAMPLE_CERTS, ROOT, Config, ConfigError, ProductionConfig, load_config

PROD_OK = {
    "TESSERA_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PUBLIC_URL": "https://cards.example.com",
    "PASS_TYPE_IDENTIFIER": "pass.com.example.loyalty",
    "TEAM_IDENTIFIER": "ABCDE12345",
}


def test_defaults() -> None:
    config = Config({})
    assert config.SQLALCHEMY_DATABASE_URI.endswith("/instance/tessera.db")
    assert config.PUBLIC_URL == "http://127.0.0.1:5000"
    assert config.PASS_CERT_FILE == str(EXAMPLE_CERTS / "pass.pem")
    assert config.APNS_URL == "https://api.push.apple.com"
    assert not config.google_wallet_enabled


def test_port_feeds_the_public_url() -> None:
    assert Config({"PORT": "8080"}).PUBLIC_URL == "http://127.0.0.1:8080"


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    config = Config({"DATABASE_URL": "postgresql://u@db/tessera"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/tessera"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "abc"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"PUBLIC_URL": "cards.example.com"}, "PUBLIC_URL"),
        ({"PASS_CERT_FILE": "/nonexistent.pem"}, "PASS_CERT_FILE"),
        ({"APNS_AUTH": "magic"}, "APNS_AUTH"),
        ({"APNS_AUTH": "token"}, "APNS_KEY_FILE"),
        ({"APNS_URL": "ftp://apns"}, "APNS_URL"),
        ({"TESSERA_ENV": "staging"}, "TESSERA_ENV"),
    ],
)
def test_wrong_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config(env)


def test_production_refuses_unsafe_defaults() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        ProductionConfig({k: v for k, v in PROD_OK.items() if k != "SECRET_KEY"})
    with pytest.raises(ConfigError, match="PUBLIC_URL must be https"):
        ProductionConfig({**PROD_OK, "PUBLIC_URL": "http://cards.example.com"})
    with pytest.raises(ConfigError, match="example certificate"):
        ProductionConfig(PROD_OK)


def test_production_accepts_real_looking_material(tmp_path: Path) -> None:
    files = {}
    for name in ("pass.pem", "pass.key", "wwdr.pem"):
        target = tmp_path / name
        target.write_bytes((EXAMPLE_CERTS / name).read_bytes())
        files[name] = str(target)
    env = {**PROD_OK, "PASS_CERT_FILE": files["pass.pem"], "PASS_KEY_FILE": files["pass.key"],
           "WWDR_CERT_FILE": files["wwdr.pem"], "PASS_KEY_PASSWORD": "tessera-example"}
    config = ProductionConfig(env)
    assert config.SESSION_COOKIE_SECURE


def test_production_app_refuses_a_copy_of_the_example_chain(tmp_path: Path) -> None:
    """Copied elsewhere, the fake chain is still recognised by the signer, not by its path."""
    from app import create_app

    env = {**PROD_OK, "PASS_TYPE_IDENTIFIER": "pass.dev.tessera.example", "TEAM_IDENTIFIER": "TESSERA000",
           "PASS_KEY_PASSWORD": "tessera-example", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    for name, var in (("pass.pem", "PASS_CERT_FILE"), ("pass.key", "PASS_KEY_FILE"), ("wwdr.pem", "WWDR_CERT_FILE")):
        (tmp_path / name).write_bytes((EXAMPLE_CERTS / name).read_bytes())
        env[var] = str(tmp_path / name)
    with pytest.raises(ConfigError, match="example certificate"):
        create_app(ProductionConfig(env))


def test_signer_mismatch_stops_start_up(tmp_path: Path) -> None:
    from app import create_app

    env = {"PASS_TYPE_IDENTIFIER": "pass.com.other", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    with pytest.raises(ConfigError, match="pass.com.other"):
        create_app(Config(env))


def test_start_up_failure_is_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PORT": "banana", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["tessera: configuration error: PORT must be a whole number, got 'banana'"]
