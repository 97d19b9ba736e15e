"""Reading a Google Cloud service-account key file (JSON), with no network library imported,
so configuration can check it at start-up."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ServiceAccountError(ValueError):
    """The service-account file cannot be used; the message says why in a few words."""


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str
    private_key_id: str | None
    info: Mapping[str, Any]


def load_service_account(text: str) -> ServiceAccount:
    try:
        info = json.loads(text)
    except ValueError:
        raise ServiceAccountError("is not valid JSON") from None
    if not isinstance(info, dict):
        raise ServiceAccountError("is not a JSON object")
    for field in ("client_email", "private_key"):
        if not isinstance(info.get(field), str) or not info[field].strip():
            raise ServiceAccountError(f"has no {field}")
    if "BEGIN PRIVATE KEY" not in info["private_key"] and "BEGIN RSA PRIVATE KEY" not in info["private_key"]:
        raise ServiceAccountError("has a private_key that is not a PEM key")
    return ServiceAccount(info["client_email"], info["private_key"], info.get("private_key_id"), info)
