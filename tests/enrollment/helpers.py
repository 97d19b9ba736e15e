from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from flask.testing import FlaskClient

IT = {"Accept-Language": "it-IT,it;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
TOKEN = re.compile(r"/(?:p|card)/[A-Za-z0-9_.-]+")


def fields(**overrides: str) -> dict[str, str]:
    data = {"name": "Marta Verdi", "email": "marta@example.com", "phone": "", "birthday": "", "terms": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def join(client: FlaskClient, slug: str, headers: dict[str, str] | None = None, **overrides: str) -> Any:
    return client.post(f"/join/{slug}", data=fields(**overrides), headers=headers or EN)


def path(url: str) -> str:
    return url.removeprefix("http://tessera.test")


def links(html: str) -> list[str]:
    return re.findall(r'<a class="btn wallet" href="([^"]+)"', html)


def without_tokens(html: str) -> str:
    """A page with its signed links blanked: what is left must not depend on the member."""
    return TOKEN.sub("/<token>", html)


def serial_of(client: FlaskClient, url: str) -> str:
    """The serial number inside the pass that a link downloads."""
    response = client.get(path(url))
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return str(json.loads(archive.read("pass.json"))["serialNumber"])
