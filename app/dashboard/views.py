from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.dashboard import bp, login_required
from app.dashboard.forms import LoginForm, LogoutForm
from app.extensions import db
from app.loyalty.ledger import totals
from app.models import Card, LedgerEntry, Member, Program, StaffUser
from app.models._common import utcnow
from app.passdl import pass_url
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
            session.clear()
            session["staff_id"] = staff.id
            staff.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("The e-mail or the password is not right.")
    return render_template("dashboard/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/")
@login_required
def home() -> str:
    rows = db.session.execute(
        select(Member.program_id, func.count(Member.id))
        .where(Member.merchant_id == g.staff.merchant_id)
        .group_by(Member.program_id)
    )
    counts = {program_id: count for program_id, count in rows}
    programs = db.session.scalars(select(Program).where(Program.merchant_id == g.staff.merchant_id).order_by(Program.id))
    return render_template("dashboard/home.html", programs=list(programs), counts=counts, logout=LogoutForm())


@bp.get("/programs/<int:program_id>")
@login_required
def program(program_id: int) -> str:
    program = db.session.get(Program, program_id)
    if program is None or program.merchant_id != g.staff.merchant_id:
        abort(404)
    members = db.session.scalars(
        select(Member).where(Member.program_id == program.id).order_by(Member.id.desc()).limit(100)
    ).all()
    rows = [(m, totals(m.id), pass_url(m.card)) for m in members]
    recent = db.session.scalars(
        select(LedgerEntry).join(Card, Card.member_id == LedgerEntry.member_id)
        .where(Card.program_id == program.id).order_by(LedgerEntry.id.desc()).limit(20)
    ).all()
    return render_template("dashboard/program.html", program=program, rows=rows, recent=recent, logout=LogoutForm())
