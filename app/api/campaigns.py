"""Campaigns: `POST/GET /programs/{id}/campaigns`, `DELETE /campaigns/{id}`."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Response, g, jsonify
from sqlalchemy import select

from app.api import bp
from app.api.auth import owner_only
from app.api.lookups import merchant_program
from app.api.openapi import document, op, path_param
from app.api.schemas import Schema
from app.api.validation import json_body
from app.errors import ApiError
from app.extensions import db
from app.loyalty.campaigns import create_campaign, delete_campaign, list_campaigns
from app.models import Campaign, Program
from app.models._common import utcnow

MOMENT: Schema = {"type": "string", "minLength": 1, "maxLength": 40,
                  "description": "ISO 8601 date and time with an offset, e.g. 2025-06-01T09:00:00+02:00"}
CAMPAIGN_CREATE: Schema = {
    "type": "object",
    "required": ["name", "multiplier", "starts_at", "ends_at"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "multiplier": {"type": ["string", "number"], "description": "from 1 to 10, e.g. \"2\" for double points"},
        "starts_at": MOMENT,
        "ends_at": {**MOMENT, "description": "after starts_at; ISO 8601 with an offset"},
    },
}
CAMPAIGN: Schema = {
    "type": "object",
    "required": ["id", "program_id", "name", "multiplier", "starts_at", "ends_at", "status"],
    "properties": {
        "id": {"type": "integer"},
        "program_id": {"type": "integer"},
        "name": {"type": "string"},
        "multiplier": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["scheduled", "running", "ended"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
CAMPAIGN_LIST: Schema = {"type": "object", "required": ["items"],
                         "properties": {"items": {"type": "array", "items": CAMPAIGN}}}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _status(campaign: Campaign, now: datetime) -> str:
    if now < campaign.starts_at:
        return "scheduled"
    return "running" if now < campaign.ends_at else "ended"


def campaign_json(campaign: Campaign, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "program_id": campaign.program_id,
        "name": campaign.name,
        "multiplier": format(Decimal(campaign.multiplier).normalize(), "f"),
        "starts_at": _iso(campaign.starts_at),
        "ends_at": _iso(campaign.ends_at),
        "status": _status(campaign, now or utcnow()),
        "created_at": _iso(campaign.created_at),
    }


def _merchant_campaign(campaign_id: int) -> Campaign:
    campaign: Campaign | None = db.session.scalar(
        select(Campaign).join(Program, Program.id == Campaign.program_id)
        .where(Campaign.id == campaign_id, Program.merchant_id == g.merchant.id)
    )
    if campaign is None:
        raise ApiError(404, "campaign_not_found", f"there is no campaign {campaign_id}")
    return campaign


@bp.post("/programs/<int:program_id>/campaigns")
@owner_only
def create_campaign_view(program_id: int) -> tuple[Response, int]:
    campaign = create_campaign(merchant_program(program_id), json_body(CAMPAIGN_CREATE))
    db.session.commit()
    return jsonify(campaign_json(campaign)), 201


@bp.get("/programs/<int:program_id>/campaigns")
def list_campaigns_view(program_id: int) -> Response:
    now = utcnow()
    return jsonify({"items": [campaign_json(c, now) for c in list_campaigns(merchant_program(program_id))]})


@bp.delete("/campaigns/<int:campaign_id>")
@owner_only
def delete_campaign_view(campaign_id: int) -> Response:
    campaign = _merchant_campaign(campaign_id)
    body = campaign_json(campaign)
    delete_campaign(campaign)
    db.session.commit()
    return jsonify(body)


document("/programs/{program_id}/campaigns", "post", op(
    "Create a campaign: a points multiplier between two moments (owner)", {201: CAMPAIGN}, (400, 403, 404, 422),
    body=CAMPAIGN_CREATE, params=[path_param("program_id")], tag="campaigns"))
document("/programs/{program_id}/campaigns", "get", op(
    "The program's campaigns, the latest to start first", {200: CAMPAIGN_LIST}, (404,),
    params=[path_param("program_id")], tag="campaigns"))
document("/campaigns/{campaign_id}", "delete", op(
    "Delete a campaign (owner); points already earned under it stay", {200: CAMPAIGN}, (403, 404),
    params=[path_param("campaign_id")], tag="campaigns"))
