from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.passkit.conftest import Phone, card, phone  # noqa: F401 (shared fixtures)
from tests.support.apns_server import ApnsStandIn


@pytest.fixture
def apns(app: Flask) -> Iterator[ApnsStandIn]:
    with ApnsStandIn("certificate", topic="pass.dev.tessera.example") as standin:
        app.config["APNS_URL"] = standin.url
        app.config["APNS_CA_FILE"] = standin.ca_file
        yield standin
