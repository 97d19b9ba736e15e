"""wallet-py3k's pass model (``Pass``, ``StoreCard``, ``Field``, ``Barcode``) extended for today's Wallet.

wallet-py3k writes only the legacy ``barcode`` key (iOS 8 and older), has no
``sharingProhibited``, writes empty ``changeMessage``/``textAlignment`` on every field and a
``suppressStripShine`` iOS no longer reads. These subclasses fix that, so ``wallet_pass(spec)``
gives exactly the pass.json ``build_pass_json(spec)`` writes. Use it to interoperate with
wallet-py3k code; never call its ``create()``, which puts the key password in argv.
"""

from __future__ import annotations

from typing import Any

from wallet.models import Barcode, Field, Pass, StoreCard  # type: ignore[import-untyped]

from passes.apple.colors import to_pass_color
from passes.apple.passjson import QR, InvalidPass, PassField, StoreCardSpec, field_lists, spec_errors, w3c


class WalletField(Field):  # type: ignore[misc]
    """A Field that omits empty label, changeMessage and textAlignment."""

    def __init__(self, item: PassField) -> None:
        super().__init__(item.key, item.value, item.label)
        self.changeMessage = item.change_message
        self.textAlignment = item.text_alignment
        self.styles = {"dateStyle": item.date_style, "timeStyle": item.time_style, "numberStyle": item.number_style,
                       "ignoresTimeZone": item.ignores_time_zone}

    def json_dict(self) -> dict[str, Any]:
        data = {"key": self.key, "value": self.value}
        optional = (("label", self.label), ("changeMessage", self.changeMessage), ("textAlignment", self.textAlignment))
        data.update((key, value) for key, value in optional if value)
        data.update((key, value) for key, value in self.styles.items() if value)
        return data


class WalletStoreCard(StoreCard):  # type: ignore[misc]
    def json_dict(self) -> dict[str, Any]:
        lists = (
            ("headerFields", self.headerFields),
            ("primaryFields", self.primaryFields),
            ("secondaryFields", self.secondaryFields),
            ("auxiliaryFields", self.auxiliaryFields),
            ("backFields", self.backFields),
        )
        return {name: [item.json_dict() for item in items] for name, items in lists if items}


class WalletPass(Pass):  # type: ignore[misc]
    """A Pass with the ``barcodes`` array iOS 9+ reads and ``sharingProhibited``."""

    def __init__(self, card: WalletStoreCard, spec: StoreCardSpec) -> None:
        super().__init__(
            card,
            passTypeIdentifier=spec.pass_type_identifier,
            organizationName=spec.organization_name,
            teamIdentifier=spec.team_identifier,
        )
        self.barcodes = [Barcode(spec.barcode_message, QR, spec.barcode_alt_text)]
        self.barcode = self.barcodes[0]
        self.sharingProhibited = spec.sharing_prohibited
        self.serialNumber = spec.serial_number
        self.description = spec.description
        self.logoText = spec.logo_text
        self.backgroundColor = to_pass_color(spec.background_color)
        self.foregroundColor = to_pass_color(spec.foreground_color)
        self.labelColor = to_pass_color(spec.label_color)
        self.webServiceURL = spec.web_service_url
        self.authenticationToken = spec.authentication_token
        self.relevantDate = w3c(spec.relevant_date)
        self.exprirationDate = w3c(spec.expiration_date)  # wallet-py3k's spelling
        self.voided = spec.voided
        self.userInfo = dict(spec.user_info) if spec.user_info else None

    def json_dict(self) -> dict[str, Any]:
        data = {
            "formatVersion": self.formatVersion,
            "passTypeIdentifier": self.passTypeIdentifier,
            "teamIdentifier": self.teamIdentifier,
            "serialNumber": self.serialNumber,
            "organizationName": self.organizationName,
            "description": self.description,
            self.passInformation.jsonname: self.passInformation.json_dict(),
            # wallet-py3k's Barcode hands out its own __dict__; copy it.
            "barcodes": [dict(barcode.json_dict()) for barcode in self.barcodes],
            "barcode": dict(self.barcode.json_dict()),
            "sharingProhibited": self.sharingProhibited,
        }
        optional = (
            ("logoText", self.logoText),
            ("backgroundColor", self.backgroundColor),
            ("foregroundColor", self.foregroundColor),
            ("labelColor", self.labelColor),
            ("webServiceURL", self.webServiceURL),
            ("authenticationToken", self.authenticationToken),
            ("relevantDate", self.relevantDate),
            ("expirationDate", self.exprirationDate),
            ("voided", self.voided),
            ("userInfo", self.userInfo),
        )
        data.update((key, value) for key, value in optional if value)
        return data


def wallet_pass(spec: StoreCardSpec) -> WalletPass:
    errors = spec_errors(spec)
    if errors:
        raise InvalidPass(errors)
    card = WalletStoreCard()
    for name, items in field_lists(spec):
        getattr(card, name).extend(WalletField(item) for item in items)
    return WalletPass(card, spec)
