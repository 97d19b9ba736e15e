"""Helpers for the passes/ tests: a realistic spec, the example material, re-signed archives."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from passes.apple import PassField, PassSigner, StoreCardSpec, archive, default_images, initials

ROOT = Path(__file__).resolve().parents[2]

CERTS = ROOT / "certs" / "example"
PASS_TYPE = "pass.dev.tessera.example"
TEAM = "TESSERA000"
PASSWORD = "tessera-example"

LOCALIZATIONS = {
    "it": {
        "points_label": "Punti",
        "points_changed": "Ora hai %@ punti",
        "member_label": "Socio",
        "tier_label": "Livello",
        "card_label": "Tessera",
        "terms_label": "Condizioni",
        "contact_label": "Contatti",
    },
    "en": {
        "points_label": "Points",
        "points_changed": "You now have %@ points",
        "member_label": "Member",
        "tier_label": "Tier",
        "card_label": "Card",
        "terms_label": "Terms",
        "contact_label": "Contact",
    },
}


def load_generator() -> ModuleType:
    """certs/example/generate.py as a module, to mint chains the way the example one was made."""
    spec = importlib.util.spec_from_file_location("tessera_example_certs", CERTS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def example_signer() -> PassSigner:
    return PassSigner.from_files(
        CERTS / "pass.pem",
        CERTS / "pass.key",
        CERTS / "wwdr.pem",
        password=PASSWORD,
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
    )


def make_spec(**changes: Any) -> StoreCardSpec:
    name = "Caffè Rossi"
    spec = StoreCardSpec(
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
        serial_number="TESSERA-000000000042",
        authentication_token="k7Q2vX9pL4mN8rT1wZ5yB3cD",
        web_service_url="https://cards.example.com/passkit",
        organization_name=name,
        description="Caffè Rossi loyalty card",
        logo_text=name,
        background_color="#6b3e26",
        foreground_color="#fff4e6",
        label_color="rgb(240, 200, 160)",
        barcode_message="TES-0001-2345",
        barcode_alt_text="TES 0001 2345",
        header_fields=(PassField("points", "points_label", 120, "points_changed"),),
        primary_fields=(PassField("member", "member_label", "Maria Bianchi"),),
        secondary_fields=(PassField("tier", "tier_label", "Gold"),),
        auxiliary_fields=(PassField("card", "card_label", "TES-0001-2345"),),
        back_fields=(
            PassField("terms", "terms_label", 'Points expire after 12 months.\nSee "terms" in store.'),
            PassField("contact", "contact_label", "Via Roma 1, Milano · +39 02 1234567"),
        ),
        localizations=LOCALIZATIONS,
        images=default_images(initials(name), "#6b3e26", "#fff4e6"),
    )
    return replace(spec, **changes)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def manifest_for(files: Mapping[str, bytes]) -> bytes:
    hashes = {
        name: hashlib.sha1(body).hexdigest()
        for name, body in files.items()
        if name not in ("manifest.json", "signature")
    }
    return json.dumps(hashes).encode()


def rezip(files: Mapping[str, bytes], sign: Callable[[bytes], bytes], manifest: bytes | None = None) -> bytes:
    """An archive of ``files`` with a fresh manifest (unless given) signed by ``sign``."""
    content = {name: body for name, body in files.items() if name not in ("manifest.json", "signature")}
    manifest = manifest_for(content) if manifest is None else manifest
    everything = {**content, "manifest.json": manifest, "signature": sign(manifest)}
    return archive.zip_stored(list(everything.items()))
