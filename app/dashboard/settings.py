"""The QR poster and its locations.

A location (the till, the window, a second shop) gets its own code and so its own QR poster,
`/join/<slug>?at=<code>`: the members who join by scanning it are counted for it in the figures.
The code is drawn once from the name and never changes, so a renamed location's printed posters
keep working; a deleted one's still enrol, without a location.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from app.dashboard import bp, owned_program, owner_required
from app.extensions import db
from app.models import Location, Member, Program
from app.poster import join_link

NAME_LENGTH = 80
BASE_LENGTH = 12  # of the 16 the column holds, leaving room for "-2", "-3"…
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def slugify(name: str) -> str:
    """'Vetrina Via Roma' → 'vetrina-via-roma': readable in the link, safe in any URL."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def location_code(name: str, taken: set[str]) -> str:
    """A short code unique within the program: the name made URL-safe, numbered when taken,
    random when the name has no letter a URL can carry (emoji, say)."""
    base = slugify(name)[:BASE_LENGTH].strip("-")
    if not base:
        base = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    if base not in taken:
        return base
    for n in range(2, 1000):
        if (candidate := f"{base}-{n}") not in taken:
            return candidate
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))  # pragma: no cover


def _locations(program: Program) -> list[Location]:
    return list(db.session.scalars(
        select(Location).where(Location.program_id == program.id).order_by(Location.name, Location.id)))


def _members_per_location(program: Program) -> dict[int, int]:
    rows = db.session.execute(
        select(Member.location_id, func.count()).where(Member.program_id == program.id, Member.location_id.is_not(None))
        .group_by(Member.location_id))
    return {int(location_id): int(count) for location_id, count in rows}


def _check_name(raw: str, locations: list[Location], renaming: Location | None = None) -> tuple[str, str | None]:
    """The name tidied, and what is wrong with it (None: nothing)."""
    name = " ".join(raw.split())
    if not name:
        return name, _("Enter a name for the location.")
    if len(name) > NAME_LENGTH:
        return name, _("At most %(count)s characters.", count=NAME_LENGTH)
    if any(loc.name.casefold() == name.casefold() and loc is not renaming for loc in locations):
        return name, _("There is already a location called %(name)s.", name=name)
    return name, None


def _page(program: Program, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("new_name", "")
    context.setdefault("add_error", None)
    context.setdefault("rename_errors", {})
    context.setdefault("rename_values", {})
    html = render_template(
        "dashboard/poster/index.html", program=program, link=join_link(program), locations=_locations(program),
        joined=_members_per_location(program), join_link=join_link, **context,
    )
    return html, status


def _back(program: Program, location: Location | None = None) -> Response:
    anchor = f"#location-{location.id}" if location is not None else "#locations"
    return Response(status=303, headers={"Location": url_for("dashboard.poster", program_id=program.id) + anchor})


@bp.route("/programs/<int:program_id>/poster", methods=["GET", "POST"])
@owner_required
def poster(program_id: int) -> tuple[str, int] | Response:
    """The join link and its QR code; POST adds a location."""
    program = owned_program(program_id)
    if request.method == "GET":
        return _page(program)
    raw = request.form.get("name", "")
    locations = _locations(program)
    name, error = _check_name(raw, locations)
    if error:
        return _page(program, 422, new_name=raw, add_error=error)
    location = Location(program_id=program.id, name=name, code=location_code(name, {loc.code for loc in locations}))
    db.session.add(location)
    try:
        db.session.commit()
    except IntegrityError:  # the same code taken a moment ago by another request: nothing written
        db.session.rollback()
        return _page(program, 409, new_name=raw, add_error=_("Someone added a location at the same moment. Try again."))
    flash(_("Location %(name)s added: print its poster and put it up there.", name=name), "message")
    return _back(program, location)


def _owned_location(program: Program, location_id: int) -> Location:
    location = db.session.get(Location, location_id)
    if location is None or location.program_id != program.id:
        raise NotFound()
    return location


@bp.post("/programs/<int:program_id>/poster/locations/<int:location_id>")
@owner_required
def location_rename(program_id: int, location_id: int) -> tuple[str, int] | Response:
    """A new name; the code, and so every poster already printed, stays the same."""
    program = owned_program(program_id)
    location = _owned_location(program, location_id)
    raw = request.form.get("name", "")
    name, error = _check_name(raw, _locations(program), renaming=location)
    if error:
        return _page(program, 422, rename_errors={location.id: error}, rename_values={location.id: raw})
    location.name = name
    db.session.commit()
    flash(_("Location renamed to %(name)s. Its posters stay valid.", name=name), "message")
    return _back(program, location)


@bp.post("/programs/<int:program_id>/poster/locations/<int:location_id>/delete")
@owner_required
def location_delete(program_id: int, location_id: int) -> Response:
    program = owned_program(program_id)
    location = _owned_location(program, location_id)
    name = location.name
    db.session.delete(location)  # its members keep their card; the database clears their location
    db.session.commit()
    flash(_("Location %(name)s deleted. Its members now count under “no location”, and its posters still "
            "let people join.", name=name), "message")
    return _back(program)
