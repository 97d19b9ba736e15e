from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from PIL import Image

from passes.apple import (
    PassSigner,
    StoreCardSpec,
    archive,
    build_pass_json,
    build_pkpass,
    validate_pass_json,
    validate_pkpass,
)
from passes.apple.strings import encode_pass_strings
from tests.passes.helpers import PASS_TYPE, TEAM, make_spec, manifest_for, rezip, unzip

DETACHED = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]


def good_pass_json() -> dict[str, Any]:
    return build_pass_json(make_spec())


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_good_pass_json_has_no_problems() -> None:
    assert validate_pass_json(good_pass_json(), localizations=make_spec().localizations) == []


def test_five_broken_rules_are_reported_at_once() -> None:
    data = good_pass_json()
    data["formatVersion"] = 2
    data["serialNumber"] = "123"
    data["backgroundColor"] = "rgb(300, 0, 0)"
    data["expirationDate"] = "2022-03-05T13:30:00 11:00"
    data["storeCard"]["auxiliaryFields"].append({"key": "points", "label": "again"})
    assert validate_pass_json(data, localizations=make_spec().localizations) == [
        "pass.json formatVersion is 2, expected 1",
        "serialNumber is 3 characters, expected at least 16",
        "backgroundColor 'rgb(300, 0, 0)' is not a colour of the form rgb(r, g, b) with values 0-255",
        "expirationDate '2022-03-05T13:30:00 11:00' is not a W3C date with a time zone offset",
        "field key 'points' is used twice (in headerFields and auxiliaryFields)",
        "field 'points' has no value (a string, number or date is required)",
    ]


def test_structure_rules() -> None:
    data = good_pass_json()
    del data["description"], data["barcodes"]
    data["authenticationToken"] = "x" * 16
    del data["webServiceURL"]
    data["coupon"] = {}
    data["barcode"]["format"] = "PKBarcodeFormatCode128"
    errors = validate_pass_json(data)
    assert "pass.json has no description" in errors
    assert "pass.json has no barcodes array (iOS 9 and later read only that)" in errors
    assert "authenticationToken is set but webServiceURL is missing" in errors
    assert any(error.startswith("pass.json must have exactly one pass style") for error in errors)
    assert any(error.startswith("barcode format 'PKBarcodeFormatCode128' is not one of") for error in errors)


def test_field_rules() -> None:
    data = good_pass_json()
    card = data["storeCard"]
    card["headerFields"][0]["changeMessage"] = "no placeholder"
    card["primaryFields"][0]["textAlignment"] = "middle"
    card["secondaryFields"].append({"value": "no key"})
    card["auxiliaryFields"].append({"key": "when", "value": "tomorrow", "dateStyle": "PKDateStyleShort"})
    errors = validate_pass_json(data)
    assert "field 'points' changeMessage 'no placeholder' must contain %@ for the new value" in errors
    assert any(error.startswith("field 'member' textAlignment 'middle' is not one of") for error in errors)
    assert "secondaryFields[1] has no key" in errors
    assert "field 'when' has a dateStyle but its value 'tomorrow' is not a W3C date with an offset" in errors


def test_change_message_may_be_a_localized_key() -> None:
    data = good_pass_json()
    tables = make_spec().localizations
    assert validate_pass_json(data, localizations=tables) == []
    missing = {"it": {"points_changed": "Punti cambiati"}, "en": tables["en"]}
    assert validate_pass_json(data, localizations=missing) == [
        "field 'points' changeMessage 'points_changed' must contain %@ for the new value"
    ]


def test_web_service_rules() -> None:
    data = good_pass_json()
    data["webServiceURL"] = "http://127.0.0.1:5000/passkit"
    data["authenticationToken"] = "short"
    tables = make_spec().localizations
    assert validate_pass_json(data, allow_http=True, localizations=tables) == [
        "authenticationToken must be a string of at least 16 characters"
    ]
    assert "webServiceURL http://127.0.0.1:5000/passkit must use https (http is accepted only in development)" in (
        validate_pass_json(data)
    )
    data["webServiceURL"] = "ftp://example.com"
    assert "webServiceURL 'ftp://example.com' is not an https URL" in validate_pass_json(data, allow_http=True)


def test_a_built_pass_validates(spec: StoreCardSpec, signer: PassSigner) -> None:
    data = build_pkpass(spec, signer)
    assert validate_pkpass(data, expected_pass_type=PASS_TYPE, expected_team=TEAM) == []


def test_tampered_pass_json_is_caught(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["pass.json"] = files["pass.json"].replace(b'"value":120', b'"value":999')
    errors = validate_pkpass(archive.zip_stored(list(files.items())))
    assert errors == ["pass.json does not match its SHA-1 in manifest.json (changed after signing?)"]


def test_files_and_manifest_must_cover_each_other(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    manifest = json.loads(files["manifest.json"])
    manifest["ghost.png"] = "0" * 40
    files["extra.txt"] = b"hello"
    resigned = rezip(files, signer.sign, json.dumps(manifest).encode())
    errors = validate_pkpass(resigned)
    assert "manifest.json lists ghost.png but the archive has no such file" in errors
    assert "extra.txt is not listed in manifest.json" in errors


def test_signature_over_another_manifest_is_caught(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["signature"] = signer.sign(b"{}")
    errors = validate_pkpass(archive.zip_stored(list(files.items())))
    assert errors == ["signature was made over a different manifest.json (messageDigest does not match)"]


def test_text_mode_signature_breaks_on_newlines(spec: StoreCardSpec, signer: PassSigner) -> None:
    # Without the Binary option the builder signs CRLF line endings, not the manifest's LF.
    files = unzip(build_pkpass(spec, signer))
    manifest = json.dumps(json.loads(files["manifest.json"]), indent=1).encode()
    text_mode = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(signer.certificate, signer._key, hashes.SHA256())  # noqa: SLF001
        .add_certificate(signer.wwdr_certificate)
        .sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    )
    assert validate_pkpass(rezip(files, lambda _: text_mode, manifest)) == [
        "signature was made over a different manifest.json (messageDigest does not match)"
    ]
    assert validate_pkpass(rezip(files, signer.sign, manifest)) == []


def test_signature_without_signing_time_or_wwdr_is_caught(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    key = signer._key  # noqa: SLF001

    def bare(manifest: bytes) -> bytes:
        builder = pkcs7.PKCS7SignatureBuilder().set_data(manifest).add_signer(signer.certificate, key, hashes.SHA256())
        return builder.sign(Encoding.DER, [*DETACHED, pkcs7.PKCS7Options.NoAttributes])

    errors = validate_pkpass(rezip(files, bare))
    assert "signature has no signed attributes, so no signing time; Wallet refuses it" in errors
    assert "the signature does not include the WWDR certificate that issued the signing certificate" in errors


def test_certificate_must_match_pass_json(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    data = json.loads(files["pass.json"])
    data["passTypeIdentifier"], data["teamIdentifier"] = "pass.com.other", "OTHERTEAM1"
    files["pass.json"] = json.dumps(data).encode()
    errors = validate_pkpass(rezip(files, signer.sign), expected_pass_type=PASS_TYPE)
    assert "pass.json passTypeIdentifier is 'pass.com.other', expected 'pass.dev.tessera.example'" in errors
    for where in ("subject CN", "subject UID", "extension 1.2.840.113635.100.6.1.16"):
        claim = f"the signing certificate is for pass type '{PASS_TYPE}' ({where})"
        assert f"{claim} but pass.json says 'pass.com.other'" in errors
    assert "the signing certificate belongs to team 'TESSERA000' (OU) but pass.json says 'OTHERTEAM1'" in errors


def test_expired_certificates_are_reported(spec: StoreCardSpec, signer: PassSigner) -> None:
    later = datetime(2100, 1, 1, tzinfo=timezone.utc)
    errors = validate_pkpass(build_pkpass(spec, signer), now=later)
    assert len(errors) == 2
    assert errors[0].startswith("the signing certificate expired on ")
    assert errors[1].startswith("the WWDR certificate expired on ")


def test_images_are_checked_by_pixel_size_and_format(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["icon@2x.png"] = png(60, 60)
    files["logo@3x.png"] = png(481, 150)
    files["strip.png"] = b"GIF89a not a png"
    errors = validate_pkpass(rezip(files, signer.sign))
    assert errors == [
        "icon@2x.png is 60x60 px, expected 58x58",
        "logo@3x.png is 481x150 px, expected at most 480x150",
        "strip.png is not a PNG image",
    ]


def test_missing_and_miscased_files(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["Icon.png"] = files.pop("icon.png")
    del files["icon@2x.png"]
    errors = validate_pkpass(rezip(files, signer.sign))
    assert "Icon.png must be named icon.png (names are case-sensitive on the phone)" in errors
    assert "the archive has no icon@2x.png" in errors


def test_pass_strings_must_be_utf16_and_agree(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["it.lproj/pass.strings"] = '"points_label" = "Punti";'.encode()
    files["de.lproj/pass.strings"] = encode_pass_strings({"points_label": "Punkte"})
    errors = validate_pkpass(rezip(files, signer.sign))
    assert "it.lproj/pass.strings is not UTF-16 (it has no byte-order mark)" in errors
    assert any(error.startswith("de.lproj/pass.strings lacks card_label, contact_label") for error in errors)


def test_not_a_zip() -> None:
    assert validate_pkpass(b"not a zip")[0].startswith("the archive is not a readable zip file")


def test_broken_signature_bytes(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["signature"] = b"\x30\x03\x02\x01\x01"
    files["manifest.json"] = manifest_for(files)
    errors = validate_pkpass(archive.zip_stored(list(files.items())))
    assert len(errors) == 1 and errors[0].startswith("signature is not a readable PKCS#7 signature")
