"""The rules a pass.json must follow, each broken one reported as a sentence, all at once.

Apple's validators stop at the first problem or skip field-level rules (a field without a value,
a changeMessage without ``%@``, a date without an offset) that phones reject later; these are
checked too. Every check appends to one list, and messages are formatted only for problems
found: this runs on every pass the service signs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from passes.apple.colors import parse_rgb

STYLES = ("boardingPass", "coupon", "eventTicket", "generic", "storeCard")
FIELD_LISTS = ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
REQUIRED_STRINGS = ("description", "organizationName", "passTypeIdentifier", "teamIdentifier")  # and serialNumber
COLORS = ("backgroundColor", "foregroundColor", "labelColor")
DATES = ("expirationDate", "relevantDate")
BOOLEANS = ("sharingProhibited", "voided", "suppressStripShine")
BARCODE_FORMATS = ("PKBarcodeFormatQR", "PKBarcodeFormatPDF417", "PKBarcodeFormatAztec", "PKBarcodeFormatCode128")
LEGACY_BARCODE_FORMATS = BARCODE_FORMATS[:3]  # iOS 8 and older, the only readers of "barcode"
ALIGNMENTS = ("PKTextAlignmentLeft", "PKTextAlignmentCenter", "PKTextAlignmentRight", "PKTextAlignmentNatural")
DATE_STYLES = ("PKDateStyleNone", "PKDateStyleShort", "PKDateStyleMedium", "PKDateStyleLong", "PKDateStyleFull")
NUMBER_STYLES = ("PKNumberStyleDecimal", "PKNumberStylePercent", "PKNumberStyleScientific", "PKNumberStyleSpellOut")
MIN_SECRET_LENGTH = 16

Tables = Mapping[str, Mapping[str, str]]
Errors = list[str]

# W3C date-time (a profile of ISO 8601) with the offset Wallet insists on.
_W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")


def is_w3c_date(value: object) -> bool:
    if not isinstance(value, str) or not _W3C.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_object(value: object) -> bool:
    # dict first: parsed JSON is always a dict, and the Mapping ABC check is slow.
    return isinstance(value, dict) or isinstance(value, Mapping)


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def check_pass_json(
    data: Mapping[str, Any], *, allow_http: bool = False, localizations: Tables | None = None
) -> Errors:
    if not _is_object(data):
        return ["pass.json is not a JSON object"]
    errors: Errors = []
    _standard_keys(data, errors)
    _web_service(data, allow_http, errors)
    _appearance(data, errors)
    _style_and_fields(data, localizations or {}, errors)
    _barcodes(data, errors)
    return errors


# The per-pass values (serial, token, barcode message) are checked by these functions both here
# and on the template path in passes.apple.template, so the two can never disagree.


def serial_problems(serial: object, errors: Errors) -> None:
    if not isinstance(serial, str) or not serial.strip():
        errors.append("pass.json has no serialNumber")
    elif len(serial) < MIN_SECRET_LENGTH:
        errors.append(f"serialNumber is {len(serial)} characters, expected at least {MIN_SECRET_LENGTH}")


def token_problems(token: object, errors: Errors) -> None:
    if token is not None and (not isinstance(token, str) or len(token.strip()) < MIN_SECRET_LENGTH):
        errors.append(f"authenticationToken must be a string of at least {MIN_SECRET_LENGTH} characters")


def message_problems(where: str, message: object, encoding: str, errors: Errors) -> None:
    if not isinstance(message, str) or not message.strip():
        errors.append(f"{where} has no message")
    elif not _encodable(message, encoding):
        errors.append(f"{where} message cannot be written in {encoding!r} (or that is not a known encoding)")


def _standard_keys(data: Mapping[str, Any], errors: Errors) -> None:
    errors.extend(f"pass.json has no {key}" for key in REQUIRED_STRINGS if _blank(data.get(key)))
    version = data.get("formatVersion")
    if type(version) is not int or version != 1:
        errors.append(f"pass.json formatVersion is {version!r}, expected 1")
    serial_problems(data.get("serialNumber"), errors)
    if "appLaunchURL" in data and not data.get("associatedStoreIdentifiers"):
        errors.append("appLaunchURL needs associatedStoreIdentifiers")


def _web_service(data: Mapping[str, Any], allow_http: bool, errors: Errors) -> None:
    url, token = data.get("webServiceURL"), data.get("authenticationToken")
    if url is not None and token is None:
        errors.append("webServiceURL is set but authenticationToken is missing")
    if token is not None and url is None:
        errors.append("authenticationToken is set but webServiceURL is missing")
    token_problems(token, errors)
    if url is None or isinstance(url, str) and url.startswith("https://") and len(url) > len("https://"):
        return
    if not isinstance(url, str):
        errors.append("webServiceURL is not a string")
    elif url.startswith("http://") and not allow_http:
        errors.append(f"webServiceURL {url} must use https (http is accepted only in development)")
    elif not url.startswith("http://"):
        errors.append(f"webServiceURL {url!r} is not an https URL")


def _appearance(data: Mapping[str, Any], errors: Errors) -> None:
    for key in COLORS:
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or parse_rgb(value) is None):
            errors.append(f"{key} {value!r} is not a colour of the form rgb(r, g, b) with values 0-255")
    for key in DATES:
        value = data.get(key)
        if value is not None and not is_w3c_date(value):
            errors.append(f"{key} {value!r} is not a W3C date with a time zone offset")
    for key in BOOLEANS:
        if key in data and not isinstance(data[key], bool):
            errors.append(f"{key} must be true or false")
    if "userInfo" in data and not _is_object(data["userInfo"]):
        errors.append("userInfo must be a JSON object")


def _style_and_fields(data: Mapping[str, Any], tables: Tables, errors: Errors) -> None:
    styles = [style for style in STYLES if style in data]
    if len(styles) != 1:
        errors.append(f"pass.json must have exactly one pass style ({', '.join(STYLES)}), found {len(styles)}")
        return
    style = data[styles[0]]
    if not _is_object(style):
        errors.append(f"{styles[0]} is not a JSON object")
        return
    seen: dict[str, str] = {}
    for list_name in FIELD_LISTS:
        fields = style.get(list_name, ())
        if not isinstance(fields, (list, tuple)):
            errors.append(f"{styles[0]}.{list_name} is not a list")
            continue
        for index, field in enumerate(fields):
            _field(list_name, index, field, seen, tables, errors)


def _field(list_name: str, index: int, field: Any, seen: dict[str, str], tables: Tables, errors: Errors) -> None:
    if type(field) is not dict and not _is_object(field):
        errors.append(f"{list_name}[{index}] is not a JSON object")
        return
    key, value = field.get("key"), field.get("value")
    if type(key) is not str or not key.strip():
        errors.append(f"{list_name}[{index}] has no key")
    elif key in seen:
        errors.append(f"field key {key!r} is used twice (in {seen[key]} and {list_name})")
    else:
        seen[key] = list_name
    if type(value) not in (str, int, float):  # bool, None, lists and objects are not values
        errors.append(f"{_name(key, list_name, index)} has no value (a string, number or date is required)")
    if len(field) > (3 if "label" in field else 2):  # anything beyond key, value and label?
        _field_options(field, _name(key, list_name, index), tables, errors)


def _field_options(field: Mapping[str, Any], name: str, tables: Tables, errors: Errors) -> None:
    message = field.get("changeMessage")
    if message is not None and not _has_placeholder(message, tables):
        errors.append(f"{name} changeMessage {message!r} must contain %@ for the new value")
    alignment = field.get("textAlignment")
    if alignment is not None and alignment not in ALIGNMENTS:
        errors.append(f"{name} textAlignment {alignment!r} is not one of {', '.join(ALIGNMENTS)}")
    for key, allowed in (("dateStyle", DATE_STYLES), ("timeStyle", DATE_STYLES), ("numberStyle", NUMBER_STYLES)):
        if key in field and field[key] not in allowed:
            errors.append(f"{name} {key} {field[key]!r} is not one of {', '.join(allowed)}")
    if "ignoresTimeZone" in field and not isinstance(field["ignoresTimeZone"], bool):
        errors.append(f"{name} ignoresTimeZone must be true or false")
    styled_value_problems(name, "dateStyle" in field or "timeStyle" in field, "numberStyle" in field,
                          field.get("value"), errors)


def styled_value_problems(name: str, dated: bool, numbered: bool, value: object, errors: Errors) -> None:
    """Wallet formats a styled value itself, so it must be what the style formats."""
    if dated and not is_w3c_date(value):
        errors.append(f"{name} has a dateStyle but its value {value!r} is not a W3C date with an offset")
    if numbered and type(value) not in (int, float):
        errors.append(f"{name} has a numberStyle but its value {value!r} is not a number")


def _name(key: object, list_name: str, index: int) -> str:
    return f"field {key!r}" if isinstance(key, str) and key.strip() else f"{list_name}[{index}]"


def _has_placeholder(message: object, tables: Tables) -> bool:
    """``%@`` in the text itself, or in every translation when the text is a pass.strings key."""
    if not isinstance(message, str):
        return False
    if "%@" in message:
        return True
    translations = [table.get(message) for table in tables.values()]
    return bool(translations) and all(text is not None and "%@" in text for text in translations)


def _barcodes(data: Mapping[str, Any], errors: Errors) -> None:
    barcodes = data.get("barcodes")
    if not isinstance(barcodes, list) or not barcodes:
        errors.append("pass.json has no barcodes array (iOS 9 and later read only that)")
    else:
        for index, barcode in enumerate(barcodes):
            _barcode(f"barcodes[{index}]", barcode, BARCODE_FORMATS, errors)
    if "barcode" in data:
        _barcode("barcode", data["barcode"], LEGACY_BARCODE_FORMATS, errors)


def _barcode(where: str, barcode: Any, formats: tuple[str, ...], errors: Errors) -> None:
    if not _is_object(barcode):
        errors.append(f"{where} is not a JSON object")
        return
    if barcode.get("format") not in formats:
        errors.append(f"{where} format {barcode.get('format')!r} is not one of {', '.join(formats)}")
    message, encoding = barcode.get("message"), barcode.get("messageEncoding")
    if not _blank(encoding):
        message_problems(where, message, encoding, errors)
    else:
        if _blank(message):
            errors.append(f"{where} has no message")
        errors.append(f"{where} has no messageEncoding")
    if "altText" in barcode and not isinstance(barcode["altText"], str):
        errors.append(f"{where} altText must be a string")


def _encodable(message: str, encoding: str) -> bool:
    try:
        message.encode(encoding)  # LookupError for unknown or non-text codecs
    except (LookupError, UnicodeEncodeError):
        return False
    return True
