"""``xx.lproj/pass.strings``: Apple's ``"key" = "value";`` tables, stored as UTF-16 with a BOM.

Wallet reads labels and values through these tables. Apple documents UTF-16; an explicit
little-endian BOM keeps the bytes identical on every platform, which matters because the
manifest hashes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_BOM_LE = b"\xff\xfe"
_BOM_BE = b"\xfe\xff"

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_UNESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t", "'": "'", "0": "\0"}

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_ENTRY = re.compile(_QUOTED + r"\s*=\s*" + _QUOTED + r"\s*;", re.DOTALL)
_GAP = re.compile(r"(?:\s+|/\*.*?\*/|//[^\n]*(?:\n|$))*", re.DOTALL)
_ESCAPE = re.compile(r"\\(U[0-9a-fA-F]{4}|u[0-9a-fA-F]{4}|.)", re.DOTALL)


class PassStringsError(ValueError):
    """A pass.strings file Wallet could not read."""


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def encode_pass_strings(entries: Mapping[str, str]) -> bytes:
    """UTF-16LE with BOM, one entry a line, keys sorted so equal tables give equal bytes."""
    lines = [f'"{escape(key)}" = "{escape(entries[key])}";\n' for key in sorted(entries)]
    return _BOM_LE + "".join(lines).encode("utf-16-le")


def decode_pass_strings(data: bytes) -> dict[str, str]:
    """Parse a pass.strings file; PassStringsError says why Wallet would not read it."""
    return parse_pass_strings(_decode_utf16(data))


def _decode_utf16(data: bytes) -> str:
    if data.startswith(_BOM_LE):
        codec = "utf-16-le"
    elif data.startswith(_BOM_BE):
        codec = "utf-16-be"
    else:
        raise PassStringsError("is not UTF-16 (it has no byte-order mark)")
    try:
        return data[2:].decode(codec)
    except UnicodeDecodeError as error:
        raise PassStringsError(f"is not valid UTF-16 ({error.reason} at byte {error.start + 2})") from None


def parse_pass_strings(text: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    position = _skip_gap(text, 0)
    while position < len(text):
        match = _ENTRY.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            raise PassStringsError(f'has a malformed entry on line {line} (expected "key" = "value";)')
        entries[_unescape(match.group(1))] = _unescape(match.group(2))
        position = _skip_gap(text, match.end())
    return entries


def _skip_gap(text: str, position: int) -> int:
    match = _GAP.match(text, position)
    return match.end() if match else position


def _unescape(text: str) -> str:
    return _ESCAPE.sub(_unescape_one, text)


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16))
    return _UNESCAPES.get(code, code)
