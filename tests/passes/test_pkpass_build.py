from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from passes.apple import (
    InvalidPass,
    PassField,
    PassSigner,
    StoreCardSpec,
    archive,
    build_pass_json,
    build_pkpass,
    decode_pass_strings,
    wallet_pass,
)
from tests.passes.helpers import PASS_TYPE, TEAM, make_spec, unzip
from tests.support.phone import check_pkpass_like_a_phone


def test_built_pass_opens_like_on_a_phone(spec: StoreCardSpec, signer: PassSigner) -> None:
    pass_json = check_pkpass_like_a_phone(
        build_pkpass(spec, signer), pass_type_identifier=PASS_TYPE, team_identifier=TEAM
    )
    assert pass_json["serialNumber"] == spec.serial_number


def test_pass_json_carries_the_card(spec: StoreCardSpec, signer: PassSigner) -> None:
    data = json.loads(unzip(build_pkpass(spec, signer))["pass.json"])
    assert data["formatVersion"] == 1
    assert data["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": "TES-0001-2345",
            "messageEncoding": "iso-8859-1",
            "altText": "TES 0001 2345",
        }
    ]
    assert data["barcode"] == data["barcodes"][0]
    card = data["storeCard"]
    assert card["headerFields"] == [
        {"key": "points", "value": 120, "label": "points_label", "changeMessage": "points_changed"}
    ]
    assert card["primaryFields"][0]["value"] == "Maria Bianchi"
    assert card["secondaryFields"][0] == {"key": "tier", "value": "Gold", "label": "tier_label"}
    assert [field["key"] for field in card["backFields"]] == ["terms", "contact"]
    assert data["sharingProhibited"] is True
    assert data["webServiceURL"] == "https://cards.example.com/passkit"
    assert data["authenticationToken"] == spec.authentication_token
    assert data["backgroundColor"] == "rgb(107, 62, 38)"
    assert data["foregroundColor"] == "rgb(255, 244, 230)"
    assert data["labelColor"] == "rgb(240, 200, 160)"
    assert "voided" not in data and "suppressStripShine" not in data


def test_change_message_with_placeholder_inline(signer: PassSigner) -> None:
    header = (PassField("points", "Points", 7, "Points: %@", "PKTextAlignmentRight"),)
    data = json.loads(unzip(build_pkpass(make_spec(header_fields=header), signer))["pass.json"])
    assert data["storeCard"]["headerFields"][0] == {
        "key": "points",
        "value": 7,
        "label": "Points",
        "changeMessage": "Points: %@",
        "textAlignment": "PKTextAlignmentRight",
    }


def test_pass_strings_are_utf16_with_the_labels(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    italian, english = files["it.lproj/pass.strings"], files["en.lproj/pass.strings"]
    assert italian.startswith(b"\xff\xfe") and english.startswith(b"\xff\xfe")
    assert decode_pass_strings(italian)["points_label"] == "Punti"
    assert decode_pass_strings(english)["points_changed"] == "You now have %@ points"
    assert italian[2:].decode("utf-16-le").startswith('"card_label" = "Tessera";\n')


def test_archive_is_stored_deterministic_and_ordered(spec: StoreCardSpec, signer: PassSigner) -> None:
    first, second = build_pkpass(spec, signer), build_pkpass(spec, signer)
    with zipfile.ZipFile(io.BytesIO(first)) as opened:
        infos = opened.infolist()
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    names = [info.filename for info in infos]
    assert names[-3:] == ["pass.json", "manifest.json", "signature"]
    assert names[0] == "icon.png"
    one, two = unzip(first), unzip(second)
    assert {name: body for name, body in one.items() if name != "signature"} == {
        name: body for name, body in two.items() if name != "signature"
    }


def test_dates_are_w3c_with_offset(signer: PassSigner) -> None:
    rome = timezone(timedelta(hours=2))
    spec = make_spec(
        expiration_date=datetime(2030, 6, 1, 23, 59, 30, 123456, tzinfo=rome),
        relevant_date=datetime(2030, 1, 1, tzinfo=timezone.utc),
        voided=True,
        user_info={"member_id": 42},
    )
    data = build_pass_json(spec)
    assert data["expirationDate"] == "2030-06-01T23:59:30+02:00"
    assert data["relevantDate"] == "2030-01-01T00:00:00+00:00"
    assert data["voided"] is True and data["userInfo"] == {"member_id": 42}
    build_pkpass(spec, signer)


def test_naive_dates_and_bad_colours_are_refused_together() -> None:
    with pytest.raises(InvalidPass) as raised:
        build_pass_json(make_spec(expiration_date=datetime(2030, 1, 1), background_color="brown"))
    assert len(raised.value.errors) == 2
    assert "expiration_date" in raised.value.errors[1] and "time zone" in raised.value.errors[1]
    assert "background_color" in raised.value.errors[0]


def test_every_problem_is_reported_and_nothing_is_signed(signer: PassSigner) -> None:
    images = dict(make_spec().images)
    del images["icon@2x.png"]
    images["logo.png"] = images["logo@3x.png"]
    bad = make_spec(
        serial_number="short",
        authentication_token="tiny",
        web_service_url="http://cards.example.com/passkit",
        header_fields=(PassField("points", "Points", 1, "Points changed"),),
        images=images,
        pass_type_identifier="pass.com.other",
    )
    with pytest.raises(InvalidPass) as raised:
        build_pkpass(bad, signer)
    text = "\n".join(raised.value.errors)
    for expected in (
        "serialNumber is 5 characters, expected at least 16",
        "authenticationToken must be a string of at least 16 characters",
        "webServiceURL http://cards.example.com/passkit must use https",
        "field 'points' changeMessage 'Points changed' must contain %@",
        "the pass has no icon@2x.png",
        "logo.png is 150x150 px, expected at most 160x50",
        "passTypeIdentifier 'pass.com.other' does not match the signing certificate's 'pass.dev.tessera.example'",
    ):
        assert expected in text
    assert len(raised.value.errors) == 7


def test_http_web_service_is_accepted_for_development(signer: PassSigner) -> None:
    spec = make_spec(web_service_url="http://127.0.0.1:5000/passkit")
    with pytest.raises(InvalidPass):
        build_pkpass(spec, signer)
    data = build_pkpass(spec, signer, allow_http=True)
    check_pkpass_like_a_phone(data, pass_type_identifier=PASS_TYPE, team_identifier=TEAM, allow_http=True)


def test_unknown_image_names_are_refused(signer: PassSigner) -> None:
    spec = make_spec(images={**make_spec().images, "banner.png": make_spec().images["icon.png"], "../x.png": b""})
    with pytest.raises(InvalidPass) as raised:
        build_pkpass(spec, signer)
    assert "banner.png is not an image Wallet shows (icon, logo, strip, ...)" in raised.value.errors
    assert any(error.startswith("../x.png is not an image") for error in raised.value.errors)


def test_wallet_py3k_model_gives_the_same_pass_json() -> None:
    spec = make_spec(voided=True, expiration_date=datetime(2031, 1, 1, tzinfo=timezone.utc), user_info={"a": 1})
    assert wallet_pass(spec).json_dict() == build_pass_json(spec)
    assert json.loads(json.dumps(wallet_pass(make_spec()).json_dict())) == build_pass_json(make_spec())
    styled = make_spec(back_fields=(PassField("since", "since", "2026-11-08T14:05:00+01:00", date_style="PKDateStyleMedium",
                                              time_style="PKDateStyleNone", ignores_time_zone=True),),
                       header_fields=(PassField("points", "points_label", 1200, number_style="PKNumberStyleDecimal"),))
    assert wallet_pass(styled).json_dict() == build_pass_json(styled)
    since = build_pass_json(styled)["storeCard"]["backFields"][0]
    assert (since["dateStyle"], since["timeStyle"], since["ignoresTimeZone"]) == ("PKDateStyleMedium", "PKDateStyleNone", True)


def test_shared_files_are_hashed_once_and_changes_are_seen(signer: PassSigner) -> None:
    images = dict(make_spec().images)
    spec = make_spec(images=images)
    assert archive.cached_entry("icon.png", images["icon.png"]) is archive.cached_entry(
        "icon.png", bytes(images["icon.png"])
    )
    before = unzip(build_pkpass(spec, signer))
    images["logo.png"] = images["icon.png"]  # changed in place: the same dict object must not serve stale files
    after = unzip(build_pkpass(spec, signer))
    assert before["logo.png"] != after["logo.png"] == images["icon.png"]
    assert json.loads(after["manifest.json"])["logo.png"] == json.loads(after["manifest.json"])["icon.png"]


def test_localizations_must_define_the_same_keys(signer: PassSigner) -> None:
    tables = {"it": {"points_label": "Punti"}, "en": {"points_label": "Points", "tier_label": "Tier"}}
    with pytest.raises(InvalidPass) as raised:
        build_pkpass(make_spec(localizations=tables, header_fields=(), secondary_fields=()), signer)
    assert "it.lproj/pass.strings lacks tier_label, defined for other languages" in raised.value.errors


def test_barcode_message_must_fit_its_encoding(signer: PassSigner) -> None:
    with pytest.raises(InvalidPass) as raised:
        build_pkpass(make_spec(barcode_message="TES-€-1"), signer)
    assert any("barcodes[0] message cannot be written in 'iso-8859-1'" in error for error in raised.value.errors)


def test_spec_is_a_plain_value() -> None:
    spec = make_spec()
    assert replace(spec, serial_number="X" * 16).serial_number == "X" * 16
    assert make_spec() == make_spec()
