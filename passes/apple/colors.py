"""Colours as merchants type them and as pass.json wants them.

Wallet only understands ``rgb(r, g, b)`` strings; merchants and the API speak ``#rrggbb``.
"""

from __future__ import annotations

import re
from functools import lru_cache

RGB = tuple[int, int, int]

_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
# Wallet's own syntax; spaces after commas are what Apple's samples use, so any spacing is fine.
_RGB = re.compile(r"rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)")


@lru_cache(maxsize=1024)
def parse_rgb(text: str) -> RGB | None:
    """The channels of a pass.json colour, or None when Wallet would not accept it."""
    match = _RGB.fullmatch(text)
    if match is None:
        return None
    channels = tuple(int(group) for group in match.groups())
    if any(channel > 255 for channel in channels):
        return None
    return channels[0], channels[1], channels[2]


@lru_cache(maxsize=1024)
def parse_color(text: str) -> RGB:
    """Channels of ``#rgb``, ``#rrggbb`` or ``rgb(r, g, b)``; ValueError names the bad value."""
    text = text.strip()
    match = _HEX.fullmatch(text)
    if match is not None:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    channels = parse_rgb(text)
    if channels is None:
        raise ValueError(f"{text!r} is not a colour (use #rrggbb or rgb(r, g, b) with 0-255)")
    return channels


@lru_cache(maxsize=1024)
def to_pass_color(text: str) -> str:
    """The ``rgb(r, g, b)`` form pass.json needs."""
    red, green, blue = parse_color(text)
    return f"rgb({red}, {green}, {blue})"


def to_hex(channels: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*channels)
