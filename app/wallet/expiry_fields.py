"""The expiry warning on the back of a card: "120 punti scadono il 01/03/2026"."""
from __future__ import annotations

from app.loyalty.days import shop_zone, today
from app.loyalty.expiry import WARNING_LABEL, upcoming_expiry, warning_text
from app.models import Card
from passes.apple.pkpass import PassField

CHANGED = "%@"  # the lock screen shows the warning itself when it appears or its figure changes


def expiry_fields(card: Card) -> list[PassField]:
    program = card.program
    if program.expiry_policy == "never" or card.member.erased_at is not None:
        return []
    upcoming = upcoming_expiry(card.member, today(tz=shop_zone(program)))
    if upcoming is None:
        return []
    return [PassField("expiry", WARNING_LABEL[program.locale], warning_text(program, upcoming), change_message=CHANGED)]
