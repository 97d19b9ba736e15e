"""The signed-in login's own page: name, language and password."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.wrappers import Response

from app.dashboard import bp, login_required, sign_in
from app.dashboard.accounts import set_password
from app.dashboard.forms import PasswordForm, ProfileForm
from app.extensions import db
from app.security import verify_password


def _page(profile_form: ProfileForm, password_form: PasswordForm) -> str:
    return render_template("dashboard/accounts/profile.html", form=profile_form, password_form=password_form)


@bp.get("/profile")
@login_required
def profile() -> str:
    form = ProfileForm(name=g.staff.name, locale=g.staff.locale or "")
    return _page(form, PasswordForm(formdata=None))


@bp.post("/profile")
@login_required
def profile_save() -> str | Response:
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(form, PasswordForm(formdata=None))
    g.staff.name = (form.name.data or "").strip()
    g.staff.locale = form.locale.data or None
    db.session.commit()
    g.staff_locale = g.staff.locale  # the confirmation already speaks the chosen language
    refresh()
    flash(_("Your profile is saved."), "message")
    return redirect(url_for("dashboard.profile"))


@bp.post("/profile/password")
@login_required
def profile_password() -> str | Response:
    form = PasswordForm()
    if form.validate_on_submit():
        if verify_password(form.current.data or "", g.staff.password_hash):
            set_password(g.staff, form.password.data or "")
            sign_in(g.staff)  # this session carries the new stamp; every other one is signed out
            db.session.commit()
            flash(_("Your password is changed. Other devices signed in with it have been signed out."), "message")
            return redirect(url_for("dashboard.profile"))
        form.current.errors = [*form.current.errors, _("This is not your current password.")]
    profile_form = ProfileForm(formdata=None, name=g.staff.name, locale=g.staff.locale or "")
    return _page(profile_form, form)
