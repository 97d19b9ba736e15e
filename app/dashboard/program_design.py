"""The design tab: the card's words, colours and images, with a live preview beside the form.

Images arrive in the same form as the texts. A file over 5 MB is refused beside its own field:
for the program's signed-in owner this route accepts bodies up to three such files (the app's
usual limit, which binds everyone else, is far smaller), and a body larger still is answered
with this page and a message beside the images, never a bare 413.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from app.dashboard import bp, owned_program, owner_required
from app.dashboard.program_forms import DOMAIN_FIELDS, Form, color_form_fields
from app.dashboard.program_preview import data_url, preview_context
from app.extensions import db
from app.formats import grouped
from app.loyalty.errors import LoyaltyError
from app.loyalty.programs import update_program
from app.models import Card, Program
from app.wallet.program_art import image_data, remove_images, store_images, uploaded_kinds
from app.wallet.uploads import (KINDS, MAX_BYTES, MAX_PIXELS, MAX_SIDE, MINIMUMS, ScaledImage, UploadRejected,
                                prepare_upload)

DESIGN_ENDPOINT = "dashboard.program_design"
BODY_LIMIT = len(KINDS) * MAX_BYTES + 1024 * 1024  # three full images and the text fields
TEXT_FIELDS = ("name", "organization_name", "points_label", "locale", "terms", "contact")
# In a sentence ("the logo needs..."): Italian puts the article in the name ("il logo").
KIND_NAMES = {"logo": _l("logo"), "icon": _l("icon"), "strip": _l("strip image")}
KIND_LABELS = {"logo": _l("Logo"), "icon": _l("Icon"), "strip": _l("Strip image")}
HINTS = {
    "logo": _l("PNG, JPEG or WebP up to 5 MB, at least 150×50 pixels. Shown top left beside the name, "
               "fitted into a 160×50 box; a transparent background looks best."),
    "icon": _l("Square, at least 87×87 pixels. Shown on the lock screen with each update; "
               "a picture that is not square is cropped from the centre."),
    "strip": _l("Optional. A wide picture, at least 750×246 pixels, shown across the card behind the "
                "points; it is cropped from the centre to the 375×123 band."),
}


@bp.url_value_preprocessor
def _allow_image_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The larger body limit, for a signed-in owner of this program only: anyone else is held to
    the app's usual limit and refused (413) from the Content-Length, before the body is read.
    Runs before the CSRF check reads the form, which is when the limit applies, so the staff
    member is looked up here, ahead of the dashboard's own hook."""
    if endpoint != DESIGN_ENDPOINT or request.method != "POST" or not values:
        return
    from app.dashboard import load_staff

    load_staff()
    if owns_program(values.get("program_id")):
        request.max_content_length = max(BODY_LIMIT, current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def owns_program(program_id: object) -> bool:
    """Signed in as an owner of this program: who may send a large body (an upload) to its pages."""
    staff = g.staff
    if staff is None or staff.role != "owner" or not isinstance(program_id, int):
        return False
    program = db.session.get(Program, program_id)
    return program is not None and program.merchant_id == staff.merchant_id


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    from app.dashboard import load_staff
    from app.errors import _on_http

    if "staff" not in g:
        load_staff()  # the size limit struck in the CSRF check, before the dashboard's own hooks
    from app.dashboard.member_imports import UPLOAD_ENDPOINT, too_large_page

    program_id = (request.view_args or {}).get("program_id")
    if request.endpoint == UPLOAD_ENDPOINT and owns_program(program_id):
        return too_large_page()
    if request.endpoint != DESIGN_ENDPOINT or not owns_program(program_id):
        return _on_http(exc)  # every other page, and everyone but the program's owner, as the rest of the app
    program = owned_program(int(program_id))  # type: ignore[arg-type]
    form = Form(_current_values(program))
    form.fail("images", _("These files are too large together. Each image may be at most 5 MB; "
                          "choose smaller files and save again."))
    return _render(program, form), 413


def _current_values(program: Program) -> dict[str, str]:
    return {
        **{name: str(getattr(program, name) or "") for name in TEXT_FIELDS},
        **{f"{which}_color": getattr(program, f"{which}_color") for which in ("background", "foreground", "label")},
    }


def _read_fields(form: Form, program: Program) -> dict[str, Any]:
    """Only what changed: an unchanged save pushes nothing to the phones."""
    fields: dict[str, Any] = {
        "name": form.text("name", max_length=80, required=True),
        "organization_name": form.text("organization_name", max_length=80, required=True),
        "points_label": form.text("points_label", max_length=20, required=True),
        "locale": form.choice("locale", ("it", "en")),
        "terms": form.text("terms", max_length=4000),
        "contact": form.text("contact", max_length=200),
    }
    changed = {k: v for k, v in fields.items() if v is not None and v != (getattr(program, k) or "")}
    colors = {k: v for k, v in color_form_fields(form).items() if v != getattr(program, f"{k}_color")}
    if colors:
        changed["colors"] = colors
    return changed


def upload_message(exc: UploadRejected, kind: str) -> str:
    minimum = MINIMUMS[kind]
    messages = {
        "too_big": _("This file is larger than 5 MB. Save a smaller copy and choose it again."),
        "empty": _("This file is empty."),
        "not_image": _("This file is not a picture we can read. Use a PNG, JPEG or WebP image."),
        "format": _("This picture's format is not supported. Use PNG, JPEG or WebP."),
    }
    if exc.reason == "too_many_pixels":
        return _("This picture has too many pixels to use (at most %(megapixels)d megapixels, such as "
                 "%(side)d×%(side)d). Save a smaller copy and choose it again.",
                 megapixels=MAX_PIXELS // 1_000_000, side=MAX_SIDE)
    if exc.reason == "too_small":
        return _("This picture is %(width)d×%(height)d pixels; the %(kind)s needs at least %(min_width)d×%(min_height)d.",
                 width=exc.width, height=exc.height, kind=KIND_NAMES[kind],
                 min_width=minimum.width, min_height=minimum.height)
    return messages.get(exc.reason, messages["not_image"])


def _read_upload(form: Form, kind: str) -> list[ScaledImage] | None:
    storage: FileStorage | None = request.files.get(kind)
    if storage is None or not storage.filename:
        return None  # a file input left alone still sends an empty, nameless part
    data = storage.stream.read(MAX_BYTES + 1)
    try:
        return prepare_upload(data, kind)
    except UploadRejected as exc:
        form.fail(kind, upload_message(exc, kind))
        return None


def _card_count(program: Program) -> int:
    return db.session.scalar(select(func.count(Card.id)).where(Card.program_id == program.id)) or 0


def _save(program: Program, form: Form) -> bool:
    """Everything or nothing; False (with messages on `form`) when something was refused."""
    fields = _read_fields(form, program)
    uploads = {kind: images for kind in KINDS if (images := _read_upload(form, kind)) is not None}
    removals = [k for k in KINDS if form.get(f"remove_{k}") and k not in uploads and k in uploaded_kinds(program)]
    if form.errors:
        return False
    try:
        if fields:
            update_program(program, fields)
        for kind, images in uploads.items():
            store_images(program, kind, images)
        for kind in removals:
            remove_images(program, kind)
    except LoyaltyError as exc:
        db.session.rollback()
        form.domain_error(exc, DOMAIN_FIELDS)
        return False
    changed = bool(fields or uploads or removals)
    cards = _card_count(program) if changed else 0
    db.session.commit()
    if not changed:
        flash(_("Nothing to save: the card is as it was."), "message")
    elif not cards:
        flash(_("Saved. Members' cards will look like this."), "message")
    else:
        flash(ngettext("Saved. %(count)s card will update on members' phones in a moment.",
                       "Saved. %(count)s cards will update on members' phones in a moment.", cards,
                       count=grouped(cards)), "message")
    return True


def _preview_images(program: Program) -> dict[str, str]:
    kinds = uploaded_kinds(program)
    return {kind: data_url(image_data(program, kind, 2)) for kind in KINDS if kind in kinds}


def _render(program: Program, form: Form) -> str:
    images = _preview_images(program)
    return render_template(
        "dashboard/programs/design.html", program=program, form=form, tab="design", kinds=KINDS, hints=HINTS,
        kind_labels=KIND_LABELS, images=images, preview=preview_context(program, form.raw, images),
        max_bytes=MAX_BYTES,
    )


@bp.route("/programs/<int:program_id>/design", methods=["GET", "POST"])
@owner_required
def program_design(program_id: int) -> ResponseReturnValue:
    program = owned_program(program_id)
    if request.method == "POST":
        form = Form(request.form)
        if _save(program, form):
            return redirect(url_for(DESIGN_ENDPOINT, program_id=program.id))
        db.session.rollback()
        return _render(owned_program(program_id), form), 422
    return _render(program, Form(_current_values(program)))
