"""Rewards catalogue, redemption into codes, the till's check of a code, and stamp cards."""
from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from sqlalchemy import select

from app.api import bp
from app.api import reward_schemas as rs
from app.api.auth import owner_only
from app.api.lookups import merchant_member, merchant_program
from app.api.openapi import document, op, path_param
from app.api.schemas import IDEMPOTENCY_HEADER
from app.api.serializers import iso, member_json
from app.api.validation import idempotency_key, json_body
from app.errors import ApiError
from app.extensions import db
from app.loyalty.rewards import (
    Redemption,
    codes_of,
    create_reward,
    effective_status,
    redeem_reward,
    rewards_of,
    update_reward,
    use_code,
)
from app.loyalty.stamps import redeem_stamps
from app.models import Member, Program, Reward, RewardCode

TAG = "rewards"
PROGRAM_ID, MEMBER_ID, REWARD_ID = path_param("program_id"), path_param("member_id"), path_param("reward_id")
IDEMPOTENCY_HEADER = {"name": "Idempotency-Key", "in": "header", "required": False,
                      "schema": IDEMPOTENCY_HEADER, "description": "alternative to idempotency_key"}


def reward_json(reward: Reward) -> dict[str, Any]:
    return {
        "id": reward.id, "program_id": reward.program_id, "name": reward.name, "description": reward.description,
        "cost": reward.cost, "stock": reward.stock, "min_tier": reward.min_tier, "valid_days": reward.valid_days,
        "active": reward.active, "created_at": iso(reward.created_at),
    }


def code_json(code: RewardCode) -> dict[str, Any]:
    return {
        "id": code.id, "code": code.code, "status": effective_status(code), "reward_id": code.reward_id,
        "reward": code.reward.name, "member_id": code.member_id, "issued_at": iso(code.issued_at),
        "expires_at": iso(code.expires_at), "used_at": iso(code.used_at),
    }


def _merchant_reward(reward_id: int) -> Reward:
    reward: Reward | None = db.session.scalar(
        select(Reward).join(Program, Program.id == Reward.program_id)
        .where(Reward.id == reward_id, Program.merchant_id == g.merchant.id)
    )
    if reward is None:
        raise ApiError(404, "reward_not_found", f"there is no reward {reward_id}")
    return reward


def _idempotency_key() -> str | None:
    """From the optional body or the Idempotency-Key header; an empty body is allowed here."""
    body = json_body(rs.REDEEM) if request.get_data(cache=True).strip() else {}
    return idempotency_key(body)


def _redemption_answer(redemption: Redemption) -> tuple[Response, int]:
    body = {"code": code_json(redemption.code), "reward": reward_json(redemption.code.reward),
            "balance": redemption.balance}
    return jsonify(body), 200 if redemption.replayed else 201


@bp.post("/programs/<int:program_id>/rewards")
@owner_only
def create_reward_view(program_id: int) -> tuple[Response, int]:
    reward = create_reward(merchant_program(program_id), json_body(rs.REWARD_CREATE))
    db.session.commit()
    return jsonify(reward_json(reward)), 201


@bp.get("/programs/<int:program_id>/rewards")
def list_rewards(program_id: int) -> Response:
    return jsonify({"items": [reward_json(r) for r in rewards_of(merchant_program(program_id))]})


@bp.patch("/rewards/<int:reward_id>")
@owner_only
def patch_reward(reward_id: int) -> Response:
    reward = update_reward(_merchant_reward(reward_id), json_body(rs.REWARD_PATCH))
    db.session.commit()
    return jsonify(reward_json(reward))


@bp.post("/members/<int:member_id>/rewards/<int:reward_id>/redeem")
def redeem_reward_view(member_id: int, reward_id: int) -> tuple[Response, int]:
    member = merchant_member(member_id)
    reward = _merchant_reward(reward_id)
    if reward.program_id != member.program_id:
        raise ApiError(404, "reward_not_found", f"the member's program has no reward {reward_id}")
    redemption = redeem_reward(member, reward, idempotency_key=_idempotency_key())
    db.session.commit()
    return _redemption_answer(redemption)


@bp.get("/members/<int:member_id>/rewards")
def list_member_codes(member_id: int) -> Response:
    return jsonify({"items": [code_json(c) for c in codes_of(merchant_member(member_id))]})


@bp.post("/rewards/redeem-code")
def redeem_code_view() -> Response:
    code = use_code(g.merchant.id, json_body(rs.CODE_USE)["code"])
    db.session.commit()
    member = db.session.get_one(Member, code.member_id)
    return jsonify({"code": code_json(code), "reward": reward_json(code.reward), "member": member_json(member)})


@bp.post("/members/<int:member_id>/stamps/redeem")
def redeem_stamps_view(member_id: int) -> tuple[Response, int]:
    redemption = redeem_stamps(merchant_member(member_id), idempotency_key=_idempotency_key())
    db.session.commit()
    return _redemption_answer(redemption)


def _optional_body(operation: dict[str, Any]) -> dict[str, Any]:
    operation["requestBody"]["required"] = False
    return operation


document("/programs/{program_id}/rewards", "post", op(
    "Add a reward to the program's catalogue (owner)", {201: rs.REWARD}, (400, 403, 404, 422),
    body=rs.REWARD_CREATE, params=[PROGRAM_ID], tag=TAG))
document("/programs/{program_id}/rewards", "get", op(
    "The program's rewards, cheapest first", {200: rs.REWARD_LIST}, (404,), params=[PROGRAM_ID], tag=TAG))
document("/rewards/{reward_id}", "patch", op(
    "Change a reward (owner); cards showing it as their next goal are updated", {200: rs.REWARD},
    (400, 403, 404, 422), body=rs.REWARD_PATCH, params=[REWARD_ID], tag=TAG))
document("/members/{member_id}/rewards/{reward_id}/redeem", "post", _optional_body(op(
    "Spend the reward's cost and issue a single-use code (409 insufficient_points, out_of_stock, tier_too_low, "
    "reward_inactive); the same idempotency_key again answers 200 with the same code",
    {201: rs.REDEMPTION, 200: rs.REDEMPTION}, (400, 404, 409, 422), body=rs.REDEEM,
    params=[MEMBER_ID, REWARD_ID, IDEMPOTENCY_HEADER], tag=TAG)))
document("/members/{member_id}/rewards", "get", op(
    "The member's reward codes with their status, newest first", {200: rs.REWARD_CODE_LIST}, (404,),
    params=[MEMBER_ID], tag=TAG))
document("/rewards/redeem-code", "post", op(
    "At the till: use a reward code, once (409 code_used, code_expired; 404 unknown or another merchant's)",
    {200: rs.CODE_USED}, (400, 404, 409, 422), body=rs.CODE_USE, tag=TAG))
document("/members/{member_id}/stamps/redeem", "post", _optional_body(op(
    "Redeem a full stamp card: its stamps are spent on the program's stamp reward and a code is issued "
    "(409 card_not_full, not_a_stamp_card)",
    {201: rs.REDEMPTION, 200: rs.REDEMPTION}, (400, 404, 409, 422), body=rs.REDEEM,
    params=[MEMBER_ID, IDEMPOTENCY_HEADER], tag=TAG)))
