"""The committed example chain: identifiers where Apple puts them, clearly fake, long-lived."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import ModuleType

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from passes.apple import EXAMPLE_MARKER
from passes.apple.signing import load_certificate
from tests.passes.helpers import CERTS, PASS_TYPE, TEAM


def test_pass_certificate_is_laid_out_like_apples() -> None:
    certificate = load_certificate(CERTS / "pass.pem")
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == PASS_TYPE
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"Pass Type ID: {PASS_TYPE}"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == TEAM
    extension = certificate.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.2.840.113635.100.6.1.16"))
    assert not extension.critical
    assert isinstance(extension.value, x509.UnrecognizedExtension)
    assert extension.value.value == b"\x0c\x18" + PASS_TYPE.encode()
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]


def test_every_certificate_is_marked_fake_and_long_lived() -> None:
    in_ten_years = datetime.now(timezone.utc) + timedelta(days=3650)
    for name in ("root.pem", "wwdr.pem", "pass.pem"):
        certificate = load_certificate(CERTS / name)
        assert certificate.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == EXAMPLE_MARKER
        assert certificate.not_valid_after_utc > in_ten_years
    wwdr = load_certificate(CERTS / "wwdr.pem")
    assert "NOT APPLE" in wwdr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert wwdr.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "G4"


def test_generator_agrees_with_the_library(generator: ModuleType) -> None:
    assert generator.MARKER == EXAMPLE_MARKER
    assert (generator.PASS_TYPE_IDENTIFIER, generator.TEAM_IDENTIFIER) == (PASS_TYPE, TEAM)
    assert (CERTS / "pass.key").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
