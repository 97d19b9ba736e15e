"""Mark cards as changed. Every change bumps the card's version in the caller's transaction.

The version drives the pass's `Last-Modified`, the "what changed" tag and the download cache, so
a change that rolls back leaves no trace and one that commits is seen by every reader.
"""
from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import Card
from app.models._common import utcnow


def card_changed(member_id: int) -> int:
    """Bump one card and return its new version. Also takes the card's row lock, which
    serialises concurrent ledger writes for the same member on PostgreSQL."""
    version = db.session.execute(
        update(Card)
        .where(Card.member_id == member_id)
        .values(version=Card.version + 1, updated_at=utcnow())
        .returning(Card.version)
    ).scalar_one()
    return int(version)


def program_cards_changed(program_id: int) -> int:
    """Bump every card of a program (a design change or a message); returns how many."""
    result = db.session.execute(
        update(Card)
        .where(Card.program_id == program_id)
        .values(version=Card.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
