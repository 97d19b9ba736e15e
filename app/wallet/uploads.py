"""A merchant's uploaded logo, icon or strip: checked by its content, then drawn at the pixel
sizes a pass carries at 1x, 2x and 3x.

Pillow only, no Flask: the dashboard turns `UploadRejected.reason` into a sentence beside the
field. The format is read from the bytes themselves (a text file renamed .png is refused), the
pixel count is bounded before decoding (a tiny file may claim a huge canvas), and what is stored
is always a freshly encoded RGBA PNG, so nothing of the original file (metadata, colour profile
quirks, trailing bytes) reaches a phone.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from passes.apple.images import RULES

MAX_BYTES = 5 * 1024 * 1024
# The biggest picture worth decoding: a 12-megapixel phone photo fits, and it decodes to ~100 MB
# at worst. Anything larger is refused from its header alone, unread: a PNG of one flat colour
# compresses 6300×6300 pixels into 40 KB, and decoding it would cost ~400 MB and seconds.
MAX_SIDE = 4096
MAX_PIXELS = MAX_SIDE * MAX_SIDE
FORMATS = ("PNG", "JPEG", "WEBP")
KINDS = ("logo", "icon", "strip")
SCALES = (1, 2, 3)


@dataclass(frozen=True)
class Minimum:
    width: int
    height: int


# The smallest upload that still looks sharp at 3x (icon), or at 2x for the wide images,
# where most phones draw them; smaller ones would be blown up and blurry.
MINIMUMS: dict[str, Minimum] = {
    "icon": Minimum(87, 87),
    "logo": Minimum(150, 50),
    "strip": Minimum(750, 246),
}


class UploadRejected(ValueError):
    """`reason` is one of: too_big, empty, not_image, format, too_many_pixels, too_small."""

    def __init__(self, reason: str, *, width: int = 0, height: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.width = width
        self.height = height


@dataclass(frozen=True)
class ScaledImage:
    kind: str
    scale: int
    width: int
    height: int
    data: bytes  # PNG


def open_upload(data: bytes, kind: str) -> Image.Image:
    """The decoded image (upright, RGBA), or UploadRejected saying why not."""
    if kind not in KINDS:
        raise ValueError(f"unknown image kind {kind!r}")
    if not data:
        raise UploadRejected("empty")
    if len(data) > MAX_BYTES:
        raise UploadRejected("too_big")
    image = _decode(data)
    minimum = MINIMUMS[kind]
    if image.width < minimum.width or image.height < minimum.height:
        raise UploadRejected("too_small", width=image.width, height=image.height)
    return image


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)  # the header only
            if image.width * image.height > MAX_PIXELS:
                raise UploadRejected("too_many_pixels", width=image.width, height=image.height)
            image.load()
            image = ImageOps.exif_transpose(image)  # photos from phones are often stored sideways
            return _rgba(image)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected("too_many_pixels") from None
    except UnidentifiedImageError:
        raise UploadRejected(_unidentified(data)) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise UploadRejected("not_image") from None  # a truncated or corrupt file of a known format


def _rgba(image: Image.Image) -> Image.Image:
    """RGBA, keeping the transparency of PNG, WebP and palette images."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        # 16-bit grey: scaled to 8 bits, where a plain conversion would clip it to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGBA")


def _unidentified(data: bytes) -> str:
    """An image of a format we do not take (GIF, HEIC, SVG...) versus no image at all."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(io.BytesIO(data)).close()
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is simply "not an image"
        return "not_image"
    return "format"


def point_size(kind: str, width: int, height: int) -> tuple[float, float]:
    """The image's size in points on the pass: the icon is a fixed square, the strip fills its
    band, and the logo keeps its proportions inside its box."""
    rule = RULES[kind]
    if kind != "logo":
        return float(rule.width), float(rule.height)
    ratio = min(rule.width / width, rule.height / height)
    return width * ratio, height * ratio


def scaled_images(image: Image.Image, kind: str) -> list[ScaledImage]:
    """The PNGs for scales 1, 2 and 3. The icon and the strip are cropped from the centre to
    their shape (cover); the logo is fitted whole inside its box."""
    points = point_size(kind, image.width, image.height)
    results = []
    for scale in SCALES:
        size = (max(1, int(points[0] * scale)), max(1, int(points[1] * scale)))
        if kind == "logo":
            drawn = image.resize(size, Image.Resampling.LANCZOS)
        else:
            drawn = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        results.append(ScaledImage(kind, scale, drawn.width, drawn.height, _png(drawn)))
    return results


def prepare_upload(data: bytes, kind: str) -> list[ScaledImage]:
    """Check an upload and draw it at every scale; UploadRejected when it cannot be used."""
    return scaled_images(open_upload(data, kind), kind)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
