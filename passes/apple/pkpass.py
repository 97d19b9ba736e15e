"""Build a storeCard's pass.json and its signed .pkpass archive, in process.

pass.json has the shape of wallet-py3k's model as extended in ``passes.apple.model`` (the
``barcodes`` array next to the legacy ``barcode``, ``sharingProhibited``, fields without empty
keys). wallet-py3k's ``create()`` is never used: it shells out to ``openssl smime`` with the
key password in argv. Validation runs before signing, so an invalid pass is never produced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, NamedTuple

from passes.apple import archive
from passes.apple.colors import to_pass_color
from passes.apple.images import REQUIRED, image_kind
from passes.apple.signing import PassSigner
from passes.apple.strings import encode_pass_strings
from passes.apple.validate import localization_problems, validate_pass_json

QR = "PKBarcodeFormatQR"
BARCODE_ENCODING = "iso-8859-1"  # what Wallet and every till scanner read; card numbers are ASCII

# Compact and UTF-8: every byte saved is hashed, zipped and downloaded on each update.
# No circular check: the dictionary is built here from a spec, and a cyclic userInfo fails anyway.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


class InvalidPass(ValueError):
    """The pass would not open on a phone; ``errors`` lists every reason."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("invalid pass: " + "; ".join(self.errors))


@dataclass(frozen=True)
class PassField:
    key: str
    label: str  # a pass.strings key when the label is localized
    value: str | int
    change_message: str | None = None  # must contain %@, e.g. "Points: %@"
    text_alignment: str | None = None  # PKTextAlignmentLeft, ...Right, ...Center, ...Natural


@dataclass(frozen=True)
class StoreCardSpec:
    pass_type_identifier: str
    team_identifier: str
    serial_number: str
    authentication_token: str
    web_service_url: str
    organization_name: str
    description: str
    logo_text: str
    background_color: str  # "#rrggbb" or "rgb(r, g, b)"
    foreground_color: str
    label_color: str
    barcode_message: str
    barcode_alt_text: str
    header_fields: tuple[PassField, ...] = ()
    primary_fields: tuple[PassField, ...] = ()
    secondary_fields: tuple[PassField, ...] = ()
    auxiliary_fields: tuple[PassField, ...] = ()
    back_fields: tuple[PassField, ...] = ()
    localizations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # {"it": {key: text}}
    images: Mapping[str, bytes] = field(default_factory=dict)  # "icon.png", "logo@2x.png", ...
    sharing_prohibited: bool = True
    voided: bool = False
    expiration_date: datetime | None = None  # must carry a UTC offset
    relevant_date: datetime | None = None
    user_info: Mapping[str, Any] | None = None


def build_pass_json(spec: StoreCardSpec) -> dict[str, Any]:
    """pass.json as a dictionary; InvalidPass when a value cannot be written at all.

    The same dictionary ``passes.apple.model.wallet_pass(spec).json_dict()`` gives through
    wallet-py3k's classes (a test holds them equal); built directly here because this runs for
    every pass signed, and the object model costs a fifth of the non-RSA time per pass.
    """
    errors = spec_errors(spec)
    if errors:
        raise InvalidPass(errors)
    barcode = {
        "format": QR,
        "message": spec.barcode_message,
        "messageEncoding": BARCODE_ENCODING,
        "altText": spec.barcode_alt_text,
    }
    data: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": spec.pass_type_identifier,
        "teamIdentifier": spec.team_identifier,
        "serialNumber": spec.serial_number,
        "organizationName": spec.organization_name,
        "description": spec.description,
        "storeCard": {name: [_field_json(item) for item in items] for name, items in field_lists(spec) if items},
        "barcodes": [barcode],
        "barcode": dict(barcode),  # the legacy key, for iOS 8 and older
        "sharingProhibited": spec.sharing_prohibited,
    }
    data.update((key, value) for key, value in _optional_keys(spec) if value)
    return data


def field_lists(spec: StoreCardSpec) -> tuple[tuple[str, tuple[PassField, ...]], ...]:
    return (
        ("headerFields", spec.header_fields),
        ("primaryFields", spec.primary_fields),
        ("secondaryFields", spec.secondary_fields),
        ("auxiliaryFields", spec.auxiliary_fields),
        ("backFields", spec.back_fields),
    )


def _optional_keys(spec: StoreCardSpec) -> tuple[tuple[str, Any], ...]:
    """Keys written only when they have a value, as wallet-py3k does."""
    return (
        ("logoText", spec.logo_text),
        ("backgroundColor", to_pass_color(spec.background_color)),
        ("foregroundColor", to_pass_color(spec.foreground_color)),
        ("labelColor", to_pass_color(spec.label_color)),
        ("webServiceURL", spec.web_service_url),
        ("authenticationToken", spec.authentication_token),
        ("relevantDate", w3c(spec.relevant_date)),
        ("expirationDate", w3c(spec.expiration_date)),
        ("voided", spec.voided),
        ("userInfo", dict(spec.user_info) if spec.user_info else None),
    )


def _field_json(item: PassField) -> dict[str, Any]:
    data: dict[str, Any] = {"key": item.key, "value": item.value}
    if item.label:
        data["label"] = item.label
    if item.change_message:
        data["changeMessage"] = item.change_message
    if item.text_alignment:
        data["textAlignment"] = item.text_alignment
    return data


def build_pkpass(spec: StoreCardSpec, signer: PassSigner, *, allow_http: bool = False) -> bytes:
    """The signed archive; InvalidPass lists every problem rather than returning a bad pass.

    ``allow_http`` accepts an http webServiceURL, which only development phones talk to.
    """
    pass_json = build_pass_json(spec)
    content = _content(spec)
    errors = [
        *validate_pass_json(pass_json, allow_http=allow_http, localizations=spec.localizations),
        *content.errors,
        *_signer_errors(pass_json, signer),
    ]
    if errors:
        raise InvalidPass(errors)
    pass_bytes = _JSON.encode(pass_json).encode()
    manifest = b'{"pass.json":"' + hashlib.sha1(pass_bytes).hexdigest().encode() + content.manifest_rest
    signature = signer.sign(manifest)
    return archive.finish(
        content.layout, (("pass.json", pass_bytes), ("manifest.json", manifest), ("signature", signature))
    )


def spec_errors(spec: StoreCardSpec) -> list[str]:
    """Values that cannot be written into pass.json at all."""
    errors = []
    for name, value in (
        ("background_color", spec.background_color),
        ("foreground_color", spec.foreground_color),
        ("label_color", spec.label_color),
    ):
        try:
            to_pass_color(value)
        except ValueError as error:
            errors.append(f"{name}: {error}")
    for name, moment in (("expiration_date", spec.expiration_date), ("relevant_date", spec.relevant_date)):
        if moment is not None and moment.utcoffset() is None:
            errors.append(f"{name} {moment.isoformat()} has no time zone; Wallet needs an offset")
    return errors


def w3c(moment: datetime | None) -> str | None:
    """W3C date-time with an explicit offset, which Wallet requires; UTC is written +00:00."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat()


class _Content(NamedTuple):
    """The files every pass of a program shares, hashed, checked and laid out once."""

    layout: archive.Layout
    manifest_rest: bytes  # manifest.json after the pass.json digest: '","icon.png":"...",...}'
    errors: tuple[str, ...]


def _content(spec: StoreCardSpec) -> _Content:
    # Programs pass the same images and localizations objects for every member; remember the
    # last ones by identity, and confirm by equality (identical values make that cheap) so a
    # mapping changed in place, or a new one at a recycled id, is never served stale content.
    key = (id(spec.images), id(spec.localizations))
    recent = _recent.get(key)
    if recent is not None and recent[0] == spec.images and recent[1] == spec.localizations:
        return recent[2]
    images = tuple(sorted(spec.images.items()))
    tables = tuple((lang, tuple(sorted(spec.localizations[lang].items()))) for lang in sorted(spec.localizations))
    content = _content_for(images, tables)
    if len(_recent) >= 64:
        _recent.clear()
    _recent[key] = (dict(images), {lang: dict(table) for lang, table in tables}, content)
    return content


_recent: dict[tuple[int, int], tuple[dict[str, bytes], dict[str, dict[str, str]], _Content]] = {}


@lru_cache(maxsize=64)
def _content_for(
    images: tuple[tuple[str, bytes], ...], tables: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
) -> _Content:
    entries = [archive.cached_entry(name, data) for name, data in images]
    entries += [archive.entry(f"{lang}.lproj/pass.strings", encode_pass_strings(dict(table))) for lang, table in tables]
    names = [name for name, _ in images]
    errors = [
        f"{name} is not an image Wallet shows (icon, logo, strip, ...)" for name in names if not _known_image(name)
    ]
    errors += [f"the pass has no {name}" for name in REQUIRED if name not in names]
    errors += [problem for entry in entries for problem in entry.problems]
    errors += localization_problems({lang: dict(table) for lang, table in tables})
    hashes = _JSON.encode({entry.name: entry.sha1 for entry in entries}).encode()
    rest = b'",' + hashes[1:] if entries else b'"}'
    return _Content(archive.lay_out(entries), rest, tuple(errors))


def _known_image(name: str) -> bool:
    return "/" not in name and image_kind(name) is not None


def _signer_errors(pass_json: Mapping[str, Any], signer: PassSigner) -> list[str]:
    errors = []
    if pass_json["passTypeIdentifier"] != signer.pass_type_identifier:
        errors.append(
            f"passTypeIdentifier {pass_json['passTypeIdentifier']!r} does not match the signing certificate's "
            f"{signer.pass_type_identifier!r}"
        )
    if pass_json["teamIdentifier"] != signer.team_identifier:
        errors.append(
            f"teamIdentifier {pass_json['teamIdentifier']!r} does not match the signing certificate's "
            f"{signer.team_identifier!r}"
        )
    if datetime.now(timezone.utc) > signer.not_after:
        errors.append(f"the signing certificate expired on {signer.not_after:%Y-%m-%d}")
    return errors
