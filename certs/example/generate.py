"""Regenerate the fake signing chain in this folder.

    .venv/bin/python certs/example/generate.py [--out DIR] [--years N]

A root CA, an intermediate standing in for Apple's WWDR G4 and a Pass Type ID certificate laid
out the way Apple issues them, every name marked "(NOT APPLE)". Phones will never trust these;
they exist so the service, its tests and its benchmarks can sign passes out of the box.
The functions are importable so tests can mint variants (expired, other team, other key).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

MARKER = "Tessera Example (NOT APPLE)"  # passes.apple.signing.EXAMPLE_MARKER
PASS_TYPE_IDENTIFIER = "pass.dev.tessera.example"
TEAM_IDENTIFIER = "TESSERA000"
PASSWORD = "tessera-example"
PASS_TYPE_OID = ObjectIdentifier("1.2.840.113635.100.6.1.16")
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class Chain:
    root: Issued
    wwdr: Issued
    pass_: Issued


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*pairs: tuple[ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def _builder(
    subject: x509.Name, issuer: Issued | None, key: rsa.RSAPrivateKey, start: datetime, end: datetime
) -> x509.CertificateBuilder:
    public = key.public_key()
    issuer_name = issuer.certificate.subject if issuer else subject
    issuer_public = issuer.key.public_key() if issuer else public
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False)
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _signing_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def make_root(start: datetime, end: datetime) -> Issued:
    key = new_key()
    subject = _name(
        (NameOID.COMMON_NAME, "Tessera Example Root CA (NOT APPLE)"),
        (NameOID.ORGANIZATION_NAME, MARKER),
        (NameOID.COUNTRY_NAME, "IT"),
    )
    builder = _builder(subject, None, key, start, end)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    builder = builder.add_extension(_ca_usage(), critical=True)
    return Issued(builder.sign(key, hashes.SHA256()), key)


def make_wwdr(root: Issued, start: datetime, end: datetime) -> Issued:
    key = new_key()
    subject = _name(
        (NameOID.COMMON_NAME, "Example Worldwide Developer Relations CA (NOT APPLE)"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
        (NameOID.ORGANIZATION_NAME, MARKER),
        (NameOID.COUNTRY_NAME, "IT"),
    )
    builder = _builder(subject, root, key, start, end)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    builder = builder.add_extension(_ca_usage(), critical=True)
    return Issued(builder.sign(root.key, hashes.SHA256()), key)


def make_pass_certificate(
    wwdr: Issued,
    start: datetime,
    end: datetime,
    *,
    pass_type_identifier: str = PASS_TYPE_IDENTIFIER,
    team_identifier: str = TEAM_IDENTIFIER,
    organization: str = MARKER,
    key: rsa.RSAPrivateKey | None = None,
) -> Issued:
    """Subject and extensions where Apple puts them: UID, CN, OU and the pass-type OID."""
    key = key or new_key()
    subject = _name(
        (NameOID.USER_ID, pass_type_identifier),
        (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_identifier}"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, team_identifier),
        (NameOID.ORGANIZATION_NAME, organization),
        (NameOID.COUNTRY_NAME, "IT"),
    )
    utf8 = pass_type_identifier.encode()
    builder = _builder(subject, wwdr, key, start, end)
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(_signing_usage(), critical=True)
    # clientAuth because the same certificate authenticates to APNs over TLS.
    builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    extension = x509.UnrecognizedExtension(PASS_TYPE_OID, bytes([0x0C, len(utf8)]) + utf8)
    builder = builder.add_extension(extension, critical=False)
    return Issued(builder.sign(wwdr.key, hashes.SHA256()), key)


def make_chain(years: int = 20, now: datetime | None = None, **pass_options: str) -> Chain:
    start = (now or datetime.now(timezone.utc)).replace(microsecond=0) - timedelta(days=1)
    end = start + timedelta(days=365 * years + years // 4 + 1)
    root = make_root(start, end)
    wwdr = make_wwdr(root, start, end)
    return Chain(root, wwdr, make_pass_certificate(wwdr, start, end, **pass_options))


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def encrypted_key(key: rsa.RSAPrivateKey, password: str = PASSWORD) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )


def write_chain(chain: Chain, directory: Path, password: str = PASSWORD) -> None:
    files = {
        "root.pem": pem(chain.root.certificate),
        "wwdr.pem": pem(chain.wwdr.certificate),
        "pass.pem": pem(chain.pass_.certificate),
        "pass.key": encrypted_key(chain.pass_.key, password),
        "pass.p12": pkcs12.serialize_key_and_certificates(
            b"Tessera example pass",
            chain.pass_.key,
            chain.pass_.certificate,
            [chain.wwdr.certificate],
            serialization.BestAvailableEncryption(password.encode()),
        ),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: this one)")
    parser.add_argument("--years", type=int, default=20, help="validity of every certificate")
    args = parser.parse_args()
    write_chain(make_chain(args.years), args.out)
    print(f"wrote root.pem wwdr.pem pass.pem pass.key pass.p12 to {args.out}")


if __name__ == "__main__":
    main()
