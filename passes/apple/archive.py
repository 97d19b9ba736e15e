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

# A stored file's headers differ between files only in the CRC and sizes, the name and the
# offset; everything else is the same bytes, packed once per name (``_framing``).
_LOCAL_START = struct.Struct("<IHHHHH")  # signature, version, flags, method, time, date
_CENTRAL_START = struct.Struct("<IHHHHHH")  # the same with "made by" before the version
_SIZES = struct.Struct("<III")  # CRC-32, compressed size, size (equal: STORED)
_NAME_LENGTHS = struct.Struct("<HH")  # name length, extra field length
_CENTRAL_REST = struct.Struct("<HHHHHI")  # name, extra, comment length, disk, attributes
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


class _Framing(NamedTuple):
    """The constant bytes around a file's CRC and sizes: local header before and after them
    (the latter ending with the name), central record before and after (up to the offset)."""

    local_start: bytes
    local_end: bytes
    central_start: bytes
    central_end: bytes
    encoded_name: bytes


@lru_cache(maxsize=256)
def _framing(name: str) -> _Framing:
    encoded = name.encode("utf-8")
    flags = 0 if encoded.isascii() else _UTF8_NAMES
    local_start = _LOCAL_START.pack(0x04034B50, _VERSION, flags, 0, _DOS_TIME, _DOS_DATE)
    central_start = _CENTRAL_START.pack(0x02014B50, _MADE_BY_UNIX, _VERSION, flags, 0, _DOS_TIME, _DOS_DATE)
    central_end = _CENTRAL_REST.pack(len(encoded), 0, 0, 0, 0, _REGULAR_FILE)
    return _Framing(local_start, _NAME_LENGTHS.pack(len(encoded), 0) + encoded, central_start, central_end, encoded)


def entry(name: str, data: bytes) -> Entry:
    framing = _framing(name)
    sizes = _SIZES.pack(zlib.crc32(data), len(data), len(data))
    local = framing.local_start + sizes + framing.local_end
    central = framing.central_start + sizes + framing.central_end
    problems = tuple(image_problems(name, data)) if name.endswith(".png") else ()
    return Entry(name, data, hashlib.sha1(data).hexdigest(), local, central, framing.encoded_name, problems)


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
        framing = _framing(name)
        sizes = _SIZES.pack(zlib.crc32(data), len(data), len(data))
        parts += (framing.local_start, sizes, framing.local_end, data)
        directory += (
            framing.central_start, sizes, framing.central_end, _OFFSET.pack(offset), framing.encoded_name,
        )  # fmt: skip
        offset += len(framing.local_start) + len(sizes) + len(framing.local_end) + len(data)
    count = head.entries + len(tail)
    directory_size = sum(map(len, directory))
    if offset + directory_size > 0xFFFFFFFF or count > 0xFFFF:
        raise ValueError("pass archive too large for a zip without zip64")
    parts += directory
    parts.append(_END.pack(0x06054B50, 0, 0, count, count, directory_size, offset, 0))
    return b"".join(parts)


def zip_stored(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A whole archive from (name, bytes) pairs, in that order."""
    return finish(Layout(b"", b"", 0), files)
