"""Signing in and out, with a lockout after repeated failures, and the password reset by e-mail.

The first-run page and invitations live in `account_setup`, the profile in `profile`, staff and
API keys in `staff` and `api_keys`."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.dashboard import bp, chosen_program, sign_in
from app.dashboard.account_tokens import RESET_MAX_AGE, RESET_SALT, TokenProblem, load_token, send_reset_mail
from app.dashboard.forms import ForgotForm, LoginForm, LogoutForm, ResetForm
from app.enrollment.limits import limiter
from app.extensions import db
from app.models import Merchant, StaffUser
from app.models._common import utcnow
from app.security import hash_password, verify_password

MAX_FAILURES = 5
LOCK_MINUTES = 15
# Unknown addresses have no row to count on: the rate-limit storage counts their failures and
# marks them locked for the same 15 minutes, so a guessed address reads like a real one.
UNKNOWN_FAILURES = parse(f"{MAX_FAILURES} per 1 day")
UNKNOWN_LOCK = parse(f"1 per {LOCK_MINUTES} minutes")
# Per network address, on top of the per-login lockout: guessing across many e-mails, or
# flooding someone's inbox with reset links, runs into these.
LOGIN_RATE = "30 per 5 minutes"
FORGOT_RATE = "10 per hour"


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return None


def landing(staff: StaffUser, target: str | None = None) -> str:
    """Where a login goes once signed in: a cashier to the till, an owner where they were headed."""
    if staff.role == "cashier":  # their work is the till (of the program chosen last), whatever page they were sent from
        program = chosen_program(staff)
        if program is not None and "dashboard.till" in current_app.view_functions:
            return url_for("dashboard.till", program_id=program.id)
        return url_for("dashboard.home")
    return _safe_next(target) or url_for("dashboard.home")


def _unknown_key(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


def _locked(staff: StaffUser | None, email: str) -> bool:
    if staff is None:
        return not limiter.limiter.test(UNKNOWN_LOCK, "dashboard-login-lock", _unknown_key(email))
    return staff.locked_until is not None and staff.locked_until > utcnow()


def _count_failure(staff: StaffUser | None, email: str) -> None:
    if staff is None:
        key = _unknown_key(email)
        limiter.limiter.hit(UNKNOWN_FAILURES, "dashboard-login", key)
        if limiter.limiter.get_window_stats(UNKNOWN_FAILURES, "dashboard-login", key).remaining == 0:
            limiter.limiter.hit(UNKNOWN_LOCK, "dashboard-login-lock", key)
            limiter.limiter.clear(UNKNOWN_FAILURES, "dashboard-login", key)
        return
    staff.failed_logins = (staff.failed_logins or 0) + 1
    if staff.failed_logins >= MAX_FAILURES:
        staff.locked_until = utcnow() + timedelta(minutes=LOCK_MINUTES)
        staff.failed_logins = 0


def _lock_message() -> str:
    return _("Too many wrong passwords: signing in with this e-mail is paused for %(minutes)d minutes. "
             "You can reset the password meanwhile.", minutes=LOCK_MINUTES)


def clear_lockout(staff: StaffUser) -> None:
    staff.failed_logins = 0
    staff.locked_until = None


def _attempt(form: LoginForm) -> StaffUser | str:
    """The login to sign in, or the message to show beside the password."""
    email = (form.email.data or "").strip().lower()
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    # Always one hash verification, known address or not, locked or not: the time taken says nothing.
    right = verify_password(form.password.data or "", staff.password_hash if staff else None)
    if _locked(staff, email):
        return _lock_message()
    if staff is not None and right and staff.invited_at is None:
        if not staff.active:
            return _("This login has been deactivated. Ask the shop's owner to turn it back on.")
        return staff
    _count_failure(staff, email)
    db.session.commit()
    return _lock_message() if _locked(staff, email) else _("The e-mail or the password is not right.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE, methods=["POST"])
def login() -> str | Response:
    if g.staff is not None and request.method == "GET":  # already signed in: carry on
        return redirect(landing(g.staff, request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = _attempt(form)
        if isinstance(outcome, StaffUser):
            clear_lockout(outcome)
            outcome.last_login_at = utcnow()
            sign_in(outcome)
            db.session.commit()
            return redirect(landing(outcome, request.args.get("next")))
        form.password.errors.append(outcome)
    first_run = db.session.scalar(select(Merchant.id).limit(1)) is None
    return render_template("dashboard/login.html", form=form, first_run=first_run)


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        session.clear()
    return redirect(url_for("dashboard.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_RATE, methods=["POST"])
def forgot() -> str | Response:
    form = ForgotForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        # Invited logins accept their invitation instead; deactivated ones get nothing.
        if staff is not None and staff.active and staff.invited_at is None:
            send_reset_mail(staff)
        return render_template("dashboard/accounts/forgot_sent.html", email=email)
    return render_template("dashboard/accounts/forgot.html", form=form)


def token_problem_page(problem: TokenProblem, kind: str) -> tuple[str, int]:
    return render_template("dashboard/accounts/bad_link.html", expired=problem.expired, kind=kind), 400


def set_password(staff: StaffUser, password: str) -> None:
    """A new password: older sessions, reset links and invitations of this login stop working."""
    staff.password_hash = hash_password(password)
    staff.password_changed_at = utcnow()
    clear_lockout(staff)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    staff = load_token(token, RESET_SALT, RESET_MAX_AGE)
    if isinstance(staff, TokenProblem) or staff.invited_at is not None:
        return token_problem_page(staff if isinstance(staff, TokenProblem) else TokenProblem(False), "reset")
    form = ResetForm()
    if form.validate_on_submit():
        set_password(staff, form.password.data or "")
        staff.last_login_at = utcnow()
        sign_in(staff)
        db.session.commit()
        flash(_("Your new password is set. You are signed in."), "message")
        return redirect(landing(staff))
    return render_template("dashboard/accounts/reset.html", form=form, staff=staff)


from app.dashboard import account_setup, profile, shop  # noqa: E402,F401  (their routes register on bp)
