"""The figures page's statements on a big program: `program_figures` timed per period.

Builds (once) a program with FIGURES_MEMBERS members and FIGURES_ROWS ledger entries spread over the
last 400 days at random times of day, plus card events, in the database at DATABASE_URL (a SQLite
file is made when none is given), then times `program_figures` for each period of the page and
each statement it sends. TIMEZONE is read like the application reads it (UTC when unset).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench FIGURES_ROWS=1000000 \
        TIMEZONE=Europe/Rome .venv/bin/python benchmarks/figures_days.py

The database is filled only when it holds no program called "Figures Club"; run it again against
the same URL to time another version of the code on the same rows. Last line:
`rows=… timezone=… period=…:…ms …`.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = int(os.environ.get("FIGURES_ROWS", "200000"))
MEMBERS = int(os.environ.get("FIGURES_MEMBERS", str(max(ROWS // 20, 10))))
REPEATS = int(os.environ.get("FIGURES_REPEATS", "5"))
BATCH = 20_000
NAME = "Figures Club"
KINDS = (("earn", 10), ("earn", 20), ("earn", 5), ("earn", 15), ("earn", 10), ("earn", 30), ("earn", 10),
         ("bonus", 50), ("redeem", -40), ("expire", -5))


def fill(db: Any, now: datetime) -> int:
    from sqlalchemy import insert, select

    from app.loyalty.programs import create_program
    from app.models import Card, CardEvent, LedgerEntry, Member, Merchant, Program

    existing = db.session.scalar(select(Program).where(Program.name == NAME))
    if existing is not None:
        return int(existing.id)
    rng = random.Random(11)
    merchant = Merchant(name="Bench Caffè")
    db.session.add(merchant)
    db.session.flush()
    program = create_program(merchant, {"name": NAME, "tiers": [{"name": "Bronze", "min_points": 0},
                                                                  {"name": "Gold", "min_points": 1000}]})
    db.session.flush()
    first = int(db.session.scalar(select(Member.id).order_by(Member.id.desc()).limit(1)) or 0) + 1
    seconds = 400 * 86400

    def moment() -> datetime:
        return now - timedelta(seconds=rng.randrange(seconds))

    ids = list(range(first, first + MEMBERS))
    for lo in range(0, MEMBERS, BATCH):
        chunk = ids[lo:lo + BATCH]
        db.session.execute(insert(Member), [
            {"id": i, "merchant_id": merchant.id, "program_id": program.id, "name": f"m{i}",
             "email": f"m{i}@example.com", "consent_terms": True, "consent_version": "terms-v1",
             "referral_code": f"F{i}", "tier": "Bronze", "created_at": moment()} for i in chunk])
        db.session.execute(insert(Card), [
            {"id": i, "member_id": i, "program_id": program.id, "serial_number": f"fs{i}", "card_number": f"{i:013d}",
             "auth_token": f"ft{i}"} for i in chunk])
        db.session.execute(insert(CardEvent), [
            {"program_id": program.id, "card_id": i, "kind": "installed" if i % 4 else "removed",
             "created_at": moment()} for i in chunk])
    for lo in range(0, ROWS, BATCH):
        rows = []
        for _ in range(min(BATCH, ROWS - lo)):
            kind, points = KINDS[rng.randrange(len(KINDS))]
            rows.append({"merchant_id": merchant.id, "member_id": ids[rng.randrange(MEMBERS)], "kind": kind,
                         "points": points, "balance_after": 0, "created_at": moment()})
        db.session.execute(insert(LedgerEntry), rows)
        db.session.commit()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return int(program.id)


def main() -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/figures.db"
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-secret"),
                       "TESSERA_ENV": os.environ.get("TESSERA_ENV", "development")})
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from app.loyalty.figures import PERIODS, program_figures
    from app.migrate import upgrade
    from app.models import Program
    from app.models._common import utcnow

    app = create_app()
    with app.app_context():
        upgrade(app)
        now = utcnow()
        started = time.perf_counter()
        program_id = fill(db, now)
        print(f"data ready in {time.perf_counter() - started:.1f}s on {db.engine.dialect.name}", flush=True)
        program = db.session.get(Program, program_id)
        assert program is not None
        spent: list[tuple[str, float]] = []
        clock: dict[str, float] = {}

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            clock["t"] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            spent.append((" ".join(statement.split())[:70], time.perf_counter() - clock["t"]))

        results = []
        for days in PERIODS:
            program_figures(program, days)  # warm the caches
            timings = []
            for _ in range(REPEATS):
                spent.clear()
                event.listen(db.engine, "before_cursor_execute", before)
                event.listen(db.engine, "after_cursor_execute", after)
                t0 = time.perf_counter()
                program_figures(program, days)
                timings.append(time.perf_counter() - t0)
                event.remove(db.engine, "before_cursor_execute", before)
                event.remove(db.engine, "after_cursor_execute", after)
            best = statistics.median(timings) * 1000
            results.append(f"{days}d:{best:.0f}ms")
            print(f"period {days} days: median {best:.0f} ms over {REPEATS} runs, {len(spent)} statements", flush=True)
            for text, seconds in spent:
                print(f"    {seconds * 1000:8.1f} ms  {text}")
        zone = app.config.get("TIMEZONE", "UTC")
        print(f"rows={ROWS} members={MEMBERS} timezone={zone} dialect={db.engine.dialect.name} " + " ".join(results))


if __name__ == "__main__":
    main()
