from __future__ import annotations

from datetime import date

from flask import Response, g, jsonify, request
from sqlalchemy import func, or_, select

from app.api import bp
from app.api.auth import owner_only
from app.api.openapi import document, op, path_param
from app.api.lookups import merchant_member, merchant_program
from app.api.schemas import MEMBER, MEMBER_CREATE, TRANSACTION_CREATE
from app.api.serializers import member_json, transaction_json
from app.api.validation import idempotency_key, json_body
from app.errors import ApiError
from app.extensions import db
from app.digits import digits
from app.loyalty.enrollment import Applicant, enroll
from app.loyalty.errors import InvalidValue
from app.loyalty.earning import parse_amount
from app.loyalty.ledger import earn_amount, post
from app.loyalty.tiers import set_tier
from app.loyalty.privacy import ensure_not_erased
from app.models import Card, LedgerEntry, Member

PER_PAGE = 50


def _birthday(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValue("birthday must be a real date as YYYY-MM-DD", field="birthday") from None


@bp.post("/programs/<int:program_id>/members")
def create_member(program_id: int) -> tuple[Response, int]:
    program = merchant_program(program_id)
    body = json_body(MEMBER_CREATE)
    consent = body["consent"]
    member = enroll(
        program,
        Applicant(
            name=body["name"],
            email=body["email"],
            phone=body.get("phone"),
            birthday=_birthday(body.get("birthday")),
            terms=consent["terms"],
            marketing=consent.get("marketing", False),
            referral_code=body.get("referral_code"),
            source="api",
        ),
    )
    db.session.commit()
    return jsonify(member_json(member)), 201


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not digits(raw) or not low <= int(raw) <= high:
        raise ApiError(400, "invalid_query", f"{name} must be a whole number from {low} to {high}")
    return int(raw)


@bp.get("/programs/<int:program_id>/members")
def list_members(program_id: int) -> Response:
    program = merchant_program(program_id)
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", PER_PAGE, 1, 200)
    query = select(Member).where(Member.program_id == program.id, Member.erased_at.is_(None))  # erased: not listed
    q = request.args.get("q", "").strip()[:100]
    if q:
        like = f"%{q.lower()}%"
        query = query.join(Card, Card.member_id == Member.id).where(
            or_(func.lower(Member.name).like(like), Member.email.like(like), Card.card_number == q, Member.phone == q)
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    members = db.session.scalars(query.order_by(Member.id.desc()).limit(per_page).offset((page - 1) * per_page))
    pages = max(1, -(-total // per_page))
    return jsonify(
        {"items": [member_json(m) for m in members], "page": page, "pages": pages, "per_page": per_page, "total": total}
    )


@bp.get("/members/<int:member_id>")
def get_member(member_id: int) -> Response:
    return jsonify(member_json(merchant_member(member_id)))


@bp.get("/members/lookup")
def lookup_member() -> Response:
    number = "".join(request.args.get("card_number", "").split())
    if not number:
        raise ApiError(400, "invalid_query", "card_number is required")
    member = db.session.scalar(
        select(Member).join(Card, Card.member_id == Member.id).where(
            Card.card_number == number, Member.merchant_id == g.merchant.id, Member.erased_at.is_(None)
        )
    )
    if member is None:
        raise ApiError(404, "member_not_found", "no card of yours has this number")
    return jsonify(member_json(member))


@bp.post("/members/<int:member_id>/transactions")
def create_transaction(member_id: int) -> tuple[Response, int]:
    member = merchant_member(member_id)
    ensure_not_erased(member)  # the card is void: nothing more is earned or redeemed on it
    body = json_body(TRANSACTION_CREATE)
    key = idempotency_key(body)
    reason = body.get("reason", "").strip()
    if ("points" in body) == ("amount" in body):
        raise InvalidValue("send either points or amount, not both or neither", field="points")
    if "amount" in body:
        posting = earn_amount(member, parse_amount(body["amount"]), reason=reason, idempotency_key=key)
    else:
        posting = post(member, body["points"], reason=reason, idempotency_key=key)
    db.session.commit()
    return jsonify(transaction_json(posting.entry)), 200 if posting.replayed else 201


@bp.get("/members/<int:member_id>/transactions")
def list_transactions(member_id: int) -> Response:
    member = merchant_member(member_id)
    limit = _int_arg("limit", 100, 1, 500)
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member.id).order_by(LedgerEntry.id.desc()).limit(limit)
    )
    return jsonify({"items": [transaction_json(e) for e in entries]})


TIER_PATCH = {
    "type": "object",
    "required": ["tier", "tier_locked"],
    "additionalProperties": False,
    "properties": {
        "tier": {"type": ["string", "null"], "maxLength": 40, "description": "one of the program's tiers, or null"},
        "tier_locked": {"type": "boolean", "description": "true keeps the tier whatever the member earns"},
    },
}


@bp.put("/members/<int:member_id>/tier")
@owner_only
def put_member_tier(member_id: int) -> Response:
    member = merchant_member(member_id)
    body = json_body(TIER_PATCH)
    set_tier(member, body["tier"], body["tier_locked"])
    db.session.commit()
    return jsonify(member_json(member))


document("/members/{member_id}/tier", "put", op(
    "Put a member in a tier by hand (owner); locked, it stays whatever they earn or spend",
    {200: MEMBER}, (400, 403, 404, 422), body=TIER_PATCH, params=[path_param("member_id")], tag="members"))
