"""Throw-away keys and certificates minted at test time, written into a temporary folder."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class ServerFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path


def mint_server_certificate(folder: Path, *, name: str = "APNs stand-in") -> ServerFiles:
    """A CA and a localhost server certificate it signed (SAN IP:127.0.0.1 and DNS:localhost)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{name} test CA")
    ca = _builder(ca_name, ca_name, ca_key.public_key(), days=2)
    ca = ca.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    ca = ca.add_extension(_key_usage(cert_sign=True), critical=True)
    ca_cert = ca.sign(ca_key, hashes.SHA256())

    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _builder(_name(name), ca_name, key.public_key(), days=1)
    leaf = leaf.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    leaf = leaf.add_extension(_key_usage(cert_sign=False), critical=True)
    leaf = leaf.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    leaf = leaf.add_extension(x509.SubjectAlternativeName(san), critical=False)
    leaf_cert = leaf.sign(ca_key, hashes.SHA256())

    files = ServerFiles(folder / "standin-ca.pem", folder / "standin.pem", folder / "standin.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(_pem(key))
    return files


def write_p8_key(path: Path) -> ec.EllipticCurvePublicKey:
    """A P-256 key in the unencrypted PKCS#8 PEM form Apple's `.p8` downloads use."""
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(_pem(key))
    return key.public_key()


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, *, days: int
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
