"""Creating and changing programs. Every change the cards show bumps every card's version: the program
change commits first, with the sweep's record, then the cards change in short committed batches
(`app.wallet.sweeps`), before the request answers."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.loyalty.errors import InvalidValue, SlugTaken
from app.loyalty.tiers import TierRule, check_tiers, follow_tier_changes
from app.models import Merchant, Program, Tier
from app.models._common import utcnow
from app.wallet.changes import program_cards_changed

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
HEX_RE = re.compile(r"^#([0-9a-fA-F]{6})$")
RGB_RE = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$")
DEFAULT_COLORS = {"background": "#1f3a5f", "foreground": "#ffffff", "label": "#c9d6e8"}
POINTS_LABELS = {"it": "Punti", "en": "Points"}
LOCALES = ("it", "en")
RULE_FIELDS = ("kind", "currency", "earn_rate", "rounding", "welcome_bonus", "birthday_bonus", "tier_basis",
               "tier_window_days", "downgrade_policy", "downgrade_grace_days", "stamps_required", "stamp_reward",
               "expiry_policy", "expiry_days", "expiry_date", "expiry_warning_days", "referrer_bonus",
               "referee_bonus", "referral_monthly_limit")
CARD_FIELDS = ("name", "organization_name", "points_label", "locale", "colors", "tiers", "terms", "contact", "kind",
               "stamps_required", "stamp_reward", "expiry_policy", "expiry_days", "expiry_date")


def parse_color(value: str, field: str) -> str:
    """`#rrggbb` or `rgb(r, g, b)` to lower-case `#rrggbb`."""
    if match := HEX_RE.match(value.strip()):
        return "#" + match.group(1).lower()
    if match := RGB_RE.match(value.strip()):
        channels = [int(c) for c in match.groups()]
        if all(0 <= c <= 255 for c in channels):
            return "#" + "".join(f"{c:02x}" for c in channels)
    raise InvalidValue(f"{field} must be #rrggbb or rgb(r, g, b) with values 0-255", field=field)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].strip("-") or "program"


def _free_slug(base: str) -> str:
    taken = set(db.session.scalars(select(Program.slug).where(Program.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _claim_slug(slug: str, program_id: int | None) -> str:
    if not SLUG_RE.match(slug):
        raise InvalidValue(
            "slug must be lower-case letters, digits and dashes, not starting or ending with a dash",
            field="slug",
        )
    owner = db.session.scalar(select(Program.id).where(Program.slug == slug))
    if owner is not None and owner != program_id:
        raise SlugTaken(f"the slug {slug!r} is already used by another program", field="slug")
    return slug


def _set_colors(program: Program, colors: Mapping[str, str]) -> None:
    for name in ("background", "foreground", "label"):
        if name in colors:
            setattr(program, f"{name}_color", parse_color(colors[name], f"colors.{name}"))


def _decimal(value: object, field: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidValue(f"{field} must be a decimal number", field=field) from None
    if not number.is_finite() or not low <= number <= high:
        raise InvalidValue(f"{field} must be between {low} and {high}", field=field)
    return number


def _tier_row(spec: Mapping[str, Any], index: int) -> Tier:
    colors = spec.get("colors") or {}
    return Tier(
        name=str(spec["name"]).strip(),
        min_points=int(spec["min_points"]),
        multiplier=_decimal(spec.get("multiplier", 1), f"tiers.{index}.multiplier", Decimal("0.1"), Decimal(10)),
        **{f"{c}_color": parse_color(colors[c], f"tiers.{index}.colors.{c}") if c in colors else None
           for c in ("background", "foreground", "label")},
    )


def _renames(program: Program, tiers: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """{old name: new name} for the specs that say which current tier they rename (`renamed_from`),
    and the current tiers no spec keeps, by that or by their name: those that are gone."""
    current = {t.name for t in program.tiers}
    renamed = {str(t["renamed_from"]): str(t["name"]).strip() for t in tiers
               if t.get("renamed_from") in current and str(t["name"]).strip() != t["renamed_from"]}
    kept = {str(t["name"]).strip() for t in tiers if not t.get("renamed_from") or t["renamed_from"] == t["name"]}
    return renamed, current - kept - set(renamed)


def _set_tiers(program: Program, tiers: Sequence[Mapping[str, Any]]) -> None:
    check_tiers([TierRule(str(t["name"]).strip(), int(t["min_points"])) for t in tiers])
    rows = sorted((_tier_row(t, i) for i, t in enumerate(tiers)), key=lambda t: t.min_points)
    renamed, gone = _renames(program, tiers)
    program.tiers.clear()
    db.session.flush()  # old rows go before new ones may reuse their names
    program.tiers.extend(rows)
    db.session.flush()
    follow_tier_changes(program, renamed, gone, utcnow())


def _set_rules(program: Program, fields: Mapping[str, Any]) -> None:
    for name in RULE_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "earn_rate":
                value = _decimal(value, "earn_rate", Decimal("0.0001"), Decimal(10000))
            setattr(program, name, value)


def _check_rules(program: Program) -> None:
    """Rules that only make sense together, checked on the program as it will be saved."""
    if program.kind == "stamps" and not program.stamps_required:
        raise InvalidValue("stamps_required is needed for a stamp card", field="stamps_required")
    if program.tier_basis == "rolling" and not program.tier_window_days:
        raise InvalidValue("tier_window_days is needed when tier_basis is rolling", field="tier_window_days")
    if program.expiry_policy == "inactivity" and not program.expiry_days:
        raise InvalidValue("expiry_days is needed when points expire after inactivity", field="expiry_days")
    if program.expiry_policy == "fixed_date" and not program.expiry_date:
        raise InvalidValue("expiry_date (MM-DD) is needed when points expire on a fixed date", field="expiry_date")


def _apply(program: Program, fields: Mapping[str, Any]) -> None:
    for name in ("name", "organization_name", "points_label", "terms", "contact"):
        if name in fields:
            setattr(program, name, str(fields[name]).strip())
    if "locale" in fields:
        if fields["locale"] not in LOCALES:
            raise InvalidValue("locale must be 'it' or 'en'", field="locale")
        program.locale = fields["locale"]
    if "colors" in fields:
        _set_colors(program, fields["colors"])
    if "tiers" in fields:
        _set_tiers(program, fields["tiers"])
    _set_rules(program, fields)
    _check_rules(program)


def create_program(merchant: Merchant, fields: Mapping[str, Any]) -> Program:
    name = str(fields["name"]).strip()
    if not name:
        raise InvalidValue("name must not be empty", field="name")
    locale = fields.get("locale", "it")
    slug = _claim_slug(fields["slug"], None) if fields.get("slug") else _free_slug(slugify(name))
    program = Program(
        merchant_id=merchant.id,
        kind="points", currency="EUR", earn_rate=Decimal(1), rounding="down", welcome_bonus=0, birthday_bonus=0,
        tier_basis="lifetime", downgrade_policy="never", downgrade_grace_days=0, expiry_policy="never",
        expiry_warning_days=30, referrer_bonus=0, referee_bonus=0, referral_monthly_limit=10, terms_version=1, version=1,
        slug=slug,
        name=name,
        organization_name=merchant.name,
        points_label=POINTS_LABELS.get(locale, "Points"),
        locale="it",
        background_color=DEFAULT_COLORS["background"],
        foreground_color=DEFAULT_COLORS["foreground"],
        label_color=DEFAULT_COLORS["label"],
        terms="",
        contact="",
    )
    db.session.add(program)
    _apply(program, fields)
    db.session.flush()
    return program


def update_program(program: Program, fields: Mapping[str, Any]) -> Program:
    if "name" in fields and not str(fields["name"]).strip():
        raise InvalidValue("name must not be empty", field="name")
    if "terms" in fields and str(fields["terms"]).strip() != program.terms:
        program.terms_version += 1  # later consents name the text they agreed to
    if "slug" in fields:
        program.slug = _claim_slug(fields["slug"], program.id)
    _apply(program, fields)
    if any(name in fields for name in CARD_FIELDS):
        program.version = Program.version + 1  # in SQL: two saves at once both count
        program.updated_at = utcnow()
        program_cards_changed(program.id)
    db.session.flush()
    return program


def set_program_message(program: Program, text: str, now: datetime | None = None) -> str:
    """Make `text` the message every card of the program shows; returns it as kept. Changes no card:
    `post_message` (or `segments.send_message`) bumps and pushes them, in short batches."""
    text = text.strip()
    if not text:
        raise InvalidValue("text must not be empty", field="text")
    if len(text) > 200:
        raise InvalidValue("text must be at most 200 characters", field="text")
    program.message = text
    program.message_at = now or utcnow()
    program.version = Program.version + 1
    return text


def post_message(program: Program, text: str) -> int:
    """Show `text` on every card of the program; returns how many cards changed.

    Commits: the cards change in short committed batches (see `segments.send_message`)."""
    from app.loyalty.segments import Segment, send_message  # segments builds on this module

    return send_message(program, text, Segment()).cards
