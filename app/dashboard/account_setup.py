"""The first-run page (the first merchant and its owner) and accepting an invitation."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.dashboard import bp, sign_in
from app.dashboard.account_tokens import INVITE_MAX_AGE, INVITE_SALT, TokenProblem, load_token
from app.dashboard.accounts import landing, set_password, token_problem_page
from app.dashboard.forms import AcceptInviteForm, SetupForm
from app.dashboard.zones import browser_languages, default_zone, suggested_zones
from app.extensions import db
from app.models import Merchant, StaffUser
from app.models._common import utcnow
from app.security import hash_password


def _has_merchant() -> bool:
    return db.session.scalar(select(Merchant.id).limit(1)) is not None


def _after_setup() -> str:
    if "dashboard.program_new" in current_app.view_functions:
        return url_for("dashboard.program_new")
    return url_for("dashboard.home")


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    """Only while the database holds no merchant at all; afterwards it is the sign-in page."""
    if _has_merchant():
        return redirect(url_for("dashboard.login"))
    form = SetupForm()
    languages = [*browser_languages(), str(get_locale())]
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        zone = form.timezone.data or default_zone(languages, form.browser_zone.data)
        merchant = Merchant(name=(form.shop.data or "").strip(), timezone=zone)
        owner = StaffUser(email=email, password_hash=hash_password(form.password.data or ""), role="owner",
                          name=(form.name.data or "").strip(), password_changed_at=utcnow(), last_login_at=utcnow())
        merchant.staff.append(owner)
        db.session.add(merchant)
        try:
            db.session.flush()
        except IntegrityError:  # someone else finished the first run a moment ago
            db.session.rollback()
            return redirect(url_for("dashboard.login"))
        sign_in(owner)
        db.session.commit()
        flash(_("Welcome to Tessera, %(name)s. Your shop is ready.", name=owner.name), "message")
        return redirect(_after_setup())
    return _setup_page(form, languages)


def _setup_page(form: SetupForm, languages: list[str]) -> str:
    """The form, its zone preselected: the browser's (a script picks it), else the language's."""
    if not form.is_submitted():
        form.timezone.data = default_zone(languages, None) or current_app.config["TIMEZONE"]
    form.offer_zones(suggested_zones(languages, form.browser_zone.data, form.timezone.data))
    return render_template("dashboard/accounts/setup.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> str | Response | tuple[str, int]:
    staff = load_token(token, INVITE_SALT, INVITE_MAX_AGE)
    if isinstance(staff, TokenProblem) or staff.invited_at is None:
        return token_problem_page(staff if isinstance(staff, TokenProblem) else TokenProblem(False), "invite")
    form = AcceptInviteForm()
    if not form.is_submitted():
        form.name.data = staff.name
    if form.validate_on_submit():
        staff.name = (form.name.data or "").strip()
        set_password(staff, form.password.data or "")
        staff.invited_at = None  # accepted: a login like any other from now on
        staff.last_login_at = utcnow()
        sign_in(staff)
        db.session.commit()
        flash(_("Welcome, %(name)s. You are signed in to %(shop)s.", name=staff.name, shop=staff.merchant.name),
              "message")
        return redirect(landing(staff))
    return render_template("dashboard/accounts/invite.html", form=form, staff=staff)
