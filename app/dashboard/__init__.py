"""Merchant pages: accounts, program editor, till, members, messages, figures, settings.

Every view is reached by signed-in staff only; `owner_required` keeps cashiers to the till and
member look-up, and `owned_program` keeps one merchant's data from another's staff (404)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Program, StaffUser

bp = Blueprint("dashboard", __name__)
P = ParamSpec("P")
R = TypeVar("R")
ROLES = ("owner", "cashier")


@bp.before_request
def load_staff() -> None:
    staff_id = session.get("staff_id")
    staff = db.session.get(StaffUser, staff_id) if isinstance(staff_id, int) else None
    if staff is not None and (not staff.active or session.get("staff_stamp") != staff_stamp(staff)):
        session.clear()  # removed, or the password changed since this session signed in
        staff = None
    g.staff = staff
    g.staff_locale = staff.locale if staff is not None else None
    g.staff_timezone = staff.merchant.timezone if staff is not None else None  # times on the pages


def staff_stamp(staff: StaffUser) -> str:
    """Changes when the password does, which signs every other session of that login out."""
    return staff.password_hash[-12:]


def sign_in(staff: StaffUser) -> None:
    session.clear()
    session["staff_id"] = staff.id
    session["staff_stamp"] = staff_stamp(staff)
    session.permanent = True


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if g.staff is None:
            return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def owner_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Signed in as an owner; a cashier gets 403 (the till and member look-up are theirs)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if g.staff is None:
            return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
        if g.staff.role != "owner":
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def owned_program(program_id: int) -> Program:
    """The signed-in merchant's program, else 404 (never 403: other merchants' ids stay secret)."""
    program = db.session.get(Program, program_id)
    if program is None or program.merchant_id != g.staff.merchant_id:
        abort(404)
    g.program = program  # the navigation links stay on this program
    return program


def merchant_programs() -> list[Program]:
    from sqlalchemy import select

    return list(db.session.scalars(
        select(Program).where(Program.merchant_id == g.staff.merchant_id).order_by(Program.id)
    ))


# Each module registers its routes on bp.
from app.dashboard import (  # noqa: E402,F401
    accounts,
    enrol,
    member_imports,
    figures,
    members,
    messages,
    nav,
    programs,
    settings,
    staff,
    till,
)
