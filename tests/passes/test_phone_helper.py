"""The phone check itself must fail on what a phone would refuse."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from passes.apple import PassSigner, StoreCardSpec, archive, build_pkpass
from tests.passes.helpers import PASS_TYPE, TEAM, make_spec, rezip, unzip
from tests.support.phone import check_pkpass_like_a_phone


def check(data: bytes, **options: bool) -> dict[str, object]:
    return check_pkpass_like_a_phone(data, pass_type_identifier=PASS_TYPE, team_identifier=TEAM, **options)


def test_a_good_pass_passes(spec: StoreCardSpec, signer: PassSigner) -> None:
    assert check(build_pkpass(spec, signer))["organizationName"] == "Caffè Rossi"


def test_tampered_pass_json_fails(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    files["pass.json"] = files["pass.json"].replace(b"Maria", b"Mario")
    with pytest.raises(AssertionError, match="pass.json does not match its manifest hash"):
        check(archive.zip_stored(list(files.items())))


def test_wrong_image_size_fails_even_when_signed(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    buffer = io.BytesIO()
    Image.new("RGB", (60, 60)).save(buffer, format="PNG")
    files["icon@2x.png"] = buffer.getvalue()
    with pytest.raises(AssertionError, match=r"icon@2x.png is 60x60 px, expected 58x58"):
        check(rezip(files, signer.sign))


def test_missing_manifest_entry_fails_even_when_signed(spec: StoreCardSpec, signer: PassSigner) -> None:
    files = unzip(build_pkpass(spec, signer))
    manifest = json.loads(files["manifest.json"])
    del manifest["logo@2x.png"]
    with pytest.raises(AssertionError, match="logo@2x.png is not listed in manifest.json"):
        check(rezip(files, signer.sign, json.dumps(manifest).encode()))


def test_signature_from_an_untrusted_chain_fails(spec: StoreCardSpec, signer: PassSigner, generator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = generator.make_chain(years=1)
    generator.write_chain(other, tmp_path)
    stranger = PassSigner.from_files(
        tmp_path / "pass.pem",
        tmp_path / "pass.key",
        tmp_path / "wwdr.pem",
        password="tessera-example",
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
    )
    with pytest.raises(AssertionError, match="openssl cms -verify failed"):
        check(build_pkpass(spec, stranger))
    check(build_pkpass(spec, stranger), root=tmp_path / "root.pem", wwdr=tmp_path / "wwdr.pem")


def test_http_web_service_is_only_for_development(signer: PassSigner) -> None:
    data = build_pkpass(make_spec(web_service_url="http://127.0.0.1:5000/passkit"), signer, allow_http=True)
    assert check(data)["webServiceURL"] == "http://127.0.0.1:5000/passkit"
    with pytest.raises(AssertionError, match="must use https"):
        check(data, allow_http=False)
