"""The rewards tab: the catalogue members redeem points (or a full stamp card) for; add, edit,
and take a reward off (kept for the codes already issued, never deleted)."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.dashboard import bp, owned_program, owner_required
from app.dashboard.program_forms import Form
from app.extensions import db
from app.loyalty.errors import LoyaltyError
from app.loyalty.rewards import create_reward, rewards_of, update_reward
from app.models import Program, Reward

BLANK = {"name": "", "description": "", "cost": "", "stock": "", "min_tier": "", "valid_days": ""}


def _reward(program: Program, reward_id: int) -> Reward:
    reward = db.session.scalar(select(Reward).where(Reward.id == reward_id, Reward.program_id == program.id))
    if reward is None:
        abort(404)
    return reward


def _values(reward: Reward) -> dict[str, str]:
    return {name: "" if getattr(reward, name) is None else str(getattr(reward, name)) for name in BLANK}


def _read(form: Form, program: Program) -> dict[str, Any]:
    tiers = ("", *(t.name for t in program.tiers))
    tier = form.choice("min_tier", tiers)
    return {
        "name": form.text("name", max_length=80, required=True),
        "description": form.text("description", max_length=300),
        "cost": form.integer("cost", 1, 1_000_000),
        "stock": form.integer("stock", 0, 1_000_000_000, optional=True),
        "min_tier": tier or None,
        "valid_days": form.integer("valid_days", 1, 3650, optional=True),
    }


def _render(program: Program, form: Form, template: str, **extra: Any) -> str:
    return render_template(f"dashboard/programs/{template}", program=program, form=form, tab="rewards",
                           rewards=rewards_of(program), **extra)


@bp.route("/programs/<int:program_id>/rewards", methods=["GET", "POST"])
@owner_required
def program_rewards(program_id: int) -> ResponseReturnValue:
    program = owned_program(program_id)
    if request.method == "GET":
        return _render(program, Form(BLANK), "rewards.html")
    form = Form(request.form)
    fields = _read(form, program)
    if not form.errors:
        try:
            reward = create_reward(program, fields)
        except LoyaltyError as exc:
            db.session.rollback()
            form.domain_error(exc)
        else:
            db.session.commit()
            flash(_("Reward added: %(name)s", name=reward.name), "message")
            return redirect(url_for("dashboard.program_rewards", program_id=program.id))
    return _render(owned_program(program_id), form, "rewards.html"), 422


@bp.route("/programs/<int:program_id>/rewards/<int:reward_id>", methods=["GET", "POST"])
@owner_required
def program_reward_edit(program_id: int, reward_id: int) -> ResponseReturnValue:
    program = owned_program(program_id)
    reward = _reward(program, reward_id)
    if request.method == "GET":
        return _render(program, Form(_values(reward)), "reward_edit.html", reward=reward)
    form = Form(request.form)
    fields = _read(form, program)
    if not form.errors:
        try:
            update_reward(reward, fields)
        except LoyaltyError as exc:
            db.session.rollback()
            form.domain_error(exc)
        else:
            db.session.commit()
            flash(_("Reward saved: %(name)s", name=reward.name), "message")
            return redirect(url_for("dashboard.program_rewards", program_id=program.id))
    return _render(program, form, "reward_edit.html", reward=_reward(program, reward_id)), 422


@bp.post("/programs/<int:program_id>/rewards/<int:reward_id>/active")
@owner_required
def program_reward_active(program_id: int, reward_id: int) -> ResponseReturnValue:
    program = owned_program(program_id)
    reward = _reward(program, reward_id)
    active = request.form.get("active") == "1"
    update_reward(reward, {"active": active})
    db.session.commit()
    if active:
        flash(_("Reward offered again: %(name)s", name=reward.name), "message")
    else:
        flash(_("Reward withdrawn: %(name)s. Codes already issued stay valid.", name=reward.name), "message")
    return redirect(url_for("dashboard.program_rewards", program_id=program.id))
