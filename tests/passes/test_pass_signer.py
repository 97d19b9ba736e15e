from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from passes.apple import PassSigner, SigningError
from passes.apple.cms import OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME, verify_detached
from tests.passes.helpers import CERTS, PASS_TYPE, PASSWORD, TEAM

NOW = datetime.now(timezone.utc)


def write_chain(generator: ModuleType, folder: Path, chain: Any, password: str = PASSWORD) -> dict[str, Path]:
    generator.write_chain(chain, folder, password)
    return {name: folder / name for name in ("root.pem", "wwdr.pem", "pass.pem", "pass.key", "pass.p12")}


def load(paths: dict[str, Path], **overrides: Any) -> PassSigner:
    options: dict[str, Any] = {"password": PASSWORD, "pass_type_identifier": PASS_TYPE, "team_identifier": TEAM}
    options.update(overrides)
    return PassSigner.from_files(paths["pass.pem"], paths["pass.key"], paths["wwdr.pem"], **options)


@pytest.fixture(scope="module")
def example() -> dict[str, Path]:
    return {name: CERTS / name for name in ("root.pem", "wwdr.pem", "pass.pem", "pass.key", "pass.p12")}


def test_example_material_loads_and_is_marked(example: dict[str, Path]) -> None:
    signer = load(example)
    assert signer.pass_type_identifier == PASS_TYPE and signer.team_identifier == TEAM
    assert signer.is_example
    assert signer.not_after - NOW > timedelta(days=365 * 10)
    assert signer.days_left() > 3650


def test_pkcs12_bundle_loads_with_or_without_a_wwdr_file(example: dict[str, Path]) -> None:
    bundled = PassSigner.from_pkcs12(
        example["pass.p12"], password=PASSWORD, pass_type_identifier=PASS_TYPE, team_identifier=TEAM
    )
    separate = PassSigner.from_pkcs12(
        example["pass.p12"],
        password=PASSWORD,
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
        wwdr=example["wwdr.pem"],
    )
    assert bundled.certificate == separate.certificate == load(example).certificate
    assert bundled.wwdr_certificate == separate.wwdr_certificate


def test_signature_is_detached_binary_with_signing_time(example: dict[str, Path], tmp_path: Path) -> None:
    signer = load(example)
    manifest = b'{\n  "pass.json": "abc"\n}\n'  # newlines: the Binary option must keep them as LF
    before = datetime.now(timezone.utc).replace(microsecond=0)
    signature = signer.sign(manifest)
    after = datetime.now(timezone.utc)
    check = verify_detached(signature, manifest)
    assert check.errors == []
    assert check.signing_time is not None and before <= check.signing_time <= after
    assert [cert.subject for cert in check.certificates].count(signer.wwdr_certificate.subject) == 1
    (tmp_path / "signature").write_bytes(signature)
    (tmp_path / "manifest.json").write_bytes(manifest)
    result = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "signature"),
            "-content",
            str(tmp_path / "manifest.json"),
            "-CAfile",
            str(example["root.pem"]),
            "-purpose",
            "any",
            "-out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    asn1 = subprocess.run(
        ["openssl", "asn1parse", "-inform", "DER", "-in", str(tmp_path / "signature")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "signingTime" in asn1 and "sha256" in asn1
    # Exactly the attributes Wallet reads; no S/MIME capabilities (mail-client cipher lists).
    assert sorted(check.attributes) == sorted([OID_CONTENT_TYPE, OID_SIGNING_TIME, OID_MESSAGE_DIGEST])


def test_wrong_pass_type_is_refused(example: dict[str, Path]) -> None:
    with pytest.raises(SigningError) as raised:
        load(example, pass_type_identifier="pass.com.other")
    assert str(raised.value) == (
        f"Certificate {example['pass.pem']} is for pass type 'pass.dev.tessera.example' (subject CN), "
        "not the configured 'pass.com.other'."
    )


def test_wrong_team_is_refused(example: dict[str, Path]) -> None:
    with pytest.raises(
        SigningError, match=r"belongs to team 'TESSERA000' \(subject OU\), not the configured 'ABCDE12345'"
    ):
        load(example, team_identifier="ABCDE12345")


def test_a_key_from_another_certificate_is_refused(
    example: dict[str, Path], generator: ModuleType, tmp_path: Path
) -> None:
    other = tmp_path / "other.key"
    other.write_bytes(generator.encrypted_key(generator.new_key()))
    with pytest.raises(SigningError) as raised:
        load({**example, "pass.key": other})
    assert str(raised.value) == f"Private key {other} does not belong to certificate {example['pass.pem']}."


def test_wrong_password_names_the_file_not_the_password(example: dict[str, Path]) -> None:
    with pytest.raises(SigningError) as raised:
        load(example, password="hunter2-wrong")
    message = str(raised.value)
    assert message == f"Cannot decrypt private key {example['pass.key']}: the password is wrong."
    assert "hunter2" not in message
    with pytest.raises(SigningError) as raised:
        PassSigner.from_pkcs12(
            example["pass.p12"], password="hunter2-wrong", pass_type_identifier=PASS_TYPE, team_identifier=TEAM
        )
    assert str(example["pass.p12"]) in str(raised.value) and "hunter2" not in str(raised.value)


def test_missing_password_and_unreadable_files(example: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="is encrypted but no password was given"):
        load(example, password=None)
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(SigningError) as raised:
        load({**example, "pass.pem": missing})
    assert str(raised.value) == f"Cannot read certificate {missing}: No such file or directory."
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(SigningError, match="is not a PEM or DER certificate"):
        load({**example, "wwdr.pem": garbage})


def test_a_plain_key_and_der_certificate_are_accepted(
    example: dict[str, Path], generator: ModuleType, tmp_path: Path
) -> None:
    chain = generator.make_chain()
    paths = write_chain(generator, tmp_path, chain)
    plain = chain.pass_.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths["pass.key"].write_bytes(plain)
    paths["pass.pem"].write_bytes(chain.pass_.certificate.public_bytes(serialization.Encoding.DER))
    assert load(paths, password=None).is_example
    assert load(paths, password="ignored-for-a-plain-key").is_example


def test_expired_and_not_yet_valid_certificates_are_refused(generator: ModuleType, tmp_path: Path) -> None:
    root = generator.make_root(NOW - timedelta(days=800), NOW + timedelta(days=800))
    wwdr = generator.make_wwdr(root, NOW - timedelta(days=800), NOW + timedelta(days=800))
    expired = generator.make_pass_certificate(wwdr, NOW - timedelta(days=400), NOW - timedelta(days=1))
    chain = generator.Chain(root, wwdr, expired)
    paths = write_chain(generator, tmp_path, chain)
    with pytest.raises(SigningError, match=rf"^Certificate {paths['pass.pem']} expired on \d{{4}}-\d\d-\d\d"):
        load(paths)
    future = generator.make_pass_certificate(wwdr, NOW + timedelta(days=1), NOW + timedelta(days=400))
    paths = write_chain(generator, tmp_path, generator.Chain(root, wwdr, future))
    with pytest.raises(SigningError, match="is not valid before"):
        load(paths)


def test_certificate_from_another_wwdr_is_refused(
    example: dict[str, Path], generator: ModuleType, tmp_path: Path
) -> None:
    stranger = write_chain(generator, tmp_path, generator.make_chain(years=1))
    with pytest.raises(SigningError, match=r"was not issued by the WWDR certificate"):
        load({**example, "wwdr.pem": stranger["wwdr.pem"]})


def test_identifiers_are_checked_in_every_place_apple_puts_them(generator: ModuleType, tmp_path: Path) -> None:
    chain = generator.make_chain(years=1)
    # CN and UID say the configured pass type, Apple's extension another one: refuse.
    key = generator.new_key()
    other = "pass.dev.tessera.other".encode()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.USER_ID, PASS_TYPE),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {PASS_TYPE}"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEAM),
                ]
            )
        )
        .issuer_name(chain.wwdr.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(
            x509.UnrecognizedExtension(generator.PASS_TYPE_OID, bytes([0x0C, len(other)]) + other), critical=False
        )
        .sign(chain.wwdr.key, hashes.SHA256())
    )
    paths = write_chain(
        generator, tmp_path, generator.Chain(chain.root, chain.wwdr, generator.Issued(certificate, key))
    )
    with pytest.raises(SigningError) as raised:
        load(paths)
    assert "is for pass type 'pass.dev.tessera.other' (extension 1.2.840.113635.100.6.1.16)" in str(raised.value)


def test_a_chain_without_the_marker_is_not_example(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator, "MARKER", "Somebody Real Ltd")
    paths = write_chain(generator, tmp_path, generator.make_chain(years=1, organization="Somebody Real Ltd"))
    assert not load(paths).is_example


def test_a_legacy_keychain_style_bundle_loads(example: dict[str, Path], tmp_path: Path) -> None:
    bundle = tmp_path / "Certificates.p12"
    made = subprocess.run(
        ["openssl", "pkcs12", "-export", "-legacy", "-in", str(example["pass.pem"]), "-inkey", str(example["pass.key"]),
         "-passin", f"pass:{PASSWORD}", "-passout", "pass:keychain", "-out", str(bundle)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"this openssl cannot write legacy bundles: {made.stderr.strip()}")
    signer = PassSigner.from_pkcs12(
        bundle, password="keychain", pass_type_identifier=PASS_TYPE, team_identifier=TEAM, wwdr=example["wwdr.pem"]
    )
    assert signer.is_example
