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
    for stale in ("program", "merchant_programs"):  # requests in one app context (a test client) share g
        g.pop(stale, None)
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
    chosen = chosen_program(staff)  # until the login chooses another, its merchant's first program
    staff.current_program_id = chosen.id if chosen is not None else None


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
    # From the merchant's list, which the navigation's switcher needs anyway: one query for both.
    program = next((p for p in merchant_programs() if p.id == program_id), None)
    if program is None:
        abort(404)
    g.program = program  # the navigation links stay on this program
    choose_program(g.staff, program)
    return program


def choose_program(staff: StaffUser, program: Program) -> None:
    """`program` becomes the one this login's navigation follows, on later pages and after the next
    sign-in too. Committed at once, before the view changes anything: a refused action that rolls
    back still leaves the choice made."""
    if staff.current_program_id != program.id:
        staff.current_program_id = program.id
        db.session.commit()


def chosen_program(staff: StaffUser) -> Program | None:
    """The program `staff` chose last, while it is still their merchant's; else the merchant's first."""
    if staff.current_program_id is not None:
        program = db.session.get(Program, staff.current_program_id)
        if program is not None and program.merchant_id == staff.merchant_id:
            return program
    return next(iter(merchant_programs(staff.merchant_id)), None)


def merchant_programs(merchant_id: int | None = None) -> list[Program]:
    """The programs of `merchant_id` (the signed-in merchant's by default), oldest first; read once
    a request."""
    from sqlalchemy import select

    merchant_id = merchant_id or g.staff.merchant_id
    cached = g.get("merchant_programs")
    if cached is None or cached[0] != merchant_id:
        cached = g.merchant_programs = (merchant_id, list(db.session.scalars(
            select(Program).where(Program.merchant_id == merchant_id).order_by(Program.id))))
    return list(cached[1])


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
