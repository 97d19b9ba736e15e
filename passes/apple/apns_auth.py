"""The two ways to authenticate to APNs for passes: the pass certificate over TLS, or a team token.

Apple documents certificate auth for Wallet passes: TLS client auth with the same Pass Type ID
certificate and key that sign the pass. A team `.p8` key with an ES256 JWT also works for pass
topics owned by that team; APNs accepts a token between 20 and 60 minutes old, answers 429
`TooManyProviderTokenUpdates` to one renewed more often, and 403 `ExpiredProviderToken` to one
older than an hour.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike, fspath
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

__all__ = [
    "MAX_TOKEN_AGE",
    "MIN_TOKEN_AGE",
    "ApnsAuthError",
    "CertificateAuth",
    "TokenAuth",
    "client_ssl_context",
    "es256_jwt",
]

StrPath = str | PathLike[str]
Clock = Callable[[], float]

MIN_TOKEN_AGE = 20 * 60.0
MAX_TOKEN_AGE = 60 * 60.0
DEFAULT_REFRESH_AFTER = 40 * 60.0


class ApnsAuthError(Exception):
    """Authentication material APNs would refuse, found before any connection is made."""


def client_ssl_context(ca_file: StrPath | None = None) -> ssl.SSLContext:
    """Verify the server against the system roots, plus ``ca_file`` when given."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if context.cert_store_stats()["x509_ca"] == 0:
        _load_certifi(context)
    if ca_file is not None:
        context.load_verify_locations(cafile=fspath(ca_file))
    context.set_alpn_protocols(["h2"])
    return context


def _load_certifi(context: ssl.SSLContext) -> None:
    # Some minimal images ship no system CA store; httpx's own bundle is always installed.
    import certifi

    context.load_verify_locations(cafile=certifi.where())


@dataclass(frozen=True)
class CertificateAuth:
    """TLS client auth with the Pass Type ID certificate and its private key (PEM files)."""

    cert_file: StrPath
    key_file: StrPath
    key_password: str | bytes | None = field(default=None, repr=False)

    def ssl_context(self, ca_file: StrPath | None = None) -> ssl.SSLContext:
        context = client_ssl_context(ca_file)
        try:
            context.load_cert_chain(fspath(self.cert_file), fspath(self.key_file), password=self._password)
        except (ssl.SSLError, OSError) as exc:
            raise ApnsAuthError(
                f"cannot load the pass certificate {fspath(self.cert_file)} with the key "
                f"{fspath(self.key_file)}: {exc.__class__.__name__} {_reason(exc)}"
            ) from None
        return context

    def authorization(self) -> str | None:
        return None

    def renew(self, stale: str | None) -> bool:
        """Nothing to renew: the certificate is presented once, during the TLS handshake."""
        return False

    @property
    def _password(self) -> bytes | None:
        if isinstance(self.key_password, str):
            return self.key_password.encode()
        return self.key_password


def _reason(exc: Exception) -> str:
    # Only the library's reason code: never echo anything that might contain the password.
    return str(getattr(exc, "reason", "") or getattr(exc, "strerror", "") or "")


class TokenAuth:
    """``authorization: bearer <ES256 JWT>`` from a team's `.p8` key, reused for ``refresh_after``."""

    def __init__(
        self,
        key_file: StrPath,
        key_id: str,
        team_id: str,
        *,
        refresh_after: float = DEFAULT_REFRESH_AFTER,
        clock: Clock = time.time,
    ) -> None:
        if not MIN_TOKEN_AGE <= refresh_after < MAX_TOKEN_AGE:
            raise ValueError("refresh_after must be at least 20 minutes and under 60 minutes")
        self.key_id = key_id
        self.team_id = team_id
        self.refresh_after = refresh_after
        self._key = _load_p256_key(Path(key_file))
        self._clock = clock
        self._lock = threading.Lock()
        self._header: str | None = None
        self._issued_at = 0.0
        self.generated = 0

    def __repr__(self) -> str:
        return f"TokenAuth(key_id={self.key_id!r}, team_id={self.team_id!r})"

    def ssl_context(self, ca_file: StrPath | None = None) -> ssl.SSLContext:
        return client_ssl_context(ca_file)

    def authorization(self) -> str:
        """The current header value, generated on first use and once it is ``refresh_after`` old."""
        with self._lock:
            if self._header is None or self._clock() - self._issued_at >= self.refresh_after:
                self._generate()
            assert self._header is not None
            return self._header

    def renew(self, stale: str | None) -> bool:
        """Replace ``stale`` after APNs called it expired, unless a concurrent push already did."""
        with self._lock:
            if stale is None or stale != self._header:
                return False
            self._generate()
            return True

    def _generate(self) -> None:
        now = self._clock()
        jwt = es256_jwt(self._key, self.key_id, {"iss": self.team_id, "iat": int(now)})
        self._header = f"bearer {jwt}"
        self._issued_at = now
        self.generated += 1


def _load_p256_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ApnsAuthError(f"cannot read the APNs key {path}: {exc.__class__.__name__}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ApnsAuthError(f"the APNs key {path} is not an EC P-256 key (a .p8 from Apple is)")
    return key


def es256_jwt(key: ec.EllipticCurvePrivateKey, key_id: str, claims: dict[str, object]) -> str:
    header = _b64url(_compact_json({"alg": "ES256", "kid": key_id}))
    payload = _b64url(_compact_json(claims))
    signing_input = f"{header}.{payload}".encode("ascii")
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    # JWS wants the raw 64-byte r||s, not the DER sequence cryptography returns.
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{header}.{payload}.{_b64url(signature)}"


def _compact_json(value: dict[str, object]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
