"""Every check a pass validator makes, plus the ones they miss, reported together.

``validate_pkpass`` looks at a finished archive the way a phone does: the files, pass.json, the
manifest hashes against the bytes, the signature over the manifest and its certificates, the
images' pixel sizes and the pass.strings tables. An empty list means nothing was found.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from passes.apple import certinfo, cms, rules
from passes.apple.images import REQUIRED, image_problems
from passes.apple.strings import PassStringsError, decode_pass_strings

UNHASHED = ("manifest.json", "signature")
_STRINGS = re.compile(r"([^/]+)\.lproj/pass\.strings")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def validate_pass_json(
    data: Mapping[str, Any],
    *,
    allow_http: bool = False,
    localizations: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Problems with a pass.json dictionary.

    ``allow_http`` accepts an http webServiceURL (development phones only); ``localizations``
    are the pass.strings tables, so a changeMessage may be a key whose translations hold ``%@``.
    """
    return rules.check_pass_json(data, allow_http=allow_http, localizations=localizations)


def validate_pkpass(
    data: bytes,
    *,
    expected_pass_type: str | None = None,
    expected_team: str | None = None,
    now: datetime | None = None,
    allow_http: bool = False,
) -> list[str]:
    """Problems with a .pkpass archive, every one of them; [] when a phone would accept it."""
    try:
        files = read_archive(data)
    except ValueError as error:
        return [str(error)]
    errors = list(missing_files(files))
    tables = _string_tables(files, errors)
    pass_json = _json_file(files, "pass.json", errors)
    if pass_json is not None:
        errors += validate_pass_json(pass_json, allow_http=allow_http, localizations=tables)
        errors += _unexpected_identity(pass_json, expected_pass_type, expected_team)
    manifest = _json_file(files, "manifest.json", errors)
    if manifest is not None:
        errors += manifest_problems(files, manifest)
    if "signature" in files and "manifest.json" in files:
        errors += signature_problems(files["signature"], files["manifest.json"], pass_json, now)
    errors += [
        problem for name, body in files.items() if name.endswith(".png") for problem in image_problems(name, body)
    ]
    return errors + localization_problems(tables)


def read_archive(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _entries(archive)
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"the archive is not a readable zip file ({error})") from None


def _entries(archive: zipfile.ZipFile) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        if info.filename in files:
            raise ValueError(f"the archive holds {info.filename} twice")
        files[info.filename] = archive.read(info)
    return files


def missing_files(files: Mapping[str, bytes]) -> Iterator[str]:
    lower = {name.lower(): name for name in files}
    for required in ("pass.json", "manifest.json", "signature", *REQUIRED):
        if required in files:
            continue
        if required in lower:
            yield f"{lower[required]} must be named {required} (names are case-sensitive on the phone)"
        else:
            yield f"the archive has no {required}"


def _json_file(files: Mapping[str, bytes], name: str, errors: list[str]) -> Any:
    if name not in files:
        return None
    try:
        value = json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        errors.append(f"{name} is not valid UTF-8 JSON ({error})")
        return None
    if not isinstance(value, dict):
        errors.append(f"{name} is not a JSON object")
        return None
    return value


def _unexpected_identity(pass_json: Mapping[str, Any], pass_type: str | None, team: str | None) -> Iterator[str]:
    actual = pass_json.get("passTypeIdentifier")
    if pass_type is not None and actual != pass_type:
        yield f"pass.json passTypeIdentifier is {actual!r}, expected {pass_type!r}"
    actual = pass_json.get("teamIdentifier")
    if team is not None and actual != team:
        yield f"pass.json teamIdentifier is {actual!r}, expected {team!r}"


def manifest_problems(files: Mapping[str, bytes], manifest: Mapping[str, Any]) -> list[str]:
    errors = []
    for name, digest in manifest.items():
        if name in UNHASHED:
            errors.append(f"manifest.json lists {name}, which must not be hashed")
        elif name not in files:
            errors.append(f"manifest.json lists {name} but the archive has no such file")
        elif not isinstance(digest, str) or hashlib.sha1(files[name]).hexdigest() != digest.lower():
            errors.append(f"{name} does not match its SHA-1 in manifest.json (changed after signing?)")
    for name in files:
        if name not in manifest and name not in UNHASHED:
            errors.append(f"{name} is not listed in manifest.json")
    return errors


def signature_problems(
    signature: bytes, manifest: bytes, pass_json: Mapping[str, Any] | None, now: datetime | None = None
) -> list[str]:
    check = cms.verify_detached(signature, manifest)
    errors = list(check.errors)
    if check.signer is None:
        return errors
    moment = now or datetime.now(timezone.utc)
    errors += _certificate_problems(check.signer, pass_json or {}, moment)
    errors += _wwdr_problems(check.signer, check.certificates, moment)
    return errors


def _certificate_problems(signer: Any, pass_json: Mapping[str, Any], now: datetime) -> Iterator[str]:
    claims = certinfo.pass_type_claims(signer)
    if "subject CN" not in claims:
        yield f"the signing certificate is not a Pass Type ID certificate (CN {certinfo.common_name(signer)!r})"
    pass_type = pass_json.get("passTypeIdentifier")
    for where, value in claims.items():
        if pass_type is not None and value != pass_type:
            yield f"the signing certificate is for pass type {value!r} ({where}) but pass.json says {pass_type!r}"
    team = pass_json.get("teamIdentifier")
    actual_team = certinfo.team_identifier(signer)
    if team is not None and actual_team != team:
        yield f"the signing certificate belongs to team {actual_team!r} (OU) but pass.json says {team!r}"
    expiry = certinfo.validity_problem(signer, now, "the signing certificate")
    if expiry:
        yield expiry


def _wwdr_problems(signer: Any, certificates: Iterable[Any], now: datetime) -> Iterator[str]:
    issuers = [c for c in certificates if c is not signer and certinfo.issued_by(signer, c)]
    if not issuers:
        yield "the signature does not include the WWDR certificate that issued the signing certificate"
        return
    expiry = certinfo.validity_problem(issuers[0], now, "the WWDR certificate")
    if expiry:
        yield expiry


def _string_tables(files: Mapping[str, bytes], errors: list[str]) -> dict[str, dict[str, str]]:
    tables = {}
    for name, body in files.items():
        match = _STRINGS.fullmatch(name)
        if match is None:
            continue
        try:
            tables[match.group(1)] = decode_pass_strings(body)
        except PassStringsError as error:
            errors.append(f"{name} {error}")
    return tables


def localization_problems(tables: Mapping[str, Mapping[str, str]]) -> list[str]:
    """A key missing from one language shows up raw on phones set to that language."""
    errors = [
        f"{lang!r} is not a language code for an .lproj folder" for lang in tables if not _LANGUAGE.fullmatch(lang)
    ]
    every_key: set[str] = set().union(*(table.keys() for table in tables.values()))
    for lang in sorted(tables):
        missing = sorted(every_key - set(tables[lang]))
        if missing:
            errors.append(f"{lang}.lproj/pass.strings lacks {', '.join(missing)}, defined for other languages")
    return errors
