"""Which images a pass may carry, at which pixel sizes, read straight from the PNG header.

Wallet silently drops or rescales images that are not PNG or not the right size, so the
archive can be "valid" yet show a blank icon; these rules catch that before a phone does.
Sizes are Apple's, in points; ``@2x`` and ``@3x`` files multiply them.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ImageRule:
    width: int  # points
    height: int  # points
    exact: bool  # icons are drawn at one size; the others are boxes the image must fit in


RULES: dict[str, ImageRule] = {
    "icon": ImageRule(29, 29, exact=True),
    "logo": ImageRule(160, 50, exact=False),
    "strip": ImageRule(375, 123, exact=False),
    "thumbnail": ImageRule(90, 90, exact=False),
    "background": ImageRule(180, 220, exact=False),
    "footer": ImageRule(286, 15, exact=False),
    "personalizationLogo": ImageRule(150, 40, exact=False),
}

REQUIRED = ("icon.png", "icon@2x.png")

_NAME = re.compile(r"(?:[A-Za-z0-9_-]+\.lproj/)?([A-Za-z]+)(?:@([23])x)?\.png")


def image_kind(name: str) -> tuple[str, int] | None:
    """("logo", 2) for "logo@2x.png" or "it.lproj/logo@2x.png"; None for unknown names."""
    match = _NAME.fullmatch(name)
    if match is None or match.group(1) not in RULES:
        return None
    return match.group(1), int(match.group(2) or 1)


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk, or None when the bytes are not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def expected_pixels(name: str) -> tuple[int, int, bool] | None:
    kind = image_kind(name)
    if kind is None:
        return None
    rule = RULES[kind[0]]
    return rule.width * kind[1], rule.height * kind[1], rule.exact


def image_problems(name: str, data: bytes) -> list[str]:
    """Human sentences about one image; empty when Wallet will show it as intended."""
    size = png_size(data)
    if size is None:
        return [f"{name} is not a PNG image"]
    expected = expected_pixels(name)
    if expected is None:
        return []
    width, height = size
    max_width, max_height, exact = expected
    if exact and (width, height) != (max_width, max_height):
        return [f"{name} is {width}x{height} px, expected {max_width}x{max_height}"]
    if width > max_width or height > max_height:
        return [f"{name} is {width}x{height} px, expected at most {max_width}x{max_height}"]
    if width == 0 or height == 0:
        return [f"{name} is {width}x{height} px, which Wallet cannot show"]
    return []
