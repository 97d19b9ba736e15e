"""A program's uploaded images: stored one row per scale, and read back for every pass.

Every pass of a program must carry the very same bytes objects (the archive builder reuses a
file's hash and zip entry by identity), so what is read from the database is kept per program
version in a small bounded cache: an upload or a removal bumps the version, hence a new entry.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Program, ProgramImage
from app.models._common import utcnow
from app.wallet.changes import program_cards_changed
from app.wallet.uploads import KINDS, ScaledImage

CacheKey = tuple[int, int, object]
_EMPTY: Mapping[str, bytes] = MappingProxyType({})


class _ArtCache:
    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[CacheKey, Mapping[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Mapping[str, bytes] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: CacheKey, images: Mapping[str, bytes]) -> Mapping[str, bytes]:
        with self._lock:
            # Two threads missing together: the first one's objects win, so identity holds.
            images = self._items.setdefault(key, images)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            return images


_cache = _ArtCache()


def file_name(kind: str, scale: int) -> str:
    return f"{kind}.png" if scale == 1 else f"{kind}@{scale}x.png"


def kind_of(name: str) -> str:
    """"logo" for "logo@2x.png"."""
    return name.partition("@")[0].removesuffix(".png")


def uploaded_images(program: Program) -> Mapping[str, bytes]:
    """{"logo.png": ..., "logo@2x.png": ...} of the program's uploads; empty when none."""
    # created_at too: a test database that restarts its ids must not see another program's art.
    key: CacheKey = (program.id, program.version, program.created_at)
    if (found := _cache.get(key)) is not None:
        return found
    rows = db.session.execute(
        select(ProgramImage.kind, ProgramImage.scale, ProgramImage.data).where(ProgramImage.program_id == program.id)
    ).all()
    images = MappingProxyType({file_name(kind, scale): bytes(data) for kind, scale, data in rows}) if rows else _EMPTY
    return _cache.put(key, images)


def uploaded_kinds(program: Program) -> set[str]:
    return set(db.session.scalars(
        select(ProgramImage.kind).where(ProgramImage.program_id == program.id).distinct()
    ))


def image_data(program: Program, kind: str, scale: int) -> bytes | None:
    data = db.session.scalar(select(ProgramImage.data).where(
        ProgramImage.program_id == program.id, ProgramImage.kind == kind, ProgramImage.scale == scale
    ))
    return bytes(data) if data is not None else None


@dataclass(frozen=True)
class StoredImage:
    """What a page needs to show an upload without reading its bytes: its pixel size and hash."""

    width: int
    height: int
    sha1: str


def stored_image(program: Program, kind: str, scale: int) -> StoredImage | None:
    row = db.session.execute(select(ProgramImage.width, ProgramImage.height, ProgramImage.sha1).where(
        ProgramImage.program_id == program.id, ProgramImage.kind == kind, ProgramImage.scale == scale
    )).first()
    return StoredImage(*row) if row is not None else None


def _cards_change(program: Program) -> int:
    """An image is on every card: the same sweep of the cards as a design change (short committed batches
    once the upload commits, see `app.wallet.sweeps`); returns how many cards will change."""
    # In SQL, not from the value read earlier: a second upload waiting on the row lock then
    # counts from the first one's version, and never reuses it (it keys the artwork cache).
    program.version = Program.version + 1  # type: ignore[assignment]
    program.updated_at = utcnow()
    db.session.flush()  # the UPDATE takes the program's row lock before any image row is touched
    return program_cards_changed(program.id, "artwork")


def store_images(program: Program, kind: str, images: Sequence[ScaledImage]) -> int:
    """Replace the program's `kind` image by `images` (one per scale); returns cards to update."""
    if kind not in KINDS or any(image.kind != kind for image in images):
        raise ValueError(f"images of kind {kind!r} expected")
    changed = _cards_change(program)  # first: the program's row lock orders two uploads racing
    _delete(program, kind)
    for image in images:
        db.session.add(ProgramImage(
            program_id=program.id, kind=kind, scale=image.scale, width=image.width, height=image.height,
            data=image.data, sha1=hashlib.sha1(image.data).hexdigest(),
        ))
    db.session.flush()
    return changed


def remove_images(program: Program, kind: str) -> int | None:
    """Back to the drawn default; None when there was nothing to remove."""
    if kind not in uploaded_kinds(program):
        return None
    changed = _cards_change(program)
    _delete(program, kind)
    db.session.flush()
    return changed


def _delete(program: Program, kind: str) -> None:
    db.session.execute(delete(ProgramImage).where(ProgramImage.program_id == program.id, ProgramImage.kind == kind))
