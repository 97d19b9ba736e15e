"""Development without a mail server: every e-mail is printed whole on the console."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import config as settings
from app.mail import Mail, send
from config import EXAMPLE_CERTS, ConfigError
from tests.app.test_config import PROD_OK


def test_development_prints_mail_by_default_and_testing_does_not() -> None:
    assert settings.Config({}).MAIL_CONSOLE is True
    assert settings.TestingConfig({}).MAIL_CONSOLE is False
    assert settings.Config({"MAIL_CONSOLE": "0"}).MAIL_CONSOLE is False


def test_production_refuses_printing_links_to_its_logs(tmp_path: Path) -> None:
    env = {**PROD_OK, "PASS_KEY_PASSWORD": "tessera-example"}
    for variable, name in (("PASS_CERT_FILE", "pass.pem"), ("PASS_KEY_FILE", "pass.key"), ("WWDR_CERT_FILE", "wwdr.pem")):
        env[variable] = str(tmp_path / name)
        (tmp_path / name).write_bytes((EXAMPLE_CERTS / name).read_bytes())
    assert settings.ProductionConfig(env).MAIL_CONSOLE is False
    with pytest.raises(ConfigError, match="MAIL_CONSOLE"):
        settings.ProductionConfig({**env, "MAIL_CONSOLE": "1"})


def test_the_whole_mail_goes_to_the_console(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    app.config.update(SMTP_HOST=None, MAIL_CONSOLE=True)
    sent = send(Mail(to="anna@forno.example", subject="Your card", text="Open http://x.test/p/abc\nBye",
                     html="<p>ignored</p>"))
    out = capsys.readouterr().out
    assert sent is True
    assert "To: anna@forno.example\nSubject: Your card\n\nOpen http://x.test/p/abc\nBye\n" in out
    assert "<p>" not in out


def test_without_the_console_nothing_is_printed(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    app.config.update(SMTP_HOST=None, MAIL_CONSOLE=False)
    assert send(Mail(to="anna@forno.example", subject="s", text="t", html="h")) is False
    assert capsys.readouterr().out == ""


def test_a_forgotten_password_prints_the_reset_link(app: Flask, owner: Any, client: FlaskClient,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    app.config.update(SMTP_HOST=None, MAIL_CONSOLE=True)
    client.post("/dashboard/forgot", data={"email": "owner@rossi.example"})
    out = capsys.readouterr().out
    assert "To: owner@rossi.example" in out and "http://tessera.test/dashboard/reset/" in out
