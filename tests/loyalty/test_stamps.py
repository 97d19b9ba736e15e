from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.errors import InvalidAmount
from app.loyalty.ledger import earn_amount, post, totals
from app.loyalty.stamps import CardNotFull, NotAStampCard, redeem_stamps
from app.models import Card, LedgerEntry, Member, Reward
from app.wallet.apple import card_spec
from tests.conftest import Api


@pytest.fixture
def stamp_member(owner: Api) -> Member:
    program = owner.post("/programs", {"name": "Barberia Sud", "locale": "it", "kind": "stamps", "stamps_required": 8,
                                       "stamp_reward": "Taglio omaggio"}).get_json()
    member = owner.post(f"/programs/{program['id']}/members",
                        {"name": "Marco Sala", "email": "marco@example.com", "consent": {"terms": True}}).get_json()
    return db.session.get_one(Member, member["id"])


def _stamp(member: Member, times: int) -> None:
    for _ in range(times):
        post(member, 1)
    db.session.commit()


def _front(member: Member) -> dict[str, Any]:
    spec = card_spec(db.session.scalar(select(Card).where(Card.member_id == member.id)))
    fields = spec.header_fields + spec.primary_fields + spec.auxiliary_fields
    return {f.key: f for f in fields}


def test_the_card_shows_the_stamps(stamp_member: Member) -> None:
    _stamp(stamp_member, 3)
    front = _front(stamp_member)
    assert front["stamps"].value == "3/8"
    assert "%@" in (front["stamps"].change_message or "")
    assert front["stamp_row"].value == "●●●○○○○○"
    assert front["next"].value == "Taglio omaggio: mancano 5 timbri"
    _stamp(stamp_member, 4)
    assert _front(stamp_member)["next"].value == "Taglio omaggio: manca 1 timbro"


def test_a_full_card_says_the_reward_is_ready_and_resets_after_redemption(stamp_member: Member) -> None:
    _stamp(stamp_member, 10)  # two past full: they start the next card
    front = _front(stamp_member)
    assert front["stamp_row"].value == "●" * 8
    assert front["next"].value == "Carta completa. Il tuo premio: Taglio omaggio"
    redemption = redeem_stamps(stamp_member)
    db.session.commit()
    assert redemption.balance == 2 and totals(stamp_member.id).balance == 2
    assert (redemption.code.reward.name, redemption.code.reward.cost) == ("Taglio omaggio", 8)
    entry = db.session.get_one(LedgerEntry, redemption.code.ledger_entry_id)
    assert (entry.kind, entry.points) == ("reward", -8)
    front = _front(stamp_member)
    assert (front["stamps"].value, front["stamp_row"].value) == ("2/8", "●●○○○○○○")


def test_a_card_not_full_cannot_be_redeemed(stamp_member: Member) -> None:
    _stamp(stamp_member, 7)
    with pytest.raises(CardNotFull) as caught:
        redeem_stamps(stamp_member)
    assert "7 of 8" in caught.value.message
    db.session.rollback()
    assert totals(stamp_member.id).balance == 7


def test_the_stamp_reward_is_created_once(stamp_member: Member) -> None:
    _stamp(stamp_member, 16)
    redeem_stamps(stamp_member)
    redeem_stamps(stamp_member)
    db.session.commit()
    assert db.session.scalar(select(func.count(Reward.id))) == 1
    with pytest.raises(CardNotFull):
        redeem_stamps(stamp_member)


def test_a_stamp_card_takes_no_amounts(stamp_member: Member) -> None:
    with pytest.raises(InvalidAmount) as caught:
        earn_amount(stamp_member, Decimal("12.50"))
    assert caught.value.field == "amount"


def test_a_points_program_has_no_stamps_to_redeem(member: dict[str, Any]) -> None:
    m = db.session.get_one(Member, member["id"])
    post(m, 50)
    with pytest.raises(NotAStampCard):
        redeem_stamps(m)
