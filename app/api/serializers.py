"""Rows to the JSON shapes of the API."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app

from app.loyalty.ledger import Totals, current_tier, tier_rules, totals
from app.loyalty.tiers import next_tier
from app.loyalty.programs import RULE_FIELDS
from app.models import LedgerEntry, Member, Program, Tier
from app.passdl import pass_url
from app.wallet.apple import referral_url
from app.wallet.google import google_enabled, google_save_link


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def enroll_url(program: Program) -> str:
    return f"{current_app.config['PUBLIC_URL']}/join/{program.slug}"


def _decimal(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _tier_json(tier: Tier) -> dict[str, Any]:
    body: dict[str, Any] = {"name": tier.name, "min_points": tier.min_points, "multiplier": _decimal(tier.multiplier)}
    colors = {c: getattr(tier, f"{c}_color") for c in ("background", "foreground", "label") if getattr(tier, f"{c}_color")}
    if colors:
        body["colors"] = colors
    return body


def program_json(program: Program) -> dict[str, Any]:
    return {
        "id": program.id,
        "slug": program.slug,
        "name": program.name,
        "organization_name": program.organization_name,
        "points_label": program.points_label,
        "locale": program.locale,
        "colors": {
            "background": program.background_color,
            "foreground": program.foreground_color,
            "label": program.label_color,
        },
        "tiers": [_tier_json(t) for t in program.tiers],
        "terms": program.terms,
        "contact": program.contact,
        "message": program.message,
        "enroll_url": enroll_url(program),
        **{name: getattr(program, name) for name in RULE_FIELDS},
        "earn_rate": _decimal(program.earn_rate),
        "created_at": iso(program.created_at),
        "updated_at": iso(program.updated_at),
    }


def member_json(member: Member, sums: Totals | None = None) -> dict[str, Any]:
    sums = sums or totals(member.id)
    upcoming = next_tier(sums.earned, tier_rules(member))
    return {
        "id": member.id,
        "program_id": member.program_id,
        "name": member.name,
        "email": member.email,
        "phone": member.phone,
        "birthday": member.birthday.isoformat() if member.birthday else None,
        "consent": {
            "terms": member.consent_terms,
            "marketing": member.consent_marketing,
            "version": member.consent_version,
            "at": iso(member.consent_at),
        },
        "card_number": member.card.card_number,
        "serial_number": member.card.serial_number,
        "points": sums.balance,
        "points_earned": sums.earned,
        "tier": current_tier(member, sums.earned),
        "tier_locked": member.tier_locked,
        "next_tier": {"name": upcoming.name, "points_needed": upcoming.min_points - sums.earned} if upcoming else None,
        "referral_code": member.referral_code,
        "referral_url": referral_url(member),
        "pass_url": pass_url(member.card),
        **({"google_save_url": google_save_link(member.card)} if google_enabled() else {}),
        "created_at": iso(member.created_at),
    }


def transaction_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "points": entry.points,
        "balance": entry.balance_after,
        "tier": entry.tier_after,
        "kind": entry.kind,
        "amount": f"{entry.amount:.2f}" if entry.amount is not None else None,
        "reason": entry.reason,
        "created_at": iso(entry.created_at),
    }
