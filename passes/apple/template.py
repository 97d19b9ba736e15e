"""pass.json for many members of one program: the shared JSON text worked out and checked once.

Members of a program share everything in pass.json except a few values: serial number, token,
barcode, field values, dates, userInfo. ``template_for`` builds a pass.json with numbered
placeholders in those places through the ordinary ``build_pass_json``, serialises it, validates
its shared part with the full validator (with harmless stand-in values), and keeps the text
between the placeholders. Each pass then checks only its own values, with the same rule
functions the full validator uses, and escapes them into the gaps.

Specs the template cannot represent exactly (a value that is neither str nor int, a non-bool
flag, a NUL character in shared text) get ``None`` and take the full path instead.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import replace
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from passes.apple import rules
from passes.apple.passjson import (
    BARCODE_ENCODING,
    JSON,
    InvalidPass,
    PassField,
    StoreCardSpec,
    build_pass_json,
    w3c,
)
from passes.apple.validate import validate_pass_json

Tables = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
_SLOT = re.compile(r'"\\u0000(\d+)\\u0000"')
_SERIAL, _TOKEN, _MESSAGE, _ALT, _RELEVANT, _EXPIRES, _USER_INFO, _FIELDS = range(8)
_STAND_IN_SECRET = "0" * rules.MIN_SECRET_LENGTH
_SLOT_TYPES = {str, int}  # exact types: bool is an int but is not a field value


class _Json(str):
    """Text that is already JSON (userInfo), written into its gap as it is."""


class Template(NamedTuple):
    pieces: tuple[str, ...]  # JSON text; a value goes between each two pieces
    slots: tuple[int, ...]  # which value goes in each gap
    errors: tuple[str, ...]  # problems of the shared part


def values(spec: StoreCardSpec) -> list[Any] | None:
    """The per-member values in slot order, or None when the template cannot hold them."""
    fields = [item.value for item in _all_fields(spec)]
    if not {type(value) for value in fields} <= _SLOT_TYPES:
        return None
    texts = (spec.serial_number, spec.authentication_token or "", spec.barcode_message, spec.barcode_alt_text)
    if {type(text) for text in texts} != {str}:
        return None
    for moment in (spec.relevant_date, spec.expiration_date):
        if moment is not None and moment.utcoffset() is None:
            return None
    user_info = _Json(JSON.encode(dict(spec.user_info))) if spec.user_info else None
    return [
        spec.serial_number,
        spec.authentication_token,
        spec.barcode_message,
        spec.barcode_alt_text,
        w3c(spec.relevant_date),
        w3c(spec.expiration_date),
        user_info,
        *fields,
    ]


def value_errors(spec: StoreCardSpec) -> list[str]:
    """What the full validator would say about this member's own values."""
    errors: list[str] = []
    rules.serial_problems(spec.serial_number, errors)
    rules.token_problems(spec.authentication_token or None, errors)
    rules.message_problems("barcodes[0]", spec.barcode_message, BARCODE_ENCODING, errors)
    rules.message_problems("barcode", spec.barcode_message, BARCODE_ENCODING, errors)
    for item in _all_fields(spec):
        if item.date_style or item.time_style or item.number_style:
            rules.styled_value_problems(f"field {item.key!r}", bool(item.date_style or item.time_style),
                                        bool(item.number_style), item.value, errors)
    return errors


def render(template: Template, row: list[Any]) -> str:
    parts: list[str] = [""] * (2 * len(template.pieces) - 1)
    parts[::2] = template.pieces
    gaps = map(row.__getitem__, template.slots)
    parts[1::2] = [encode_basestring(value) if type(value) is str else _encode(value) for value in gaps]
    return "".join(parts)


def _encode(value: Any) -> str:
    if type(value) is int:
        return int.__repr__(value)
    assert isinstance(value, _Json)
    return value


def _all_fields(spec: StoreCardSpec) -> tuple[PassField, ...]:
    return spec.header_fields + spec.primary_fields + spec.secondary_fields + spec.auxiliary_fields + spec.back_fields


def template_for(spec: StoreCardSpec, tables: Tables, *, allow_http: bool) -> Template | None:
    if type(spec.sharing_prohibited) is not bool or type(spec.voided) is not bool:
        return None
    counts = tuple(map(len, (spec.header_fields, spec.primary_fields, spec.secondary_fields, spec.auxiliary_fields)))
    shapes = (counts, *[(item.key, item.label, item.change_message, item.text_alignment, item.date_style,
                         item.time_style, item.number_style, item.ignores_time_zone) for item in _all_fields(spec)])
    shared = (
        spec.pass_type_identifier, spec.team_identifier, spec.web_service_url, spec.organization_name,
        spec.description, spec.logo_text, spec.background_color, spec.foreground_color, spec.label_color,
        spec.sharing_prohibited, spec.voided,
    )  # fmt: skip
    present = (
        bool(spec.authentication_token),
        spec.relevant_date is not None,
        spec.expiration_date is not None,
        bool(spec.user_info),
    )
    try:
        return _template(shared, present, shapes, tables, allow_http, spec)
    except TypeError:  # something unhashable in the shared part: take the full path
        return None


def _template(
    shared: tuple[Any, ...],
    present: tuple[bool, ...],
    shapes: tuple[Any, ...],
    tables: Tables,
    allow_http: bool,
    spec: StoreCardSpec,
) -> Template | None:
    key = (shared, present, shapes, tables, allow_http)
    hit = _TEMPLATES.get(key)
    if hit is None:
        hit = _TEMPLATES[key] = _make(spec, tables, allow_http)
    return hit if isinstance(hit, Template) else None


# An lru_cache cannot take the spec along for a miss, so a small dict does it; cleared when full.
_TEMPLATES: dict[tuple[Any, ...], Template | bool] = {}


def _make(spec: StoreCardSpec, tables: Tables, allow_http: bool) -> Template | bool:
    if len(_TEMPLATES) >= 256:
        _TEMPLATES.clear()
    try:
        text = JSON.encode(_skeleton(spec, _placeholder))
    except InvalidPass:
        return False
    pieces = _SLOT.split(text)
    if "\\u0000" in "".join(pieces[::2]):  # a NUL in shared text would be mistaken for a slot
        return False
    localizations = {lang: dict(table) for lang, table in tables}
    errors = validate_pass_json(_skeleton(spec, _stand_in), allow_http=allow_http, localizations=localizations)
    return Template(tuple(pieces[::2]), tuple(int(slot) for slot in pieces[1::2]), tuple(errors))


def _placeholder(slot: int, _: object) -> str:
    return f"\x00{slot}\x00"


def _stand_in(slot: int, value: object) -> object:
    """A value every rule accepts, so the shared part's own problems are all that is found (a
    date for a field with a dateStyle or timeStyle; a member's own value is checked by value_errors)."""
    if slot in (_SERIAL, _TOKEN):
        return _STAND_IN_SECRET
    if slot == _MESSAGE:
        return "0"
    if slot == _ALT:
        return ""
    dated = isinstance(value, PassField) and bool(value.date_style or value.time_style)
    if slot in (_RELEVANT, _EXPIRES) or dated:
        return "2000-01-01T00:00:00+00:00"
    return {} if slot == _USER_INFO else 0


def _skeleton(spec: StoreCardSpec, fill: Callable[[int, Any], Any]) -> dict[str, Any]:
    """build_pass_json of ``spec`` with each per-member value replaced by ``fill(slot, value)`` (for a
    field, ``fill(slot, field)``)."""
    slots = itertools.count(_FIELDS)  # field values take slots in field_lists order, as in values()

    def filled(items: tuple[PassField, ...]) -> tuple[PassField, ...]:
        return tuple(replace(item, value=fill(next(slots), item)) for item in items)  # fill sees the field

    blank = replace(
        spec,
        serial_number=fill(_SERIAL, spec.serial_number),
        authentication_token=fill(_TOKEN, spec.authentication_token) if spec.authentication_token else "",
        barcode_message=fill(_MESSAGE, spec.barcode_message),
        barcode_alt_text=fill(_ALT, spec.barcode_alt_text),
        header_fields=filled(spec.header_fields),
        primary_fields=filled(spec.primary_fields),
        secondary_fields=filled(spec.secondary_fields),
        auxiliary_fields=filled(spec.auxiliary_fields),
        back_fields=filled(spec.back_fields),
    )
    data = build_pass_json(blank)
    for key, slot in (("relevantDate", _RELEVANT), ("expirationDate", _EXPIRES), ("userInfo", _USER_INFO)):
        if key in data:
            data[key] = fill(slot, data[key])
    return data
