"""Staff logins of a merchant (owners only): invitations by e-mail, roles, deactivation.

Rules: an owner never demotes or deactivates themself, and the merchant always keeps an active
owner who has accepted their invitation. Another merchant's login is a 404."""
from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.dashboard import bp, owner_required
from app.dashboard.account_tokens import invite_link, send_invite_mail
from app.dashboard.forms import ActionForm, InviteForm, RoleForm
from app.extensions import db
from app.models import StaffUser
from app.models._common import utcnow
from app.security import hash_password


def status_of(staff: StaffUser) -> str:
    if not staff.active:
        return "deactivated"
    return "invited" if staff.invited_at is not None else "active"


def _logins() -> list[StaffUser]:
    return list(db.session.scalars(
        select(StaffUser).where(StaffUser.merchant_id == g.staff.merchant_id).order_by(StaffUser.id)))


def _page(form: InviteForm) -> str:
    return render_template("dashboard/accounts/staff.html", form=form, logins=_logins(), status_of=status_of)


def _owned_login(staff_id: int) -> StaffUser:
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or staff.merchant_id != g.staff.merchant_id:
        abort(404)
    return staff


def _other_active_owners(staff: StaffUser) -> int:
    return int(db.session.scalar(
        select(func.count(StaffUser.id)).where(
            StaffUser.merchant_id == staff.merchant_id, StaffUser.id != staff.id, StaffUser.role == "owner",
            StaffUser.active.is_(True), StaffUser.invited_at.is_(None))) or 0)


def _refusal(staff: StaffUser, demoting: bool) -> str | None:
    """Why this change may not be made, or None."""
    if staff.id == g.staff.id:
        return _("You cannot demote or deactivate yourself; another owner can.")
    if demoting and staff.role == "owner" and _other_active_owners(staff) == 0:
        return _("The shop must keep at least one active owner.")
    return None


def _send_invitation(staff: StaffUser) -> None:
    """After the commit. Without working e-mail the owner gets the link to hand over in person."""
    link = invite_link(staff)
    if send_invite_mail(staff, g.staff, link):
        flash(_("Invitation sent to %(email)s.", email=staff.email), "message")
    else:
        flash(_("The invitation e-mail could not be sent. Give %(name)s this link yourself: %(link)s",
                name=staff.name or staff.email, link=link), "warning")


def _pending_password() -> str:
    """An invited login has no password anyone knows until the invitation is accepted."""
    return hash_password(secrets.token_urlsafe(32))


@bp.get("/staff")
@owner_required
def staff() -> str:
    return _page(InviteForm(formdata=None))


@bp.post("/staff")
@owner_required
def staff_invite() -> str | Response:
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(form)
    email = (form.email.data or "").strip().lower()
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        form.email.errors = [*form.email.errors, _("A login with this e-mail already exists.")]
        return _page(form)
    invited = StaffUser(merchant_id=g.staff.merchant_id, email=email, name=(form.name.data or "").strip(),
                        role=form.role.data, password_hash=_pending_password(), invited_at=utcnow())
    db.session.add(invited)
    db.session.commit()
    _send_invitation(invited)
    return redirect(url_for("dashboard.staff"))


@bp.post("/staff/<int:staff_id>/resend")
@owner_required
def staff_resend(staff_id: int) -> Response:
    staff = _owned_login(staff_id)
    if ActionForm().validate_on_submit():
        if status_of(staff) != "invited":
            flash(_("%(email)s is not waiting for an invitation.", email=staff.email), "error")
        else:
            staff.password_hash = _pending_password()  # the earlier link stops working
            staff.invited_at = utcnow()
            db.session.commit()
            _send_invitation(staff)
    return redirect(url_for("dashboard.staff"))


@bp.post("/staff/<int:staff_id>/role")
@owner_required
def staff_role(staff_id: int) -> Response:
    staff = _owned_login(staff_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose owner or cashier."), "error")
    elif form.role.data != staff.role:
        problem = _refusal(staff, demoting=form.role.data != "owner")
        if problem:
            flash(problem, "error")
        else:
            staff.role = form.role.data
            db.session.commit()
            flash(_("%(name)s is now %(role)s.", name=staff.name or staff.email, role=role_name(staff.role)),
                  "message")
    return redirect(url_for("dashboard.staff"))


def role_name(role: str) -> str:
    return _("an owner") if role == "owner" else _("a cashier")


@bp.post("/staff/<int:staff_id>/deactivate")
@owner_required
def staff_deactivate(staff_id: int) -> Response:
    staff = _owned_login(staff_id)
    if ActionForm().validate_on_submit() and staff.active:
        problem = _refusal(staff, demoting=True)
        if problem:
            flash(problem, "error")
        else:
            staff.active = False  # their open sessions end on their next request
            db.session.commit()
            flash(_("%(name)s can no longer sign in.", name=staff.name or staff.email), "message")
    return redirect(url_for("dashboard.staff"))


@bp.post("/staff/<int:staff_id>/reactivate")
@owner_required
def staff_reactivate(staff_id: int) -> Response:
    staff = _owned_login(staff_id)
    if ActionForm().validate_on_submit() and not staff.active:
        staff.active = True
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=staff.name or staff.email), "message")
    return redirect(url_for("dashboard.staff"))


from app.dashboard import api_keys  # noqa: E402,F401  (its routes register on bp)
