"""The shop's QR poster: `/join/<slug>/poster` to print, its QR code as SVG and PNG, and its logo.

Public and cacheable: everything here is derived from the program and PUBLIC_URL, nothing from
a member. The join page itself (`/join/<slug>`) lives in app/enrollment.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from app.api.serializers import enroll_url
from app.extensions import db
from app.models import Program
from app.poster.qr import logo, qr_png, qr_svg
from app.poster.text import poster_text
from passes.apple.colors import parse_color

bp = Blueprint("poster", __name__)
# A day: a slug or colour change shows within a day, and an ETag revalidates cheaply before then.
IMAGE_CACHE = "public, max-age=86400"


def _program(slug: str) -> Program:
    program: Program | None = db.session.scalar(select(Program).where(Program.slug == slug))
    if program is None:
        abort(404)
    return program


def _image(data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = IMAGE_CACHE
    response.add_etag()
    response.make_conditional(request)  # turns itself into a 304 when the ETag matches
    return response


@bp.get("/join/<slug>/qr.svg")
def qr_code_svg(slug: str) -> Response:
    return _image(qr_svg(enroll_url(_program(slug))), "image/svg+xml")


@bp.get("/join/<slug>/qr.png")
def qr_code_png(slug: str) -> Response:
    return _image(qr_png(enroll_url(_program(slug))), "image/png")


@bp.get("/join/<slug>/logo.png")
def logo_png(slug: str) -> Response:
    program = _program(slug)
    from app.wallet.program_art import image_data  # the merchant's own logo, at its sharpest

    if (uploaded := image_data(program, "logo", 3)) is not None:
        return _image(uploaded, "image/png")
    name = program.organization_name or program.name
    return _image(logo(name, program.background_color, program.foreground_color), "image/png")


@bp.get("/join/<slug>/poster")
def poster(slug: str) -> str:
    program = _program(slug)
    link = enroll_url(program)
    return render_template(
        "poster/poster.html",
        program=program,
        shop=program.organization_name or program.name,
        link=link,
        short_link=short_link(link),
        colors=_css_colors(program),
        text=poster_text(program.locale),
    )


def short_link(url: str) -> str:
    """What a person types: host and path, without the scheme a browser adds by itself."""
    parts = urlsplit(url)
    return parts.netloc + parts.path


def _css_colors(program: Program) -> dict[str, str]:
    # Re-serialised from parsed values, so only `#rrggbb` ever reaches the style sheet.
    return {
        which: "#{:02x}{:02x}{:02x}".format(*parse_color(getattr(program, f"{which}_color")))
        for which in ("background", "foreground", "label")
    }
