"""Build a store card's signed .pkpass archive, in process.

wallet-py3k's ``create()`` is never used: it shells out to ``openssl smime`` with the key
password in argv. Everything is validated before signing, so an invalid pass is never produced;
the files and the pass.json text that members of a program share are prepared once
(``_content`` here, ``passes.apple.template``) so the RSA signature dominates the cost.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from typing import NamedTuple

from passes.apple import archive, template
from passes.apple.images import REQUIRED, image_kind
from passes.apple.passjson import (
    BARCODE_ENCODING,
    JSON,
    QR,
    InvalidPass,
    PassField,
    StoreCardSpec,
    build_pass_json,
    spec_errors,
    w3c,
)
from passes.apple.signing import PassSigner
from passes.apple.strings import encode_pass_strings
from passes.apple.validate import localization_problems, validate_pass_json

__all__ = [
    "BARCODE_ENCODING",
    "QR",
    "InvalidPass",
    "PassField",
    "StoreCardSpec",
    "build_pass_json",
    "build_pkpass",
    "spec_errors",
    "w3c",
]


def build_pkpass(spec: StoreCardSpec, signer: PassSigner, *, allow_http: bool = False) -> bytes:
    """The signed archive; InvalidPass lists every problem rather than returning a bad pass.

    ``allow_http`` accepts an http webServiceURL, which only development phones talk to.
    """
    content = _content(spec)
    pass_text, errors = _pass_json_text(spec, content.tables, allow_http)
    errors += content.errors
    errors += _signer_errors(spec, signer)
    if errors:
        raise InvalidPass(errors)
    pass_bytes = pass_text.encode()
    manifest = b'{"pass.json":"' + hashlib.sha1(pass_bytes).hexdigest().encode() + content.manifest_rest
    signature = signer.sign(manifest)
    files = (("pass.json", pass_bytes), ("manifest.json", manifest), ("signature", signature))
    return archive.finish(content.layout, files)


def _pass_json_text(spec: StoreCardSpec, tables: template.Tables, allow_http: bool) -> tuple[str, list[str]]:
    """pass.json and its problems: from the program's template when it can hold this member,
    else built and validated in full. Both give the same text and the same problems."""
    row = template.values(spec)
    shared = template.template_for(spec, tables, allow_http=allow_http) if row is not None else None
    if row is not None and shared is not None:
        return template.render(shared, row), [*shared.errors, *template.value_errors(spec)]
    pass_json = build_pass_json(spec)
    localizations = {lang: dict(table) for lang, table in tables}
    return JSON.encode(pass_json), validate_pass_json(pass_json, allow_http=allow_http, localizations=localizations)


class _Content(NamedTuple):
    """The files every pass of a program shares, hashed, checked and laid out once."""

    layout: archive.Layout
    tables: template.Tables  # the localizations, sorted and hashable
    manifest_rest: bytes  # manifest.json after the pass.json digest: '","icon.png":"...",...}'
    errors: tuple[str, ...]


def _content(spec: StoreCardSpec) -> _Content:
    # Programs pass the same images and localizations objects for every member; remember the
    # last ones by identity, and confirm by equality (identical values make that cheap) so a
    # mapping changed in place, or a new one at a recycled id, is never served stale content.
    key = (id(spec.images), id(spec.localizations))
    recent = _recent.get(key)
    if recent is not None and recent[0] == spec.images and recent[1] == spec.localizations:
        return recent[2]
    images = tuple(sorted(spec.images.items()))
    tables = tuple((lang, tuple(sorted(spec.localizations[lang].items()))) for lang in sorted(spec.localizations))
    content = _content_for(images, tables)
    if len(_recent) >= 64:
        _recent.clear()
    _recent[key] = (dict(images), {lang: dict(table) for lang, table in tables}, content)
    return content


_recent: dict[tuple[int, int], tuple[dict[str, bytes], dict[str, dict[str, str]], _Content]] = {}


@lru_cache(maxsize=64)
def _content_for(
    images: tuple[tuple[str, bytes], ...], tables: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
) -> _Content:
    entries = [archive.cached_entry(name, data) for name, data in images]
    entries += [archive.entry(f"{lang}.lproj/pass.strings", encode_pass_strings(dict(table))) for lang, table in tables]
    names = [name for name, _ in images]
    errors = [
        f"{name} is not an image Wallet shows (icon, logo, strip, ...)" for name in names if not _known_image(name)
    ]
    errors += [f"the pass has no {name}" for name in REQUIRED if name not in names]
    errors += [problem for entry in entries for problem in entry.problems]
    errors += localization_problems({lang: dict(table) for lang, table in tables})
    hashes = JSON.encode({entry.name: entry.sha1 for entry in entries}).encode()
    rest = b'",' + hashes[1:] if entries else b'"}'
    return _Content(archive.lay_out(entries), tables, rest, tuple(errors))


def _known_image(name: str) -> bool:
    return "/" not in name and image_kind(name) is not None


def _signer_errors(spec: StoreCardSpec, signer: PassSigner) -> list[str]:
    errors = []
    if spec.pass_type_identifier != signer.pass_type_identifier:
        errors.append(
            f"passTypeIdentifier {spec.pass_type_identifier!r} does not match the signing certificate's "
            f"{signer.pass_type_identifier!r}"
        )
    if spec.team_identifier != signer.team_identifier:
        errors.append(
            f"teamIdentifier {spec.team_identifier!r} does not match the signing certificate's "
            f"{signer.team_identifier!r}"
        )
    if datetime.now(timezone.utc) > signer.not_after:
        errors.append(f"the signing certificate expired on {signer.not_after:%Y-%m-%d}")
    return errors
