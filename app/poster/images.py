"""The shop's logo and icon as the public pages show them, and Tessera's own icon.

A page's `<img>` carries the pixel size of the file it loads, so the browser reserves a box of
the right proportions before the image arrives and CSS scales it down without squashing it.
Uploads are addressed with their hash (`?v=`): the files are cached for a day, yet a new
upload shows at once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import request, url_for
from werkzeug.wrappers import Response

from app.models import Program
from app.poster.qr import LOGO_PIXELS
from app.wallet.program_art import stored_image

# The sharpest of the three scales a pass carries: the logo at 3x is 480×150 pixels at most,
# the icon 87×87; a page draws them at about a third of that on a 3x phone screen.
WEB_SCALE = 3
STATIC = Path(__file__).resolve().parents[1] / "static"
TESSERA_ICON = "apple-touch-icon.png"  # the largest PNG of Tessera's icon
# Tessera's icon files, served at the root where browsers and phones look for them on their own.
TESSERA_ICONS = {"favicon.ico": "image/vnd.microsoft.icon", "favicon.svg": "image/svg+xml",
                 "favicon-32.png": "image/png", "apple-touch-icon.png": "image/png"}
ICON_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True)
class PageImage:
    src: str
    width: int
    height: int
    drawn: bool = False  # the badge drawn from the shop's initials, not an upload


def uploaded_logo(program: Program) -> PageImage | None:
    stored = stored_image(program, "logo", WEB_SCALE)
    if stored is None:
        return None
    src = url_for("poster.logo_png", slug=program.slug, v=stored.sha1[:12])
    return PageImage(src, stored.width, stored.height)


def poster_logo(program: Program) -> PageImage:
    """The uploaded logo, else the badge `/join/<slug>/logo.png` draws from the initials."""
    drawn = PageImage(url_for("poster.logo_png", slug=program.slug), LOGO_PIXELS, LOGO_PIXELS, drawn=True)
    return uploaded_logo(program) or drawn


def shop_icon(program: Program | None) -> PageImage | None:
    """The shop's uploaded icon for the page's favicon; None: the page shows Tessera's."""
    if program is None or (stored := stored_image(program, "icon", WEB_SCALE)) is None:
        return None
    src = url_for("poster.icon_png", slug=program.slug, v=stored.sha1[:12])
    return PageImage(src, stored.width, stored.height)


@cache
def tessera_icon_bytes(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def tessera_icon_png() -> bytes:
    """Tessera's icon, what `/join/<slug>/icon.png` answers for a shop without its own."""
    return tessera_icon_bytes(TESSERA_ICON)


def tessera_icon_response(name: str) -> Response:
    """One of Tessera's icon files from memory, cached for a week and answered 304 when unchanged.
    Browsers ask for favicons on every page and drop the request whenever they navigate: a few
    kilobytes held in memory beat opening the file for each of them."""
    data = tessera_icon_bytes(name)
    response = Response(data, mimetype=TESSERA_ICONS[name])
    response.cache_control.public = True
    response.cache_control.max_age = ICON_MAX_AGE
    response.set_etag(hashlib.sha1(data).hexdigest()[:16])
    return response.make_conditional(request)
