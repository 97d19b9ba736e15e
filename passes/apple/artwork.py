"""Default icon and logo for a program that has uploaded none, drawn from its colours and initials.

Output is cached per (initials, colours) so every pass of a program shares the very same bytes
objects, which lets the archive builder reuse their hashes and zip entries.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageFont

from passes.apple.colors import RGB, parse_color
from passes.apple.images import RULES

SCALES = (1, 2, 3)
# The logo sits left of logoText on the front; a square badge keeps that text close, where a
# 160-pt-wide canvas with transparent padding would push it to the right.
LOGO_POINTS = (50, 50)
_SUPERSAMPLE = 4  # draw large and downscale: Pillow's shapes have no anti-aliasing


def initials(name: str) -> str:
    """Up to two capital letters: "Caffè Rossi" -> "CR", "gelateria" -> "G"."""
    words = [word for word in _letters_only(name).split() if word]
    letters = "".join(word[0] for word in words[:2]).upper()
    return letters or "?"


def _letters_only(name: str) -> str:
    # Keep letters and digits of any script; punctuation would make odd "initials" like "&".
    return "".join(char if char.isalnum() else " " for char in unicodedata.normalize("NFC", name))


def default_images(name_initials: str, background: str, foreground: str) -> Mapping[str, bytes]:
    """icon.png/@2x/@3x and logo.png/@2x/@3x as PNG bytes; colours in any form colors.py reads."""
    return _images(name_initials, parse_color(background), parse_color(foreground))


@lru_cache(maxsize=256)
def _images(text: str, background: RGB, foreground: RGB) -> Mapping[str, bytes]:
    images: dict[str, bytes] = {}
    icon = RULES["icon"]
    for scale in SCALES:
        suffix = "" if scale == 1 else f"@{scale}x"
        images[f"icon{suffix}.png"] = icon_png(text, background, foreground, icon.width * scale)
        images[f"logo{suffix}.png"] = logo_png(text, background, foreground, LOGO_POINTS[1] * scale)
    return MappingProxyType(images)


def icon_png(text: str, background: RGB, foreground: RGB, size: int) -> bytes:
    """Full-bleed square: iOS masks icons itself, so corners are left to it."""
    return _badge(text, fill=background, ink=foreground, size=size, radius_ratio=0.0)


def logo_png(text: str, background: RGB, foreground: RGB, size: int) -> bytes:
    """A rounded badge in the foreground colour with the initials in the pass background colour."""
    return _badge(text, fill=foreground, ink=background, size=size, radius_ratio=0.28)


def _badge(text: str, *, fill: RGB, ink: RGB, size: int, radius_ratio: float) -> bytes:
    big = size * _SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * radius_ratio), fill=(*fill, 255))
    font = ImageFont.load_default(size=max(8, int(big * (0.42 if len(text) > 1 else 0.55))))
    draw.text((big / 2, big / 2), text, font=font, fill=(*ink, 255), anchor="mm")
    return _png(image.resize((size, size), Image.Resampling.LANCZOS))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
