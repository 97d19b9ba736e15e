"""Merchant pages: sign-in and an overview of programs and members."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import StaffUser

bp = Blueprint("dashboard", __name__)
P = ParamSpec("P")
R = TypeVar("R")


@bp.before_request
def load_staff() -> None:
    staff_id = session.get("staff_id")
    g.staff = db.session.get(StaffUser, staff_id) if isinstance(staff_id, int) else None


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if g.staff is None:
            return redirect(url_for("dashboard.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


from app.dashboard import views  # noqa: E402,F401
