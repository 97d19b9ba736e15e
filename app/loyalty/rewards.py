"""The rewards catalogue, redemption into single-use codes, and checking a code at the till.

A redemption is one ledger row (kind "reward") plus one RewardCode; the stock goes down in the
same transaction by a guarded UPDATE, and a code is used by a guarded UPDATE too, so two tills
racing on the last item or on one code cannot both succeed.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.events import emit
from app.extensions import db
from app.loyalty.errors import Conflict, IdempotencyKeyReused, InvalidValue, NotFound
from app.loyalty.ledger import current_tier, post, totals
from app.models import LedgerEntry, Member, Program, Reward, RewardCode
from app.models._common import utcnow
from app.wallet.changes import card_changed, program_cards_changed

# No 0/O, 1/I: a code read aloud or typed from a phone's screen cannot be mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_HALF = 4
CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{{2 * CODE_HALF}}}$")
REWARD_FIELDS = ("name", "description", "cost", "stock", "min_tier", "valid_days", "active")
SHOWN_FIELDS = ("name", "cost", "stock", "min_tier", "active")  # what a card's "next goal" depends on


class OutOfStock(Conflict):
    code = "out_of_stock"


class TierTooLow(Conflict):
    code = "tier_too_low"


class RewardInactive(Conflict):
    code = "reward_inactive"


class CodeUsed(Conflict):
    code = "code_used"


class CodeExpired(Conflict):
    code = "code_expired"


class CodeVoid(Conflict):
    code = "code_void"


class CodeNotFound(NotFound):
    code = "code_not_found"


@dataclass(frozen=True)
class Redemption:
    code: RewardCode
    balance: int
    replayed: bool


def _check_tier_name(program: Program, name: str | None) -> str | None:
    if name is None:
        return None
    if name not in [t.name for t in program.tiers]:
        known = ", ".join(t.name for t in program.tiers) or "none"
        raise InvalidValue(f"min_tier must be one of the program's tiers ({known})", field="min_tier")
    return name


def _check_fields(program: Program, fields: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: fields[name] for name in REWARD_FIELDS if name in fields}
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise InvalidValue("name must not be empty", field="name")
    if "description" in values:
        values["description"] = str(values["description"] or "").strip()
    if "cost" in values and (not isinstance(values["cost"], int) or values["cost"] < 1):
        raise InvalidValue("cost must be a whole number of at least 1", field="cost")
    if values.get("stock") is not None and (not isinstance(values["stock"], int) or values["stock"] < 0):
        raise InvalidValue("stock must be a whole number of at least 0, or null for unlimited", field="stock")
    if values.get("valid_days") is not None and (not isinstance(values["valid_days"], int) or values["valid_days"] < 1):
        raise InvalidValue("valid_days must be at least 1, or null for codes that never expire", field="valid_days")
    if "min_tier" in values:
        values["min_tier"] = _check_tier_name(program, values["min_tier"])
    return values


def create_reward(program: Program, fields: Mapping[str, Any]) -> Reward:
    values = _check_fields(program, fields)
    for required in ("name", "cost"):
        if required not in values:
            raise InvalidValue(f"{required} is required", field=required)
    reward = Reward(program_id=program.id, **{"description": "", "active": True, **values})
    db.session.add(reward)
    db.session.flush()
    program_cards_show_catalogue(program)
    return reward


def update_reward(reward: Reward, fields: Mapping[str, Any]) -> Reward:
    program = reward_program(reward)
    values = _check_fields(program, fields)
    if any(name in values for name in SHOWN_FIELDS):
        program_cards_show_catalogue(program)  # the program's row (the sweep's) before the reward's
    for name, value in values.items():
        setattr(reward, name, value)
    db.session.flush()
    return reward


def remove_reward(reward: Reward) -> bool:
    """Take a reward out of the catalogue. One that codes were issued for is only turned off, so
    that those codes stay valid and the till can still name them (returns False); one never
    redeemed is deleted (returns True)."""
    if db.session.scalar(select(RewardCode.id).where(RewardCode.reward_id == reward.id).limit(1)) is not None:
        if reward.active:
            update_reward(reward, {"active": False})
        return False
    program_cards_show_catalogue(reward_program(reward))
    db.session.delete(reward)
    db.session.flush()
    return True


def program_cards_show_catalogue(program: Program) -> None:
    """The front of every card of a points program names its next reward: a catalogue change
    is a card change, swept over the cards in short batches once it commits (`app.wallet.sweeps`).
    Stamp cards name only their own reward, which the catalogue cannot move."""
    if program.kind != "stamps":
        program_cards_changed(program.id, "rewards")


def rewards_of(program: Program) -> list[Reward]:
    return list(db.session.scalars(select(Reward).where(Reward.program_id == program.id).order_by(Reward.cost, Reward.id)))


def tier_allows(program: Program, held: str | None, min_tier: str | None) -> bool:
    """Whether holding `held` reaches `min_tier` (tiers are ordered by their thresholds). A
    min_tier the program no longer has cannot be reached: the merchant restricted the reward."""
    if min_tier is None:
        return True
    thresholds = {t.name: t.min_points for t in program.tiers}
    if min_tier not in thresholds or held not in thresholds:
        return False
    return thresholds[held] >= thresholds[min_tier]


def normalise_code(raw: str) -> str:
    """What a cashier typed to the stored form: upper case, spaces and dashes ignored."""
    compact = re.sub(r"[\s-]+", "", raw).upper()
    if not CODE_RE.match(compact):
        return ""
    return f"{compact[:CODE_HALF]}-{compact[CODE_HALF:]}"


def _new_code() -> str:
    """A fresh code. 32**8 (about 10**12) codes make a clash rare; the unique index is the guard."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(2 * CODE_HALF))
        code = f"{code[:CODE_HALF]}-{code[CODE_HALF:]}"
        if db.session.scalar(select(RewardCode.id).where(RewardCode.code == code)) is None:
            return code


def _check_redeemable(member: Member, reward: Reward) -> None:
    if reward.program_id != member.program_id:
        raise NotFound("this reward belongs to another program", field="reward_id")
    if not reward.active:
        raise RewardInactive(f"the reward {reward.name!r} is not offered any more", field="reward_id")
    held = current_tier(member, totals(member.id).earned)
    if not tier_allows(member.program, held, reward.min_tier):
        raise TierTooLow(f"the reward {reward.name!r} needs the tier {reward.min_tier}; the member holds "
                         f"{held or 'none'}", field="min_tier")


def _take_one(reward: Reward) -> None:
    """One item off the stock, decided by the database: NULL stock stays NULL (unlimited)."""
    taken = db.session.execute(
        update(Reward)
        .where(Reward.id == reward.id, or_(Reward.stock.is_(None), Reward.stock > 0))
        .values(stock=Reward.stock - 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        raise OutOfStock(f"the reward {reward.name!r} is out of stock", field="reward_id")
    # Running out is not pushed to every card: that would lock other members' cards while
    # holding this reward's row, against tills that lock a card first. Cards drop the reward
    # from their "next goal" at their next change.
    db.session.refresh(reward, ["stock"])


def reward_program(reward: Reward) -> Program:
    return db.session.get_one(Program, reward.program_id)


def _replayed(member: Member, reward: Reward, entry_id: int) -> Redemption:
    code = db.session.scalar(select(RewardCode).where(RewardCode.ledger_entry_id == entry_id))
    if code is None or code.member_id != member.id or code.reward_id != reward.id:
        raise IdempotencyKeyReused("this idempotency_key was already used for a different transaction",
                                   field="idempotency_key")
    return Redemption(code, totals(member.id).balance, replayed=True)


def _earlier_entry(member: Member, key: str) -> int | None:
    return db.session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.merchant_id == member.merchant_id, LedgerEntry.idempotency_key == key)
    )


def redeem_reward(member: Member, reward: Reward, *, idempotency_key: str | None = None,
                  now: datetime | None = None) -> Redemption:
    """Spend the reward's cost and issue its code. Flushes; the caller commits (or rolls back
    on any error, which undoes the debit and the stock together)."""
    now = now or utcnow()
    if idempotency_key and (earlier := _earlier_entry(member, idempotency_key)) is not None:
        return _replayed(member, reward, earlier)  # a till's retry gets its code even if stock ran out since
    _check_redeemable(member, reward)
    posting = post(member, -reward.cost, kind="reward", reason=reward.name, idempotency_key=idempotency_key, now=now)
    if posting.replayed:  # the first attempt committed between the check above and the lock
        return _replayed(member, reward, posting.entry.id)
    _take_one(reward)
    expires = now + timedelta(days=reward.valid_days) if reward.valid_days else None
    code = RewardCode(reward_id=reward.id, member_id=member.id, ledger_entry_id=posting.entry.id, code=_new_code(),
                      status="issued", issued_at=now, expires_at=expires)
    db.session.add(code)
    db.session.flush()
    emit("reward.redeemed", member.merchant_id, {
        "member_id": member.id, "program_id": member.program_id, "reward_id": reward.id, "reward": reward.name,
        "cost": reward.cost, "code": code.code, "expires_at": expires.isoformat() if expires else None,
        "balance": posting.entry.balance_after,
    })
    return Redemption(code, posting.entry.balance_after, replayed=False)


def _merchant_code(merchant_id: int, code: str) -> RewardCode | None:
    return db.session.scalar(
        select(RewardCode).join(Member, Member.id == RewardCode.member_id)
        .where(RewardCode.code == code, Member.merchant_id == merchant_id)
    )


def _refusal(found: RewardCode) -> Conflict:
    """Why a code the till could not use was refused: what `effective_status` says of it."""
    if found.status == "used":
        return CodeUsed(f"the code {found.code} was already used", field="code")
    if found.status == "void":
        return CodeVoid(f"the code {found.code} was cancelled", field="code")
    return CodeExpired(f"the code {found.code} has expired", field="code")


def use_code(merchant_id: int, typed: str, *, now: datetime | None = None) -> RewardCode:
    """Mark a code used, once: of two tills sending it at once, the database lets one through."""
    now = now or utcnow()
    code = normalise_code(typed)
    if not code:
        raise CodeNotFound("a reward code is 8 letters and digits, such as ABCD-2345", field="code")
    owned = select(Member.id).where(Member.merchant_id == merchant_id)
    used = db.session.execute(
        update(RewardCode)
        .where(RewardCode.code == code, RewardCode.status == "issued", RewardCode.member_id.in_(owned),
               or_(RewardCode.expires_at.is_(None), RewardCode.expires_at > now))
        .values(status="used", used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    found = _merchant_code(merchant_id, code)
    if found is None:
        raise CodeNotFound("no reward code of yours matches this code", field="code")
    db.session.refresh(found)
    if not used:
        raise _refusal(found)
    card_changed(found.member_id)  # the code leaves the back of the card
    return found


def effective_status(code: RewardCode, now: datetime | None = None) -> str:
    """The stored status, or "expired" for an issued code past its date that the daily codes job
    has not marked yet: a code reads the same before and after the job."""
    now = now or utcnow()
    if code.status == "issued" and code.expires_at is not None and code.expires_at <= now:
        return "expired"
    return code.status


def codes_of(member: Member, limit: int = 100) -> Sequence[RewardCode]:
    return db.session.scalars(
        select(RewardCode).where(RewardCode.member_id == member.id).order_by(RewardCode.id.desc()).limit(limit)
    ).all()


def open_codes(member_id: int, now: datetime, limit: int = 3) -> Sequence[RewardCode]:
    """Codes the member can still use, newest first: what the back of the card lists."""
    return db.session.scalars(
        select(RewardCode)
        .where(RewardCode.member_id == member_id, RewardCode.status == "issued",
               or_(RewardCode.expires_at.is_(None), RewardCode.expires_at > now))
        .order_by(RewardCode.id.desc())
        .limit(limit)
    ).all()


def next_reward(member: Member, balance: int, tier: str | None) -> tuple[Reward, int] | None:
    """The cheapest reward in stock, allowed at the member's tier, that the balance does not yet
    reach, with the points still missing; or the dearest one already within reach (0 missing)."""
    allowed = [r for r in db.session.scalars(
        select(Reward).where(Reward.program_id == member.program_id, Reward.active.is_(True),
                             or_(Reward.stock.is_(None), Reward.stock > 0))
        .order_by(Reward.cost, Reward.id)
    ) if tier_allows(member.program, tier, r.min_tier)]
    ahead = [r for r in allowed if r.cost > balance]
    if ahead:
        return ahead[0], ahead[0].cost - balance
    return (allowed[-1], 0) if allowed else None
