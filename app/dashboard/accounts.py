"""Signing in and out, password reset, invitations, the first-run page, staff and profile."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.dashboard import bp, sign_in
from app.dashboard.forms import LoginForm, LogoutForm
from app.extensions import db
from app.models import StaffUser
from app.models._common import utcnow
from app.security import verify_password


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if verify_password(form.password.data or "", staff.password_hash if staff else None) and staff:
            sign_in(staff)
            staff.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("The e-mail or the password is not right.")
    return render_template("dashboard/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        from flask import session

        session.clear()
    return redirect(url_for("dashboard.login"))
