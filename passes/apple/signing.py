"""PassSigner: load the pass certificate, its key and the WWDR certificate once, sign many times.

Every check that would otherwise surface as "the pass won't open" on a phone (a key from another
certificate, a certificate for another pass type or team, an expired certificate) is made
here, at load time, and reported in one sentence naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7, pkcs12

from passes.apple import certinfo
from passes.apple.certinfo import EXAMPLE_MARKER

__all__ = ["EXAMPLE_MARKER", "PassSigner", "SigningError", "Sources", "load_certificate", "load_private_key"]

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
StrPath = str | PathLike[str]

# Binary stops the builder from rewriting LF as CRLF (S/MIME canonical text), which would make
# the signature cover bytes that are not the manifest.json in the archive. NoCapabilities drops
# the S/MIME capabilities attribute (the ciphers a mail client prefers), which Wallet never reads
# and which costs the builder a fifth of an RSA signature; the attributes Wallet does use stay:
# content type, signing time and the manifest's digest.
_OPTIONS = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoCapabilities]


class SigningError(Exception):
    """Signing material that cannot produce a pass a phone would accept."""


class Sources(NamedTuple):
    """How errors name the three inputs: file paths when loaded from files."""

    certificate: str = "the pass certificate"
    key: str = "the private key"
    wwdr: str = "the WWDR certificate"


_UNNAMED = Sources()


class PassSigner:
    def __init__(
        self,
        certificate: x509.Certificate,
        private_key: SigningKey,
        wwdr_certificate: x509.Certificate,
        *,
        pass_type_identifier: str,
        team_identifier: str,
        now: datetime | None = None,
        sources: Sources = _UNNAMED,
    ) -> None:
        _check_material(certificate, private_key, wwdr_certificate, pass_type_identifier, team_identifier, now, sources)
        self._certificate = certificate
        self._key = private_key
        self._wwdr = wwdr_certificate
        self._pass_type_identifier = pass_type_identifier
        self._team_identifier = team_identifier
        # Read once: every pass checks it, and the certificates never change.
        self._not_after = min(certificate.not_valid_after_utc, wwdr_certificate.not_valid_after_utc)
        # Builders are immutable: each pass adds its manifest to this one, which already holds
        # the checked signer. (set_data keeps the signers but drops added certificates, so the
        # WWDR certificate is added after it.)
        self._builder = pkcs7.PKCS7SignatureBuilder().add_signer(certificate, private_key, hashes.SHA256())

    @classmethod
    def from_files(
        cls,
        certificate: StrPath,
        key: StrPath,
        wwdr: StrPath,
        *,
        password: str | bytes | None,
        pass_type_identifier: str,
        team_identifier: str,
        now: datetime | None = None,
    ) -> PassSigner:
        """PEM or DER certificates and a PEM key (optionally encrypted)."""
        sources = Sources(str(certificate), str(key), str(wwdr))
        return cls(
            load_certificate(certificate),
            load_private_key(key, password),
            load_certificate(wwdr),
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            now=now,
            sources=sources,
        )

    @classmethod
    def from_pkcs12(
        cls,
        path: StrPath,
        *,
        password: str | bytes | None,
        pass_type_identifier: str,
        team_identifier: str,
        wwdr: StrPath | None = None,
        now: datetime | None = None,
    ) -> PassSigner:
        """A Keychain export; the WWDR certificate comes from ``wwdr`` or else from the bundle."""
        key, certificate, extra = _load_pkcs12(path, password)
        wwdr_certificate = load_certificate(wwdr) if wwdr else _issuer_among(certificate, extra, path)
        return cls(
            certificate,
            key,
            wwdr_certificate,
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            now=now,
            sources=Sources(str(path), str(path), str(wwdr or path)),
        )

    @property
    def pass_type_identifier(self) -> str:
        return self._pass_type_identifier

    @property
    def team_identifier(self) -> str:
        return self._team_identifier

    @property
    def not_after(self) -> datetime:
        """When the pass certificate expires (UTC); passes cannot be signed after that."""
        return self._not_after

    @property
    def is_example(self) -> bool:
        """True for the bundled fake chain in certs/example, which production refuses."""
        return certinfo.is_example(self._certificate) or certinfo.is_example(self._wwdr)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def wwdr_certificate(self) -> x509.Certificate:
        return self._wwdr

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until the chain stops signing, for expiry warnings."""
        return (self.not_after - (now or datetime.now(timezone.utc))).days

    def sign(self, manifest: bytes) -> bytes:
        """Detached DER PKCS#7 over the exact manifest bytes, with the WWDR certificate embedded."""
        return self._builder.set_data(manifest).add_certificate(self._wwdr).sign(Encoding.DER, _OPTIONS)


def load_certificate(path: StrPath) -> x509.Certificate:
    data = _read(path, "certificate")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise SigningError(f"{path} is not a PEM or DER certificate.") from None


def load_private_key(path: StrPath, password: str | bytes | None) -> SigningKey:
    data = _read(path, "private key")
    secret = password.encode() if isinstance(password, str) else password
    key: PrivateKeyTypes
    try:
        key = serialization.load_pem_private_key(data, secret or None)
    except TypeError:
        # Either an encrypted key without a password, or a password for a plain key.
        if not secret:
            raise SigningError(f"Private key {path} is encrypted but no password was given.") from None
        key = _load_plain_key(path, data)
    except ValueError:
        raise SigningError(_unreadable_key(path, data, bool(secret))) from None
    return _signing_key(key, path)


def _load_plain_key(path: StrPath, data: bytes) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(data, None)
    except (TypeError, ValueError):
        raise SigningError(f"Private key {path} cannot be read.") from None


def _unreadable_key(path: StrPath, data: bytes, has_password: bool) -> str:
    if b"ENCRYPTED" in data and has_password:
        return f"Cannot decrypt private key {path}: the password is wrong."
    return f"Private key {path} is not a PEM private key."


def _signing_key(key: object, path: StrPath) -> SigningKey:
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise SigningError(f"Private key {path} is neither RSA nor EC; Wallet needs one of those.")
    return key


def _load_pkcs12(
    path: StrPath, password: str | bytes | None
) -> tuple[SigningKey, x509.Certificate, list[x509.Certificate]]:
    data = _read(path, "PKCS#12 bundle")
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, secret or None)
    except ValueError:
        raise SigningError(f"Cannot open PKCS#12 bundle {path}: wrong password or not a .p12 file.") from None
    if key is None or certificate is None:
        raise SigningError(f"PKCS#12 bundle {path} must hold both the pass certificate and its private key.")
    return _signing_key(key, path), certificate, list(extra)


def _issuer_among(
    certificate: x509.Certificate, candidates: Sequence[x509.Certificate], path: StrPath
) -> x509.Certificate:
    for candidate in candidates:
        if candidate.subject == certificate.issuer:
            return candidate
    raise SigningError(f"PKCS#12 bundle {path} has no WWDR certificate; pass the WWDR certificate file too.")


def _read(path: StrPath, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SigningError(f"Cannot read {what} {path}: {error.strerror or error}.") from None


def _check_material(
    certificate: x509.Certificate,
    key: SigningKey,
    wwdr: x509.Certificate,
    pass_type_identifier: str,
    team_identifier: str,
    now: datetime | None,
    sources: Sources,
) -> None:
    moment = now or datetime.now(timezone.utc)
    problem = (
        _key_problem(certificate, key, sources)
        or certinfo.identity_problem(certificate, pass_type_identifier, team_identifier, sources.certificate)
        or certinfo.validity_problem(certificate, moment, f"Certificate {sources.certificate}")
        or certinfo.validity_problem(wwdr, moment, f"WWDR certificate {sources.wwdr}")
        or certinfo.issuer_problem(certificate, wwdr, sources.certificate, sources.wwdr)
    )
    if problem:
        raise SigningError(problem)


def _key_problem(certificate: x509.Certificate, key: SigningKey, sources: Sources) -> str | None:
    public = certificate.public_key()
    if not isinstance(public, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)) or public != key.public_key():
        return f"Private key {sources.key} does not belong to certificate {sources.certificate}."
    return None
