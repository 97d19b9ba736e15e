"""The program's join link drawn as a QR code, as SVG (for print) and PNG (for anything else)."""
from __future__ import annotations

import io
import math
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.image.svg import SvgPathFillImage

from passes.apple.artwork import initials, logo_png
from passes.apple.colors import parse_color

# A print shop wants at least ~600 px for a QR code 10 cm wide; small codes get bigger boxes.
PRINT_PIXELS = 600
BORDER = 4  # the quiet zone the QR specification asks for, in modules
LOGO_PIXELS = 240


def _code(data: str) -> qrcode.QRCode:
    # Q (25 % redundancy): a poster by a till gets scuffed, folded and taped over.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=BORDER)
    code.add_data(data)
    code.make(fit=True)
    return code


def box_size(modules: int) -> int:
    """Pixels per module so that the whole image, quiet zone included, is PRINT_PIXELS or more."""
    return math.ceil(PRINT_PIXELS / (modules + 2 * BORDER))


@lru_cache(maxsize=256)
def qr_png(data: str) -> bytes:
    code = _code(data)
    code.box_size = box_size(code.modules_count)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=256)
def qr_svg(data: str) -> bytes:
    """A path on a white square: a transparent background would not scan on a dark wall."""
    image = _code(data).make_image(image_factory=SvgPathFillImage)
    svg: bytes = image.to_string(encoding="utf-8")
    return svg


@lru_cache(maxsize=256)
def logo(name: str, background: str, foreground: str) -> bytes:
    """The same badge the program's passes carry (initials in its colours), large enough to print."""
    return logo_png(initials(name), parse_color(background), parse_color(foreground), LOGO_PIXELS)
