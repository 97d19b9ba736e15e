"""The programs list, a program's overview and its editor (design, rules, rewards)."""
from __future__ import annotations

from flask import g, render_template
from sqlalchemy import func, select

from app.dashboard import bp, login_required, merchant_programs, owned_program
from app.extensions import db
from app.loyalty.ledger import totals
from app.models import Card, LedgerEntry, Member
from app.passdl import pass_url


@bp.get("/")
@login_required
def home() -> str:
    rows = db.session.execute(
        select(Member.program_id, func.count(Member.id))
        .where(Member.merchant_id == g.staff.merchant_id)
        .group_by(Member.program_id)
    )
    counts = {program_id: count for program_id, count in rows}
    return render_template("dashboard/home.html", programs=merchant_programs(), counts=counts)


@bp.get("/programs/<int:program_id>")
@login_required
def program(program_id: int) -> str:
    program = owned_program(program_id)
    members = db.session.scalars(
        select(Member).where(Member.program_id == program.id).order_by(Member.id.desc()).limit(100)
    ).all()
    rows = [(m, totals(m.id), pass_url(m.card)) for m in members]
    recent = db.session.scalars(
        select(LedgerEntry).join(Card, Card.member_id == LedgerEntry.member_id)
        .where(Card.program_id == program.id).order_by(LedgerEntry.id.desc()).limit(20)
    ).all()
    return render_template("dashboard/program.html", program=program, rows=rows, recent=recent)
