"""Webhooks never reach into the operator's network: private, loopback, link-local... hosts are
refused when registered or changed, and every delivery checks the address it connects to (a
name re-pointed after registration included). Real resolver, real servers on loopback."""
from __future__ import annotations

import logging
import shutil
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxJob, PushAttempt, WebhookEndpoint
from app.wallet.worker import PushWorker
from app.webhooks.addresses import non_public_reason
from app.webhooks.delivery import WebhookSender
import config
from config import EXAMPLE_CERTS, Config, ConfigError, ProductionConfig
from tests.conftest import Api
from tests.wallet.test_webhooks import HookServer, hook, subscribe  # noqa: F401 (hook is a fixture)

REFUSED = [
    ("https://127.0.0.1/x", "loopback"),
    ("https://localhost:8443/x", "localhost resolves to 127.0.0.1, a loopback"),
    ("http://[::1]:8080/x", "loopback"),
    ("https://2130706433/x", "resolves to 127.0.0.1"),  # 127.0.0.1 written as one number
    ("https://10.0.0.5/hooks", "private"),
    ("https://172.16.3.4/x", "private"),
    ("https://192.168.1.10/x", "private"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/x", "link-local"),
    ("https://100.64.0.1/x", "CGNAT"),
    ("https://[fd00::5]/x", "unique-local"),
    ("https://[::ffff:127.0.0.1]/x", "loopback"),
    ("https://[::ffff:10.0.0.5]/x", "private"),
    ("https://224.0.0.1/x", "multicast"),
    ("https://0.0.0.0/x", "unspecified"),
    ("https://240.0.0.1/x", "reserved"),
]


@pytest.fixture
def refusing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The production rule (WEBHOOK_ALLOW_PRIVATE off) in a test app."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)


def _endpoints() -> int:
    return int(db.session.scalar(select(func.count(WebhookEndpoint.id))) or 0)


# Registration and changes.

@pytest.mark.parametrize("url, why", REFUSED)
def test_a_non_public_host_is_refused(refusing: None, owner: Api, url: str, why: str) -> None:
    response = owner.post("/webhooks", {"url": url, "events": ["member.enrolled"]})
    assert response.status_code == 422, url
    error = response.get_json()["error"]
    assert error["message"].startswith("url") and why in error["message"], error
    assert "public addresses" in error["message"]
    assert _endpoints() == 0, "nothing is stored"


def test_public_and_not_yet_resolvable_hosts_are_accepted(refusing: None, owner: Api) -> None:
    for url in ("https://93.184.216.34/hooks", "https://[2606:2800:220:1::1]/hooks", "https://[::ffff:8.8.8.8]/x",
                "https://hooks.invalid/tessera"):  # .invalid never resolves: checked again at each delivery
        response = owner.post("/webhooks", {"url": url, "events": ["member.enrolled"]})
        assert response.status_code == 201, (url, response.get_json())


def test_private_hosts_are_allowed_when_the_setting_is_on(app: Flask, owner: Api) -> None:
    assert app.config["WEBHOOK_ALLOW_PRIVATE"] is True, "the test configuration allows them"
    for url in ("https://10.0.0.5/hooks", "http://localhost:8080/x", "https://169.254.169.254/x"):
        assert owner.post("/webhooks", {"url": url, "events": ["member.enrolled"]}).status_code == 201, url


def test_changing_the_url_to_a_private_host_is_refused(app: Flask, owner: Api,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = subscribe(owner, "https://93.184.216.34/hooks", ["member.enrolled"])
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    refused = owner.patch(f"/webhooks/{endpoint['id']}", {"url": "https://localhost/x", "active": False})
    assert refused.status_code == 422
    assert "url" in refused.get_json()["error"]["message"] and "loopback" in refused.get_json()["error"]["message"]
    db.session.expire_all()
    stored = db.session.get_one(WebhookEndpoint, endpoint["id"])
    assert (stored.url, stored.active) == ("https://93.184.216.34/hooks", True), "nothing half-changed"


def test_what_counts_as_public() -> None:
    assert non_public_reason("64:ff9b::10.0.0.1") == "private", "NAT64 carries the IPv4 address it embeds"
    assert non_public_reason("2002:0a00:0001::1") == "private", "so does 6to4"
    assert non_public_reason("fe80::1%eth0") == "link-local"
    for public in ("8.8.8.8", "93.184.216.34", "2606:2800:220:1::1", "64:ff9b::8.8.8.8"):
        assert non_public_reason(public) is None, public


# Deliveries: the address actually connected to is checked.

def _run_once(app: Flask, sender: WebhookSender | None = None) -> int:
    worker = PushWorker(app, webhooks=sender or WebhookSender(backoff=lambda attempt: 60.0))
    try:
        return worker.run_once()
    finally:
        worker.close()


def _jobs() -> list[tuple[str, int, str | None]]:
    db.session.expire_all()
    rows = db.session.execute(select(OutboxJob.status, OutboxJob.attempts, OutboxJob.last_error)
                              .where(OutboxJob.kind == "webhook").order_by(OutboxJob.id)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_a_name_re_pointed_to_loopback_gets_nothing(app: Flask, hook: HookServer, owner: Api, member: dict[str, Any],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Registered while allowed, then the rule applies at delivery: as if its DNS changed."""
    url = hook.url.replace("127.0.0.1", "localhost")
    endpoint = subscribe(owner, url, ["transaction.created"])
    for points in (1, 2):
        owner.post(f"/members/{member['id']}/transactions", {"points": points})
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    with caplog.at_level(logging.DEBUG):
        assert _run_once(app) == 2
    assert not hook.wait_for(1, timeout=0.3), "no request reached the server"
    reason = "localhost refused: localhost resolves to 127.0.0.1, a loopback address"
    assert _jobs() == [("failed", 1, reason)] * 2, "failed at once, never retried, both in the same batch"
    attempts = db.session.execute(select(PushAttempt.outcome, PushAttempt.reason)).all()
    assert [(a[0], a[1]) for a in attempts] == [("failed", reason[:64])] * 2
    assert endpoint["secret"] not in caplog.text
    listed = owner.get("/webhooks").get_json()["items"]
    assert listed[0]["deliveries"] == {"pending": 0, "failed": 2}


def test_an_ip_literal_stored_before_the_rule_is_refused_at_delivery(app: Flask, hook: HookServer, owner: Api,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = subscribe(owner, hook.url, ["member.enrolled"])
    owner.post(f"/webhooks/{endpoint['id']}/test")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    assert _run_once(app) == 1
    assert not hook.wait_for(1, timeout=0.3)
    assert _jobs() == [("failed", 1, "127.0.0.1 refused: 127.0.0.1, a loopback address")]


def test_allowed_deliveries_keep_the_name_in_the_host_header(app: Flask, hook: HookServer, owner: Api) -> None:
    url = hook.url.replace("127.0.0.1", "localhost")
    endpoint = subscribe(owner, url, ["member.enrolled"])
    owner.post(f"/webhooks/{endpoint['id']}/test")
    assert _run_once(app) == 1
    assert hook.wait_for(1)
    assert hook.received[0].headers["Host"] == url.split("/")[2]
    assert _jobs() == []


def _mint_localhost_only(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name `localhost` only (no IP address in it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "localhost.pem", folder / "localhost.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_hook(tmp_path: Path) -> Iterator[tuple[HookServer, Path, list[str | None]]]:
    cert_file, key_file = _mint_localhost_only(tmp_path)
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)

    def remember(connection: Any, name: str | None, ctx: ssl.SSLContext) -> None:
        names.append(name)

    context.sni_callback = remember
    server = HookServer()
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    with server:
        yield server, cert_file, names


def test_tls_is_checked_against_the_name_not_the_address(app: Flask, owner: Api,
                                                         tls_hook: tuple[HookServer, Path, list[str | None]]) -> None:
    server, ca_file, names = tls_hook
    port = server.server.server_address[1]
    by_name = subscribe(owner, f"https://localhost:{port}/hooks", ["member.enrolled"])
    sender = WebhookSender(backoff=lambda attempt: 60.0, verify=ssl.create_default_context(cafile=str(ca_file)))
    owner.post(f"/webhooks/{by_name['id']}/test")
    assert _run_once(app, sender) == 1
    assert server.wait_for(1)
    assert names[0] == "localhost", "the name is sent as SNI although 127.0.0.1 is what was connected to"
    assert server.received[0].headers["Host"] == f"localhost:{port}"
    owner.client.delete(f"/api/v1/webhooks/{by_name['id']}", headers={"Authorization": f"Bearer {owner.key}"})

    by_address = subscribe(owner, f"https://127.0.0.1:{port}/hooks", ["member.enrolled"])
    owner.post(f"/webhooks/{by_address['id']}/test")
    sender = WebhookSender(backoff=lambda attempt: 60.0, verify=ssl.create_default_context(cafile=str(ca_file)))
    assert _run_once(app, sender) == 1
    assert not server.wait_for(2, timeout=0.3), "a certificate for another name is not accepted"
    assert _jobs() == [("pending", 1, "127.0.0.1 ConnectError")]


# The setting.

def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    files = {}
    for name in ("pass.pem", "pass.key", "wwdr.pem"):
        shutil.copy(EXAMPLE_CERTS / name, tmp_path / name)
        files[name] = str(tmp_path / name)
    return {"TESSERA_ENV": "production", "SECRET_KEY": "s" * 40, "PUBLIC_URL": "https://cards.example.com",
            "PASS_TYPE_IDENTIFIER": "pass.com.example.loyalty", "TEAM_IDENTIFIER": "ABCDE12345",
            "PASS_CERT_FILE": files["pass.pem"], "PASS_KEY_FILE": files["pass.key"],
            "WWDR_CERT_FILE": files["wwdr.pem"], "PASS_KEY_PASSWORD": "tessera-example", **extra}


def test_private_addresses_are_refused_by_default_only_in_production(tmp_path: Path) -> None:
    assert Config({}).WEBHOOK_ALLOW_PRIVATE is True
    assert config.TestingConfig({}).WEBHOOK_ALLOW_PRIVATE is True
    assert Config({"WEBHOOK_ALLOW_PRIVATE": "0"}).WEBHOOK_ALLOW_PRIVATE is False
    assert ProductionConfig(_production_env(tmp_path)).WEBHOOK_ALLOW_PRIVATE is False
    assert ProductionConfig(_production_env(tmp_path, WEBHOOK_ALLOW_PRIVATE="1")).WEBHOOK_ALLOW_PRIVATE is True
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE"):
        Config({"WEBHOOK_ALLOW_PRIVATE": "sometimes"})
