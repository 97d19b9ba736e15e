"""The rewards tab: the catalogue members redeem points (or a full stamp card) for, edited as one
list and saved at once (all rows or none); each reward also has its own page for its description.
A removed reward that codes were issued for is turned off rather than deleted (see
`app.loyalty.rewards.remove_reward`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.dashboard import bp, owned_program, owner_required
from app.dashboard.numbers import input_number
from app.dashboard.program_forms import BLANK_ROWS, MORE_ROWS, Form, row_count, wants_more_rows
from app.extensions import db
from app.loyalty.errors import LoyaltyError
from app.loyalty.rewards import create_reward, remove_reward, rewards_of, update_reward
from app.models import Program, Reward

BLANK = {"name": "", "description": "", "cost": "", "stock": "", "min_tier": "", "valid_days": ""}
ROW_FIELDS = ("name", "cost", "stock", "min_tier", "valid_days", "active")  # what fits in a row
NEW_ROWS_MOST = 20  # new rewards in one save
Row = tuple[str, Reward | None, dict[str, Any] | None]  # prefix, saved reward (None: new), fields (None: remove)


@dataclass
class Outcome:
    added: int = 0
    changed: int = 0
    removed: int = 0
    turned_off: list[str] = field(default_factory=list)


def _reward(program: Program, reward_id: int) -> Reward:
    reward = db.session.scalar(select(Reward).where(Reward.id == reward_id, Reward.program_id == program.id))
    if reward is None:
        abort(404)
    return reward


def _shown(reward: Reward, name: str) -> str:
    value = getattr(reward, name)
    return input_number(value) if name in ("cost", "stock", "valid_days") else "" if value is None else str(value)


def _values(reward: Reward) -> dict[str, str]:
    return {name: _shown(reward, name) for name in BLANK}


def _list_values(rewards: list[Reward]) -> dict[str, str]:
    """The list as the page shows it: a row per reward, then empty rows (offered, like a new reward)."""
    values = {"reward_count": str(len(rewards) + BLANK_ROWS)}
    for i, reward in enumerate(rewards):
        values.update({f"reward-{i}-{name}": _shown(reward, name) for name in ROW_FIELDS if name != "active"})
        values[f"reward-{i}-id"] = str(reward.id)
        values[f"reward-{i}-active"] = "1" if reward.active else ""
    for i in range(len(rewards), len(rewards) + BLANK_ROWS):
        values[f"reward-{i}-active"] = "1"
    return values


def _read(form: Form, program: Program, prefix: str = "") -> dict[str, Any]:
    tiers = ("", *(t.name for t in program.tiers))
    tier = form.choice(prefix + "min_tier", tiers)
    fields = {
        "name": form.text(prefix + "name", max_length=80, required=True),
        "cost": form.integer(prefix + "cost", 1, 1_000_000),
        "stock": form.integer(prefix + "stock", 0, 1_000_000_000, optional=True),
        "min_tier": tier or None,
        "valid_days": form.integer(prefix + "valid_days", 1, 3650, optional=True),
    }
    if not prefix:
        fields["description"] = form.text("description", max_length=300)
    return fields


def _render(program: Program, form: Form, template: str, **extra: Any) -> str:
    return render_template(f"dashboard/programs/{template}", program=program, form=form, tab="rewards",
                           rewards=rewards_of(program), **extra)


def _render_list(program: Program, form: Form, more: int = 0) -> str:
    most = len(rewards_of(program)) + NEW_ROWS_MOST
    rows = min(max(row_count(form, "reward_count", most) + more, 1), most)
    return _render(program, form, "rewards.html", reward_rows=range(rows), max_rows=most)


def _blank_row(form: Form, prefix: str) -> bool:
    return not any(form.get(prefix + name) for name in ("id", "name", "cost", "stock", "valid_days"))


def _read_rows(form: Form, program: Program) -> list[Row]:
    """(row prefix, the saved reward or None for a new one, its fields or None to remove it), every
    row read so that each gets its own messages."""
    saved = {r.id: r for r in rewards_of(program)}
    rows: list[Row] = []
    for i in range(row_count(form, "reward_count", len(saved) + NEW_ROWS_MOST)):
        prefix = f"reward-{i}-"
        if _blank_row(form, prefix):
            continue
        reward = saved.get(int(form.get(prefix + "id"))) if form.get(prefix + "id").isdigit() else None
        if form.get(prefix + "id") and reward is None:
            abort(404)  # another program's reward, or a forged row
        if form.get(prefix + "remove"):
            if reward is not None:
                rows.append((prefix, reward, None))
            continue
        fields = _read(form, program, prefix) | {"active": bool(form.get(prefix + "active"))}
        rows.append((prefix, reward, fields))
    return rows


def _apply_row(outcome: Outcome, program: Program, reward: Reward | None, fields: dict[str, Any] | None) -> None:
    if reward is None and fields is not None:
        create_reward(program, fields)
        outcome.added += 1
    elif reward is not None and fields is None:
        if remove_reward(reward):
            outcome.removed += 1
        else:
            outcome.turned_off.append(reward.name)
    elif reward is not None and fields is not None:
        changes = {name: value for name, value in fields.items() if getattr(reward, name) != value}
        if changes:
            update_reward(reward, changes)
            outcome.changed += 1


def _save_rows(form: Form, program: Program, rows: list[Row]) -> Outcome | None:
    """Every row in one transaction; a refusal from the loyalty rules goes beside its row's field."""
    outcome = Outcome()
    for prefix, reward, fields in rows:
        try:
            _apply_row(outcome, program, reward, fields)
        except LoyaltyError as exc:
            db.session.rollback()
            form.fail(prefix + (exc.field if exc.field in ROW_FIELDS else "name"), exc.message)
            return None
    return outcome


def _say(outcome: Outcome) -> None:
    if not (outcome.added or outcome.changed or outcome.removed or outcome.turned_off):
        flash(_("Nothing to save: the rewards are as they were."), "message")
        return
    flash(_("Rewards saved (added: %(added)d, changed: %(changed)d, removed: %(removed)d).", added=outcome.added,
            changed=outcome.changed, removed=outcome.removed), "message")
    for name in outcome.turned_off:
        flash(_("Reward turned off rather than removed, because codes were already issued for it "
                "(they stay valid): %(name)s.", name=name), "message")


@bp.route("/programs/<int:program_id>/rewards", methods=["GET", "POST"])
@owner_required
def program_rewards(program_id: int) -> ResponseReturnValue:
    program = owned_program(program_id)
    if request.method == "GET":
        return _render_list(program, Form(_list_values(rewards_of(program))))
    form = Form(request.form)
    if wants_more_rows(form):
        return _render_list(program, form, more=MORE_ROWS)
    rows = _read_rows(form, program)
    outcome = None if form.errors else _save_rows(form, program, rows)
    if outcome is None:
        return _render_list(owned_program(program_id), form), 422
    db.session.commit()
    _say(outcome)
    return redirect(url_for("dashboard.program_rewards", program_id=program.id))


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
