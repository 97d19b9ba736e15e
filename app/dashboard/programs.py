"""The programs list, creating a program, and a program's overview. The editor's tabs (design,
rules, rewards) live in program_design.py, program_rules.py and program_rewards.py."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.dashboard import bp, chosen_program, login_required, merchant_programs, owned_program, owner_required
from app.dashboard.program_forms import DOMAIN_FIELDS, Form, color_form_fields, locale_default
from app.extensions import db
from app.loyalty.errors import LoyaltyError
from app.loyalty.ledger import totals
from app.loyalty.programs import DEFAULT_COLORS, POINTS_LABELS, create_program
from app.models import Card, LedgerEntry, Member, Merchant
from app.passdl import pass_url


def endpoint_exists(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def member_counts() -> dict[int, int]:
    rows = db.session.execute(
        select(Member.program_id, func.count(Member.id))
        .where(Member.merchant_id == g.staff.merchant_id)
        .group_by(Member.program_id)
    )
    return {program_id: count for program_id, count in rows}


@bp.get("/")
@login_required
def home() -> str | Response:
    programs = merchant_programs()
    if g.staff.role != "owner":
        # A cashier's place is the till; the programs list and editor are the owner's.
        chosen = chosen_program(g.staff)
        if chosen is not None and endpoint_exists("dashboard.till"):
            return redirect(url_for("dashboard.till", program_id=chosen.id))
        return render_template("dashboard/programs/cashier_home.html")
    return render_template("dashboard/home.html", programs=programs, counts=member_counts())


def _new_program_defaults() -> dict[str, str]:
    language = locale_default()
    merchant = db.session.get(Merchant, g.staff.merchant_id)
    return {
        "name": "", "organization_name": merchant.name if merchant else "", "locale": language,
        "points_label": POINTS_LABELS[language], "kind": "points", "stamps_required": "10", "stamp_reward": "",
        **{f"{which}_color": color for which, color in DEFAULT_COLORS.items()},
    }


def _read_new_program(form: Form) -> dict[str, object]:
    fields: dict[str, object] = {
        "name": form.text("name", max_length=80, required=True),
        "organization_name": form.text("organization_name", max_length=80, required=True),
        "points_label": form.text("points_label", max_length=20, required=True),
        "locale": form.choice("locale", ("it", "en")),
        "kind": form.choice("kind", ("points", "stamps")),
        "colors": color_form_fields(form),
    }
    if fields["kind"] == "stamps":
        fields["stamps_required"] = form.integer("stamps_required", 2, 50)
        fields["stamp_reward"] = form.text("stamp_reward", max_length=80, required=True)
    return fields


@bp.route("/programs/new", methods=["GET", "POST"])
@owner_required
def program_new() -> ResponseReturnValue:
    form = Form(request.form if request.method == "POST" else _new_program_defaults())
    if request.method == "POST":
        fields = _read_new_program(form)
        if not form.errors:
            merchant = db.session.get(Merchant, g.staff.merchant_id)
            try:
                program = create_program(merchant, fields)
            except LoyaltyError as exc:
                db.session.rollback()
                form.domain_error(exc, DOMAIN_FIELDS)
            else:
                db.session.commit()
                flash(_("Program created: %(name)s. Now give its card your logo and colours.", name=program.name), "message")
                return redirect(url_for("dashboard.program_design", program_id=program.id))
    status = 422 if form.errors else 200
    return render_template("dashboard/programs/new.html", form=form, points_labels=POINTS_LABELS), status


@bp.get("/programs/<int:program_id>")
@owner_required
def program(program_id: int) -> str:
    program = owned_program(program_id)
    members = db.session.scalars(
        select(Member).where(Member.program_id == program.id).order_by(Member.id.desc()).limit(20)
    ).all()
    rows = [(m, totals(m.id), pass_url(m.card)) for m in members]
    recent = db.session.scalars(
        select(LedgerEntry).join(Card, Card.member_id == LedgerEntry.member_id)
        .where(Card.program_id == program.id).order_by(LedgerEntry.id.desc()).limit(20)
    ).all()
    count = db.session.scalar(select(func.count(Member.id)).where(Member.program_id == program.id)) or 0
    return render_template(
        "dashboard/program.html", program=program, rows=rows, recent=recent, member_count=count,
        join_url=f"{current_app.config['PUBLIC_URL']}/join/{program.slug}",
        has_poster=endpoint_exists("dashboard.poster"), has_members=endpoint_exists("dashboard.members"),
        tab="overview",
    )


# The editor's tabs register their routes on bp too.
from app.dashboard import program_design, program_rewards, program_rules  # noqa: E402,F401
