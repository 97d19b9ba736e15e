"""The daily `codes` job over many members, each with a phone and reward codes.

    .venv/bin/python benchmarks/code_expiry.py [--count 100000] [--codes 3] [--due 0.1]

PostgreSQL when it answers on 127.0.0.1:5432 (a fresh database, dropped afterwards), else SQLite.
Every member has a card, a registered phone and `--codes` issued codes; on a `--due` share of the
members one code is past its date. Times the job (`run_schedules(only=("codes",))`), which marks
those codes expired and queues one push per card changed, then a second run that finds nothing,
then the floor in the same run: the same codes marked and their cards bumped by two bare
statements in one transaction (`ratio` = floor / job).
Last line:

    members=… codes=… expired=… cards=… seconds=… second_run_seconds=… pushes_queued=… bare_seconds=… ratio=…
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from benchmarks._harness import base_env, free_port  # noqa: E402
from benchmarks.push_fanout import database, seed  # noqa: E402


def add_codes(app, program_id: int, count: int, per_member: int,  # type: ignore[no-untyped-def]
              due: float, now: datetime) -> int:
    from app.extensions import db
    from app.models import Reward, RewardCode

    every = max(1, round(1 / due)) if due > 0 else count + 1
    with app.app_context():
        reward = Reward(program_id=program_id, name="Caffè", cost=100, valid_days=30)
        db.session.add(reward)
        db.session.commit()
        for start in range(1, count + 1, 10_000):
            rows = []
            for member_id in range(start, min(count, start + 9_999) + 1):
                for n in range(per_member):
                    past = n == 0 and member_id % every == 0
                    expires = now - timedelta(days=1) if past else now + timedelta(days=20 + n)
                    rows.append({"reward_id": reward.id, "member_id": member_id, "code": f"{member_id:07d}-{n}",
                                 "status": "issued", "issued_at": now - timedelta(days=40), "expires_at": expires})
            db.session.execute(insert(RewardCode), rows)
            db.session.commit()
        return count // every if due > 0 else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=3)
    parser.add_argument("--due", type=float, default=0.1)
    args = parser.parse_args()
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp, database(tmp) as database_url:
        from app import create_app
        from app.extensions import db
        from app.loyalty.schedules import run_schedules
        from app.models import OutboxJob
        from config import Config

        app = create_app(Config(base_env(database_url, free_port())))
        program_id = seed(app, args.count)
        due = add_codes(app, program_id, args.count, args.codes, args.due, now)
        print(f"seeded {args.count} members with {args.count * args.codes} codes ({due} past their date) "
              f"on {database_url.split(':')[0]}")
        with app.app_context():
            started = time.perf_counter()
            first = run_schedules(now, only=("codes",))[0]
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            second = run_schedules(now, only=("codes",))[0]
            again = time.perf_counter() - started
            pushes = db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.kind == "apns")) or 0
            bare = bare_floor(now)
            db.session.remove()
        print(first.summary())
        print(second.summary())
        print(f"members={args.count} codes={args.count * args.codes} expired={first.counts['codes expired']} "
              f"cards={first.counts['cards updated']} seconds={seconds:.2f} second_run_seconds={again:.2f} "
              f"pushes_queued={pushes} bare_seconds={bare:.2f} ratio={bare / seconds:.2f}")


def bare_floor(now: datetime) -> float:
    """The same codes put back to `issued`, then marked expired and their cards' versions bumped by
    two bare statements in one transaction: no batches, no pushes, no events, no pass stamping.
    The floor the job's bookkeeping is measured against."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Card, RewardCode

    db.session.execute(update(RewardCode).where(RewardCode.status == "expired").values(status="issued"))
    db.session.commit()
    started = time.perf_counter()
    owners = db.session.scalars(
        update(RewardCode).where(RewardCode.status == "issued", RewardCode.expires_at <= now)
        .values(status="expired").returning(RewardCode.member_id)
    ).all()
    db.session.execute(update(Card).where(Card.member_id.in_(set(owners))).values(version=Card.version + 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
