"""A deterministic, uncompressed zip writer with per-file work done once for static files.

PNGs are already compressed, so deflating them costs milliseconds for nothing; everything is
STORED. Icons and logos are the same bytes on thousands of passes, so their SHA-1, CRC, headers
and image checks are computed once and reused (``cached_entry``). The timestamp is fixed so the
same pass gives the same archive bytes. The shared files go first so their offsets, and so
their whole central directory, are the same on every pass and are laid out once too.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from passes.apple.images import image_problems

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHI")  # the local header offset and the name follow
_OFFSET = struct.Struct("<I")
_END = struct.Struct("<IHHHHIIH")
_VERSION = 20  # 2.0: plain stored files
_MADE_BY_UNIX = (3 << 8) | _VERSION
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the zip epoch
_DOS_TIME = 0
_UTF8_NAMES = 0x800
_REGULAR_FILE = 0o100644 << 16


class Entry(NamedTuple):
    name: str
    data: bytes
    sha1: str
    local_header: bytes  # includes the name
    central_head: bytes  # central directory record up to (not including) the offset
    encoded_name: bytes
    problems: tuple[str, ...]  # what Wallet would object to in this file


class Layout(NamedTuple):
    """Entries placed in an archive from offset 0: their bytes and their central directory."""

    body: bytes
    directory: bytes
    entries: int


def _headers(encoded: bytes, data: bytes) -> tuple[bytes, bytes]:
    flags = 0 if encoded.isascii() else _UTF8_NAMES
    crc, size = zlib.crc32(data), len(data)
    local = _LOCAL.pack(0x04034B50, _VERSION, flags, 0, _DOS_TIME, _DOS_DATE, crc, size, size, len(encoded), 0)
    central = _CENTRAL.pack(
        0x02014B50, _MADE_BY_UNIX, _VERSION, flags, 0, _DOS_TIME, _DOS_DATE,
        crc, size, size, len(encoded), 0, 0, 0, 0, _REGULAR_FILE,
    )  # fmt: skip
    return local + encoded, central


def entry(name: str, data: bytes) -> Entry:
    encoded = name.encode("utf-8")
    local, central = _headers(encoded, data)
    problems = tuple(image_problems(name, data)) if name.endswith(".png") else ()
    return Entry(name, data, hashlib.sha1(data).hexdigest(), local, central, encoded, problems)


@lru_cache(maxsize=128)
def cached_entry(name: str, data: bytes) -> Entry:
    """``entry`` memoised on (name, content): bytes cache their hash, and the same object
    compares by identity, so a hit on a program's shared artwork costs a dict lookup."""
    return entry(name, data)


def lay_out(entries: Sequence[Entry]) -> Layout:
    parts: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for item in entries:
        parts += (item.local_header, item.data)
        directory += (item.central_head, _OFFSET.pack(offset), item.encoded_name)
        offset += len(item.local_header) + len(item.data)
    return Layout(b"".join(parts), b"".join(directory), len(entries))


def finish(head: Layout, tail: Sequence[tuple[str, bytes]]) -> bytes:
    """The archive: ``head`` as laid out, then ``tail`` files, then the central directory.

    The tail is what changes on every pass (pass.json, manifest.json, signature), so it is
    written directly rather than through cached entries.
    """
    parts, directory, offset = [head.body], [head.directory], len(head.body)
    for name, data in tail:
        encoded = name.encode("utf-8")
        local, central = _headers(encoded, data)
        parts += (local, data)
        directory += (central, _OFFSET.pack(offset), encoded)
        offset += len(local) + len(data)
    count = head.entries + len(tail)
    directory_size = len(head.directory) + sum(map(len, directory[1:]))
    if offset + directory_size > 0xFFFFFFFF or count > 0xFFFF:
        raise ValueError("pass archive too large for a zip without zip64")
    end = _END.pack(0x06054B50, 0, 0, count, count, directory_size, offset, 0)
    return b"".join((*parts, *directory, end))


def zip_stored(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A whole archive from (name, bytes) pairs, in that order."""
    return finish(Layout(b"", b"", 0), files)
