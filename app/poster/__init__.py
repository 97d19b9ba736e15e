"""The shop's QR poster: `/join/<slug>/poster` to print, its QR code as SVG and PNG, its logo and icon.

Public and cacheable: everything here is derived from the program and PUBLIC_URL, nothing from
a member. The join page itself (`/join/<slug>`) lives in app/enrollment.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from app.api.serializers import enroll_url
from app.extensions import db
from app.models import Location, Program
from app.poster.images import WEB_SCALE, poster_logo, shop_icon, tessera_icon_png
from app.poster.qr import logo, qr_png, qr_svg
from app.poster.text import poster_text
from app.wallet.program_art import image_data
from passes.apple.colors import parse_color

bp = Blueprint("poster", __name__)
# A day: a slug or colour change shows within a day, and an ETag revalidates cheaply before then.
IMAGE_CACHE = "public, max-age=86400"


def _program(slug: str) -> Program:
    program: Program | None = db.session.scalar(select(Program).where(Program.slug == slug))
    if program is None:
        abort(404)
    return program


def join_link(program: Program, location: Location | None = None) -> str:
    """The join page's address; a location's adds its code, recorded on the members who join there."""
    link = enroll_url(program)
    return f"{link}?{urlencode({'at': location.code})}" if location is not None else link


def _location(program: Program) -> Location | None:
    """The location `?at=` names: none asked, the shop's own code; one not of this program, 404."""
    code = request.args.get("at")
    if code is None:
        return None
    location: Location | None = db.session.scalar(
        select(Location).where(Location.program_id == program.id, Location.code == code[:16]))
    if location is None:
        abort(404)
    return location


def _image(data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = IMAGE_CACHE
    response.add_etag()
    response.make_conditional(request)  # turns itself into a 304 when the ETag matches
    return response


@bp.get("/join/<slug>/qr.svg")
def qr_code_svg(slug: str) -> Response:
    program = _program(slug)
    return _image(qr_svg(join_link(program, _location(program))), "image/svg+xml")


@bp.get("/join/<slug>/qr.png")
def qr_code_png(slug: str) -> Response:
    program = _program(slug)
    return _image(qr_png(join_link(program, _location(program))), "image/png")


@bp.get("/join/<slug>/logo.png")
def logo_png(slug: str) -> Response:
    program = _program(slug)
    if (uploaded := image_data(program, "logo", WEB_SCALE)) is not None:  # the merchant's own, at its sharpest
        return _image(uploaded, "image/png")
    name = program.organization_name or program.name
    return _image(logo(name, program.background_color, program.foreground_color), "image/png")


@bp.get("/join/<slug>/icon.png")
def icon_png(slug: str) -> Response:
    """The shop's pages' favicon: its uploaded icon, else Tessera's."""
    program = _program(slug)
    return _image(image_data(program, "icon", WEB_SCALE) or tessera_icon_png(), "image/png")


@bp.get("/join/<slug>/poster")
def poster(slug: str) -> str:
    program = _program(slug)
    location = _location(program)
    link = join_link(program, location)
    return render_template(
        "poster/poster.html",
        program=program,
        location=location,
        shop=program.organization_name or program.name,
        link=link,
        short_link=short_link(link),
        colors=_css_colors(program),
        text=poster_text(program.locale),
        logo=poster_logo(program),
        icon=shop_icon(program),
    )


def short_link(url: str) -> str:
    """What a person types: host, path and a location's code, without the scheme a browser adds."""
    parts = urlsplit(url)
    return parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")


def _css_colors(program: Program) -> dict[str, str]:
    # Re-serialised from parsed values, so only `#rrggbb` ever reaches the style sheet.
    return {
        which: "#{:02x}{:02x}{:02x}".format(*parse_color(getattr(program, f"{which}_color")))
        for which in ("background", "foreground", "label")
    }
