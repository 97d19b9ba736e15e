"""The template path must write exactly what the full path writes, and find exactly its problems."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from passes.apple import (
    PassField,
    PassSigner,
    StoreCardSpec,
    build_pass_json,
    build_pkpass,
    pkpass,
    template,
    validate_pass_json,
)
from passes.apple.passjson import JSON
from tests.passes.helpers import make_spec, unzip

ROME = timezone(timedelta(hours=1))


def tables(spec: StoreCardSpec) -> template.Tables:
    return tuple((lang, tuple(sorted(spec.localizations[lang].items()))) for lang in sorted(spec.localizations))


def fast_path(spec: StoreCardSpec, allow_http: bool = False) -> tuple[str, list[str]]:
    row = template.values(spec)
    shared = template.template_for(spec, tables(spec), allow_http=allow_http)
    assert row is not None and shared is not None, "this spec should take the template path"
    return template.render(shared, row), [*shared.errors, *template.value_errors(spec)]


def full_path(spec: StoreCardSpec, allow_http: bool = False) -> tuple[str, list[str]]:
    data = build_pass_json(spec)
    localizations = {lang: dict(table) for lang, table in spec.localizations.items()}
    return JSON.encode(data), validate_pass_json(data, allow_http=allow_http, localizations=localizations)


VARIANTS: list[dict[str, Any]] = [
    {},
    {"serial_number": "S-2", "authentication_token": "x" * 40},
    {"serial_number": "   ", "authentication_token": "short", "barcode_message": ""},
    {"barcode_message": "TES-€-1", "barcode_alt_text": 'quote " and \\ and \n newline'},
    {"authentication_token": ""},
    {"web_service_url": "http://127.0.0.1:5000/passkit"},
    {"organization_name": "", "description": "Caffè \u2028 Rossi \U0001f600"},
    {"voided": True, "user_info": {"member": {"id": 7, "tags": ["a", "b"]}, "ok": True}},
    {
        "expiration_date": datetime(2031, 5, 6, 7, 8, 9, tzinfo=ROME),
        "relevant_date": datetime(2030, 1, 1, tzinfo=timezone.utc),
    },
    {"header_fields": (PassField("points", "points_label", 0, "no placeholder"),)},
    {"header_fields": (PassField("points", "points_label", -5, "Points: %@", "PKTextAlignmentRight"),)},
    {"secondary_fields": (PassField("member", "dup", "x"), PassField("tier", "tier_label", "Gold"))},
    {"back_fields": (), "auxiliary_fields": (), "secondary_fields": ()},
    {"sharing_prohibited": False, "logo_text": "", "label_color": "#000"},
    # Styled values Wallet formats itself: a date (with its zone kept) and a grouped number.
    {"back_fields": (PassField("since", "since", "2026-11-08T14:05:00+01:00", date_style="PKDateStyleMedium",
                               time_style="PKDateStyleNone", ignores_time_zone=True),),
     "header_fields": (PassField("points", "points_label", 12345, "Points: %@", number_style="PKNumberStyleDecimal"),)},
    # ...and the same fields holding what the style cannot format, or an unknown style.
    {"back_fields": (PassField("since", "since", "2026-11-08", date_style="PKDateStyleMedium"),),
     "header_fields": (PassField("points", "points_label", "12.345", "Points: %@", number_style="PKNumberStyleDecimal"),)},
    {"back_fields": (PassField("since", "since", "2026-11-08T14:05:00Z", date_style="Medium"),)},
]


@pytest.mark.parametrize("changes", VARIANTS, ids=[",".join(change) or "plain" for change in VARIANTS])
@pytest.mark.parametrize("allow_http", [False, True])
def test_template_and_full_path_agree(changes: dict[str, Any], allow_http: bool) -> None:
    spec = make_spec(**changes)
    fast_text, fast_errors = fast_path(spec, allow_http)
    full_text, full_errors = full_path(spec, allow_http)
    assert fast_text == full_text
    assert json.loads(fast_text) == build_pass_json(spec)
    assert sorted(fast_errors) == sorted(full_errors)


def test_members_of_one_program_share_one_template() -> None:
    first = make_spec()
    second = make_spec(
        serial_number="TESSERA-000000000099",
        authentication_token="another-token-of-length-24",
        barcode_message="TES-0009-9999",
        header_fields=(PassField("points", "points_label", 5, "points_changed"),),
        primary_fields=(PassField("member", "member_label", "Luca Verdi"),),
    )
    shared = template.template_for(first, tables(first), allow_http=False)
    assert shared is not None and shared is template.template_for(second, tables(second), allow_http=False)
    relabelled = make_spec(primary_fields=(PassField("member", "tier_label", "Luca Verdi"),))
    assert template.template_for(relabelled, tables(relabelled), allow_http=False) is not shared


@pytest.mark.parametrize(
    "changes",
    [
        {"primary_fields": (PassField("member", "member_label", 1.5),)},
        {"primary_fields": (PassField("member", "member_label", True),)},
        {"organization_name": "Nul\x00 Bar"},
        {"voided": 1},
    ],
    ids=["float value", "bool value", "NUL in shared text", "non-bool flag"],
)
def test_what_a_template_cannot_hold_takes_the_full_path(changes: dict[str, Any], signer: PassSigner) -> None:
    spec = make_spec(**changes)
    text, errors = pkpass._pass_json_text(spec, tables(spec), False)  # noqa: SLF001
    assert (text, errors) == full_path(spec)


def test_naive_dates_still_fail(signer: PassSigner) -> None:
    with pytest.raises(pkpass.InvalidPass, match="has no time zone"):
        build_pkpass(make_spec(relevant_date=datetime(2030, 1, 1)), signer)


def test_the_archive_holds_the_rendered_text(signer: PassSigner) -> None:
    spec = replace(make_spec(), user_info={"member_id": 42})
    assert json.loads(unzip(build_pkpass(spec, signer))["pass.json"]) == build_pass_json(spec)


def test_styled_fields_are_checked_member_by_member() -> None:
    good = make_spec(back_fields=(PassField("since", "since", "2026-11-08T14:05:00+01:00", date_style="PKDateStyleMedium"),))
    bad = replace(good, back_fields=(PassField("since", "since", "8 nov 2026", date_style="PKDateStyleMedium"),))
    assert fast_path(good)[1] == []
    assert fast_path(bad)[1] == ["field 'since' has a dateStyle but its value '8 nov 2026' is not a W3C date with an offset"]
    unknown = make_spec(back_fields=(PassField("since", "since", "2026-11-08T14:05:00Z", date_style="Medium"),))
    assert any("dateStyle 'Medium' is not one of PKDateStyleNone" in error for error in full_path(unknown)[1])
