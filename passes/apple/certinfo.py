"""Where Apple puts the pass type and team in a Pass Type ID certificate, and how to read them.

Shared by the signer (refuse bad material at load) and the validator (check a finished pass),
so both agree on what "this certificate is for that pass type" means.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID, ObjectIdentifier

EXAMPLE_MARKER = "Tessera Example (NOT APPLE)"
PASS_TYPE_OID = ObjectIdentifier("1.2.840.113635.100.6.1.16")
_CN_PREFIXES = ("Pass Type ID: ", "Pass Type ID with NFC: ")
_DER_STRING_TAGS = {0x0C, 0x13, 0x16}  # UTF8String, PrintableString, IA5String


def _attribute(name: x509.Name, oid: ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def common_name(certificate: x509.Certificate) -> str:
    return _attribute(certificate.subject, NameOID.COMMON_NAME) or ""


def team_identifier(certificate: x509.Certificate) -> str | None:
    return _attribute(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)


def pass_type_claims(certificate: x509.Certificate) -> dict[str, str]:
    """Every place the certificate names its pass type: CN, UID and Apple's extension."""
    claims: dict[str, str] = {}
    cn = common_name(certificate)
    for prefix in _CN_PREFIXES:
        if cn.startswith(prefix):
            claims["subject CN"] = cn[len(prefix) :]
    uid = _attribute(certificate.subject, NameOID.USER_ID)
    if uid is not None:
        claims["subject UID"] = uid
    extension = _extension_value(certificate)
    if extension is not None:
        claims[f"extension {PASS_TYPE_OID.dotted_string}"] = extension
    return claims


def _extension_value(certificate: x509.Certificate) -> str | None:
    try:
        extension = certificate.extensions.get_extension_for_oid(PASS_TYPE_OID)
    except x509.ExtensionNotFound:
        return None
    if not isinstance(extension.value, x509.UnrecognizedExtension):
        return None
    raw = extension.value.value
    # Apple stores a short DER string; anything else is reported as its raw text.
    if len(raw) >= 2 and raw[0] in _DER_STRING_TAGS and raw[1] == len(raw) - 2:
        raw = raw[2:]
    return raw.decode("utf-8", "replace")


def identity_problem(certificate: x509.Certificate, pass_type_identifier: str, team: str, source: str) -> str | None:
    """One sentence if the certificate is not for this pass type and team, else None."""
    claims = pass_type_claims(certificate)
    if "subject CN" not in claims:
        return f"Certificate {source} is not a Pass Type ID certificate (subject CN is {common_name(certificate)!r})."
    for where, value in claims.items():
        if value != pass_type_identifier:
            return (
                f"Certificate {source} is for pass type {value!r} ({where}), "
                f"not the configured {pass_type_identifier!r}."
            )
    actual_team = team_identifier(certificate)
    if actual_team != team:
        return f"Certificate {source} belongs to team {actual_team!r} (subject OU), not the configured {team!r}."
    return None


def validity_problem(certificate: x509.Certificate, now: datetime, label: str) -> str | None:
    if now > certificate.not_valid_after_utc:
        return f"{label} expired on {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC."
    if now < certificate.not_valid_before_utc:
        return f"{label} is not valid before {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC."
    return None


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def issuer_problem(certificate: x509.Certificate, wwdr: x509.Certificate, source: str, wwdr_source: str) -> str | None:
    if issued_by(certificate, wwdr):
        return None
    return (
        f"Certificate {source} was not issued by the WWDR certificate {wwdr_source} "
        f"(its issuer is {certificate.issuer.rfc4514_string()!r})."
    )


def is_example(certificate: x509.Certificate) -> bool:
    names = (certificate.subject, certificate.issuer)
    return any(_attribute(name, NameOID.ORGANIZATION_NAME) == EXAMPLE_MARKER for name in names)
