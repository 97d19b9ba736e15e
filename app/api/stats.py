"""`GET /programs/{id}/stats`: the program's figures."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.api import bp
from app.api.auth import owner_only
from app.api.lookups import merchant_program
from app.api.openapi import document, op, path_param, query_param
from app.api.schemas import Schema
from app.errors import ApiError
from app.digits import digits
from app.loyalty.stats import ProgramStats, program_stats

MAX_DAYS = 366
COUNT = {"type": "integer", "minimum": 0}
STATS: Schema = {
    "type": "object",
    "required": ["program_id", "days", "as_of", "members", "active_members_30d", "active_members_90d",
                 "cards_installed", "installations", "cards_removed", "repeat_visit_rate", "points_issued",
                 "points_redeemed", "points_expired", "points_adjusted", "points_outstanding", "reward_codes_issued",
                 "rewards_redeemed", "tiers", "currency", "period_active_members", "average_spend", "average_visits",
                 "enrolments"],
    "properties": {
        "program_id": {"type": "integer"},
        "days": {"type": "integer", "description": "the period of enrolments (calendar days, today included), "
                                                   "spend and visits (that many 24-hour days back from now)"},
        "as_of": {"type": "string", "format": "date-time"},
        "members": {**COUNT, "description": "current members (erased ones left out)"},
        "active_members_30d": {**COUNT, "description": "members who earned or redeemed in the last 30 days"},
        "active_members_90d": {**COUNT, "description": "… in the last 90 days"},
        "cards_installed": {**COUNT, "description": "cards on at least one device now"},
        "installations": {**COUNT, "description": "registrations: a card on a phone and a watch counts twice"},
        "cards_removed": {**COUNT, "description": "removals reported by APNs within the kept push history"},
        "repeat_visit_rate": {"type": "number", "minimum": 0, "maximum": 1,
                              "description": "members with two or more purchases over members with one or more"},
        "points_issued": {**COUNT, "description": "earned and bonus points"},
        "points_redeemed": {**COUNT, "description": "points spent on redemptions and rewards"},
        "points_expired": {**COUNT},
        "points_adjusted": {"type": "integer", "description": "net manual and imported adjustments"},
        "points_outstanding": {"type": "integer", "description": "the sum of all balances: the merchant's liability"},
        "reward_codes_issued": {**COUNT},
        "rewards_redeemed": {**COUNT, "description": "reward codes used at the till"},
        "tiers": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "members"],
                      "properties": {"name": {"type": ["string", "null"]}, "members": COUNT}},
            "description": "members per tier, lowest first; name null for members without one",
        },
        "currency": {"type": "string"},
        "period_active_members": {**COUNT, "description": "members with a visit in the period"},
        "average_spend": {"type": "string", "description": "money spent in the period per member with a visit"},
        "average_visits": {"type": "number", "description": "visits in the period per member with a visit"},
        "enrolments": {
            "type": "array",
            "items": {"type": "object", "required": ["date", "members"],
                      "properties": {"date": {"type": "string", "format": "date"}, "members": COUNT}},
            "description": "one entry per calendar day of the period, oldest first, today last: days of the "
                           "shop's time zone (the merchant's own, else the TIMEZONE setting, UTC unless set), midnight to midnight, "
                           "so a day has 23 or 25 hours when the clocks change",
        },
    },
}


def _days() -> int:
    raw = request.args.get("days", "")
    if not raw:
        return 30
    if not digits(raw) or not 1 <= int(raw) <= MAX_DAYS:
        raise ApiError(400, "invalid_query", f"days must be a whole number from 1 to {MAX_DAYS}")
    return int(raw)


def stats_json(stats: ProgramStats) -> dict[str, Any]:
    body = dict(vars(stats))
    body["as_of"] = stats.as_of.isoformat().replace("+00:00", "Z")
    body["average_spend"] = str(stats.average_spend)
    body["tiers"] = [{"name": t.name, "members": t.members} for t in stats.tiers]
    body["enrolments"] = [{"date": d.date, "members": d.members} for d in stats.enrolments]
    return body


@bp.get("/programs/<int:program_id>/stats")
@owner_only
def get_program_stats(program_id: int) -> Response:
    program = merchant_program(program_id)
    return jsonify(stats_json(program_stats(program, _days())))


document("/programs/{program_id}/stats", "get", op(
    "The program's figures (owner): members, cards, activity, points and the liability, tiers, enrolments",
    {200: STATS}, (400, 403, 404),
    params=[path_param("program_id"),
            query_param("days", {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}, "the period in days (30)")],
    tag="stats",
))
