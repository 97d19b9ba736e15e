"""passes/google without the app: ids, the rate limit, link length, the service-account file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import config as tessera_config
from config import ConfigError
from passes.google.callbacks import length_value
from passes.google.client import TokenBucket
from passes.google.jwt import LinkTooLong, save_link
from passes.google.objects import resource_id


def test_ids_keep_only_the_characters_google_accepts() -> None:
    assert resource_id("3388000000022222222", "tessera_card_ab12") == "3388000000022222222.tessera_card_ab12"
    assert resource_id("1", "caffè rossi/€") == "1.caff__rossi__"
    with pytest.raises(ValueError):
        resource_id("issuer", "x")


def test_the_bucket_allows_twenty_a_second() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(20.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(20):
        bucket.acquire()
    assert waits == []
    bucket.acquire()
    assert waits == [pytest.approx(0.05)]
    for _ in range(19):
        bucket.acquire()
    assert now[0] == pytest.approx(1.0)  # 40 requests took one second


def test_a_link_past_1800_characters_is_refused(service_account_key: rsa.RSAPrivateKey) -> None:
    short = save_link("a@b.c", service_account_key, ["1.x"], ["https://shop.example"])
    assert len(short) < 1800
    with pytest.raises(LinkTooLong):
        save_link("a@b.c", service_account_key, [f"1.{'x' * 60}{n}" for n in range(20)], ["https://shop.example"])


def test_length_value_is_little_endian_lengths_then_bytes() -> None:
    assert length_value("ab", "é") == b"\x02\x00\x00\x00ab\x02\x00\x00\x00\xc3\xa9"


@pytest.mark.parametrize(("content", "reason"), [
    ("not json", "is not valid JSON"),
    ("[]", "is not a JSON object"),
    (json.dumps({"private_key": "-----BEGIN PRIVATE KEY-----"}), "has no client_email"),
    (json.dumps({"client_email": "a@b.c"}), "has no private_key"),
])
def test_a_bad_service_account_file_stops_start_up_with_one_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "sa.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        tessera_config.TestingConfig({"GOOGLE_ISSUER_ID": "3388000000022222222", "GOOGLE_SERVICE_ACCOUNT_FILE": str(path)})
    message = str(caught.value)
    assert message.startswith("GOOGLE_SERVICE_ACCOUNT_FILE") and reason in message and "\n" not in message


def test_the_issuer_id_must_be_a_number(service_account_file: Path) -> None:
    with pytest.raises(ConfigError, match="GOOGLE_ISSUER_ID"):
        tessera_config.TestingConfig({"GOOGLE_ISSUER_ID": "my-shop", "GOOGLE_SERVICE_ACCOUNT_FILE": str(service_account_file)})
    config = tessera_config.TestingConfig({"GOOGLE_ISSUER_ID": "3388000000022222222",
                            "GOOGLE_SERVICE_ACCOUNT_FILE": str(service_account_file)})
    assert config.google_wallet_enabled
