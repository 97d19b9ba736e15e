"""Check a detached PKCS#7 signature over manifest.json the way Wallet does, in process.

``cryptography`` can build these signatures and read their certificates but has no public
verifier, so the few DER structures involved are walked by hand: SignedData, the first
SignerInfo and its signed attributes. The RSA/ECDSA check itself is ``cryptography``'s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

_SEQUENCE, _SET, _INTEGER, _OCTETS, _OID = 0x30, 0x31, 0x02, 0x04, 0x06
_UTC_TIME, _GENERALIZED_TIME = 0x17, 0x18
_SIGNED_ATTRS_TAG, _EXPLICIT_0 = 0xA0, 0xA0

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"

_DIGESTS: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "1.3.14.3.2.26": ("sha1", hashes.SHA1),
    "2.16.840.1.101.3.4.2.1": ("sha256", hashes.SHA256),
    "2.16.840.1.101.3.4.2.2": ("sha384", hashes.SHA384),
    "2.16.840.1.101.3.4.2.3": ("sha512", hashes.SHA512),
}


class DerError(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    tag: int
    start: int  # first byte of the header, so data[start:end] is the whole encoding
    body: int  # first byte of the contents
    end: int


@dataclass
class SignatureCheck:
    """What a phone learns from the signature file; ``errors`` empty means it verifies."""

    errors: list[str] = field(default_factory=list)
    certificates: list[x509.Certificate] = field(default_factory=list)
    signer: x509.Certificate | None = None
    signing_time: datetime | None = None
    attributes: list[str] = field(default_factory=list)  # the signed attributes' OIDs, in order


def read(data: bytes, position: int) -> Node:
    if position + 2 > len(data):
        raise DerError("truncated DER header")
    tag, length, body = data[position], data[position + 1], position + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or body + count > len(data):
            raise DerError("unsupported DER length")
        length, body = int.from_bytes(data[body : body + count], "big"), body + count
    if body + length > len(data):
        raise DerError("DER value runs past the end")
    return Node(tag, position, body, body + length)


def children(data: bytes, node: Node) -> list[Node]:
    nodes, position = [], node.body
    while position < node.end:
        child = read(data, position)
        nodes.append(child)
        position = child.end
    return nodes


def oid(data: bytes, node: Node) -> str:
    if node.tag != _OID:
        raise DerError("expected an object identifier")
    raw = data[node.body : node.end]
    arcs, value = [], 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def verify_detached(signature: bytes, content: bytes) -> SignatureCheck:
    check = SignatureCheck()
    try:
        check.certificates = pkcs7.load_der_pkcs7_certificates(signature)
        signer_info = _signer_info(signature)
        _check_signer(signature, signer_info, content, check)
    except (DerError, IndexError, ValueError) as error:
        check.errors.append(f"signature is not a readable PKCS#7 signature ({error})")
    return check


def _signer_info(data: bytes) -> list[Node]:
    content_info = children(data, read(data, 0))
    if oid(data, content_info[0]) != OID_SIGNED_DATA or content_info[1].tag != _EXPLICIT_0:
        raise DerError("not a PKCS#7 SignedData")
    signed_data = children(data, children(data, content_info[1])[0])
    signer_infos = signed_data[-1]
    if signer_infos.tag != _SET or not children(data, signer_infos):
        raise DerError("no SignerInfo")
    return children(data, children(data, signer_infos)[0])


def _check_signer(data: bytes, info: list[Node], content: bytes, check: SignatureCheck) -> None:
    # SignerInfo ::= version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature
    digest_oid = oid(data, children(data, info[2])[0])
    has_attrs = info[3].tag == _SIGNED_ATTRS_TAG
    attrs = info[3] if has_attrs else None
    signature_value = info[5] if has_attrs else info[4]
    check.signer = _find_signer(data, info[1], check.certificates)
    if digest_oid not in _DIGESTS:
        check.errors.append(f"signature uses an unsupported digest algorithm {digest_oid}")
        return
    name, algorithm = _DIGESTS[digest_oid]
    if check.signer is None:
        check.errors.append("signature does not include the certificate that signed it")
    if attrs is None:
        check.errors.append("signature has no signed attributes, so no signing time; Wallet refuses it")
        signed = content
    else:
        _check_attributes(data, attrs, hashlib.new(name, content).digest(), check)
        # The signature covers the attributes re-encoded as a SET, not the [0] tag they carry.
        signed = bytes([_SET]) + data[attrs.start + 1 : attrs.end]
    if check.signer is not None:
        _check_math(check.signer, data[signature_value.body : signature_value.end], signed, algorithm(), check)


def _find_signer(data: bytes, sid: Node, certificates: list[x509.Certificate]) -> x509.Certificate | None:
    if sid.tag != _SEQUENCE:
        return None
    issuer, serial = children(data, sid)
    issuer_der = data[issuer.start : issuer.end]
    number = int.from_bytes(data[serial.body : serial.end], "big", signed=True)
    for certificate in certificates:
        if certificate.serial_number == number and certificate.issuer.public_bytes() == issuer_der:
            return certificate
    return None


def _check_attributes(data: bytes, attrs: Node, digest: bytes, check: SignatureCheck) -> None:
    values = _attributes(data, attrs)
    check.attributes = list(values)
    message_digest = values.get(OID_MESSAGE_DIGEST)
    if not message_digest:
        check.errors.append("signature has no messageDigest attribute")
    elif data[message_digest[0].body : message_digest[0].end] != digest:
        check.errors.append("signature was made over a different manifest.json (messageDigest does not match)")
    content_type = values.get(OID_CONTENT_TYPE)
    if not content_type or oid(data, content_type[0]) != OID_DATA:
        check.errors.append("signature's contentType attribute is missing or not 'data'")
    signing_time = values.get(OID_SIGNING_TIME)
    if not signing_time:
        check.errors.append("signature has no signingTime attribute; Wallet refuses it")
    else:
        check.signing_time = _time(data, signing_time[0])


def _attributes(data: bytes, attrs: Node) -> dict[str, list[Node]]:
    values: dict[str, list[Node]] = {}
    for attribute in children(data, attrs):
        attribute_type, attribute_values = children(data, attribute)[:2]
        values[oid(data, attribute_type)] = children(data, attribute_values)
    return values


def _time(data: bytes, node: Node) -> datetime | None:
    text = data[node.body : node.end].decode("ascii", "replace")
    formats = {_UTC_TIME: "%y%m%d%H%M%SZ", _GENERALIZED_TIME: "%Y%m%d%H%M%SZ"}
    try:
        return datetime.strptime(text, formats[node.tag]).replace(tzinfo=timezone.utc)
    except (KeyError, ValueError):
        return None


def _check_math(
    signer: x509.Certificate, value: bytes, signed: bytes, algorithm: hashes.HashAlgorithm, check: SignatureCheck
) -> None:
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(value, signed, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(value, signed, ec.ECDSA(algorithm))
        else:
            check.errors.append("signature uses a key type Wallet does not accept")
    except InvalidSignature:
        check.errors.append("signature does not verify with the signer certificate's key")
