"""pass.json for a store card: the spec it is built from and the dictionary it becomes.

The shape is wallet-py3k's model as extended in ``passes.apple.model`` (the ``barcodes`` array
next to the legacy ``barcode``, ``sharingProhibited``, fields without empty keys); it is written
out directly here because this runs for every pass signed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from passes.apple.colors import to_pass_color

QR = "PKBarcodeFormatQR"
BARCODE_ENCODING = "iso-8859-1"  # what Wallet and every till scanner read; card numbers are ASCII

# Compact and UTF-8: every byte saved is hashed, zipped and downloaded on each update.
# No circular check: the dictionary is built here from a spec, and a cyclic userInfo fails anyway.
JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


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
    # Lock-screen text on change: must contain %@ ("Points: %@"), or be a pass.strings key
    # whose every translation does.
    change_message: str | None = None
    text_alignment: str | None = None  # PKTextAlignmentLeft, ...Right, ...Center, ...Natural
    # Wallet writes the value itself in the phone's language: a W3C date-time with dateStyle /
    # timeStyle (PKDateStyleMedium, ...None), a number with numberStyle (PKNumberStyleDecimal groups it).
    date_style: str | None = None
    time_style: str | None = None
    number_style: str | None = None
    ignores_time_zone: bool = False  # a day stays the issuer's day on a phone in another zone


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
    wallet-py3k's classes (a test holds them equal); built directly because the object model
    cost a fifth of the non-RSA time per pass.
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
    data.update((key, value) for key, value in _styles(item) if value)
    return data


def _styles(item: PassField) -> tuple[tuple[str, str | None], ...]:
    return (("dateStyle", item.date_style), ("timeStyle", item.time_style), ("numberStyle", item.number_style),
            ("ignoresTimeZone", item.ignores_time_zone))


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
