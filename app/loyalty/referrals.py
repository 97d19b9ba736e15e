"""Referrals: a member brought by another is attributed at enrolment; both get their bonus after
the newcomer's first purchase, once, within the program's monthly limit for the referrer."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.days import day_start, local_date, shop_zone
from app.models import LedgerEntry, Member

REFERRER_KEY = "referral:{referee}:referrer"
REFEREE_KEY = "referral:{referee}:referee"


def _month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The instant the calendar month of `now` began in `tz`."""
    return day_start(local_date(now, tz).replace(day=1), tz)


def _referrer_bonuses_this_month(referrer: Member, now: datetime) -> int:
    return int(db.session.scalar(
        select(func.count(LedgerEntry.id)).where(
            LedgerEntry.member_id == referrer.id, LedgerEntry.kind == "bonus",
            LedgerEntry.idempotency_key.like("referral:%:referrer"), LedgerEntry.created_at >= _month_start(now, shop_zone(referrer.program)))
    ) or 0)


def reward_first_purchase(member: Member, now: datetime) -> None:
    """Called after `member` earns: pays both referral bonuses the first time only."""
    if member.referred_by_id is None or member.referral_rewarded_at is not None:
        return
    from app.loyalty.ledger import post  # the ledger calls this module: import at call time

    member.referral_rewarded_at = now
    program = member.program
    if program.referee_bonus > 0:
        post(member, program.referee_bonus, kind="bonus", reason="Referral welcome",
             idempotency_key=REFEREE_KEY.format(referee=member.id), now=now)
    referrer = db.session.get(Member, member.referred_by_id)
    if referrer is None or referrer.erased_at is not None or program.referrer_bonus <= 0:
        return
    if _referrer_bonuses_this_month(referrer, now) >= program.referral_monthly_limit:
        return  # abuse limit: the attribution stays, the bonus does not
    post(referrer, program.referrer_bonus, kind="bonus", reason=f"Referral: {member.name}",
         idempotency_key=REFERRER_KEY.format(referee=member.id), now=now)
