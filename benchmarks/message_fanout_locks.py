"""A message (or a design change) to a program with 100,000 cards while a till keeps posting purchases.

    .venv/bin/python benchmarks/message_fanout_locks.py [--count 100000] [--segment all|consent]
                                                        [--change message|design]

PostgreSQL when it answers on 127.0.0.1:5432 (a fresh database, dropped afterwards), else SQLite.
Every member has a card and a registered phone, so every card the message changes queues a push.
A till thread posts 10 points to a random member again and again (`ledger.post` and a commit,
what `POST /members/{id}/transactions` does), first for a few seconds with no message: the
baseline. Then the message is sent through `send_message`, as the API sends it (`--segment
consent`: to the members who agreed to marketing messages, all of them here, which writes each
member's own message; `--change design`: the program's background colour changes through
`update_program`, committed, then its card sweep worked as `PATCH /programs/{id}` does), while
the till goes on and a probe on a connection of its own takes the row lock of a random card
(`SELECT … FOR UPDATE`) and times how long it waited. Last line:

    cards=… seconds=… max_lock_wait_ms=… till_p99_ms=… baseline_till_p99_ms=…
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from benchmarks._harness import base_env, free_port, percentile  # noqa: E402
from benchmarks.push_fanout import database, seed  # noqa: E402

BASELINE_SECONDS = 5.0


class Till(threading.Thread):
    """Posts a purchase for a random member after another; keeps each one's latency."""

    def __init__(self, app: Any, count: int) -> None:
        super().__init__(daemon=True)
        self.app, self.count = app, count
        self.samples: list[tuple[float, float]] = []  # (started, seconds)
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from app.extensions import db
        from app.loyalty.ledger import post
        from app.models import Member

        rng = random.Random(11)
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    started = time.perf_counter()
                    post(db.session.get_one(Member, rng.randint(1, self.count)), 10, reason="till")
                    db.session.commit()
                    self.samples.append((started, time.perf_counter() - started))
                    db.session.expunge_all()
                    time.sleep(0.005)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            self.error = exc

    def between(self, start: float, end: float) -> list[float]:
        return [seconds for started, seconds in self.samples if start <= started < end]


class LockProbe(threading.Thread):
    """Takes a random card's row lock on its own connection, times the wait, lets go at once."""

    def __init__(self, url: str, count: int) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.count = count
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        rng = random.Random(13)
        postgres = self.engine.dialect.name == "postgresql"
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                card = rng.randint(1, self.count)
                started = time.perf_counter()
                if postgres:
                    conn.execute(text("SELECT id FROM cards WHERE id = :id FOR UPDATE"), {"id": card})
                else:  # SQLite locks the whole database for a writer
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                self.samples.append((started, time.perf_counter() - started))
                conn.rollback()
                time.sleep(0.01)
        self.engine.dispose()

    def between(self, start: float, end: float) -> list[float]:
        return [seconds for started, seconds in self.samples if start <= started < end]


def send(app: Any, program_id: int, segment_type: str) -> tuple[int, float]:
    from app.extensions import db
    from app.loyalty.segments import Segment, send_message
    from app.models import Program

    with app.app_context():
        segment = Segment("all", marketing_consent=segment_type == "consent")
        started = time.perf_counter()
        sent = send_message(db.session.get_one(Program, program_id), "Doppi punti questo weekend!", segment)
        return sent.cards, time.perf_counter() - started


def change_design(app: Any, program_id: int) -> tuple[int, float]:
    """What `PATCH /programs/{id}` with a new background colour does: the change commits, then the sweep."""
    from app.extensions import db
    from app.loyalty.programs import update_program
    from app.models import Card, Program
    from app.wallet import sweeps

    with app.app_context():
        started = time.perf_counter()
        update_program(db.session.get_one(Program, program_id), {"colors": {"background": "#aa3300"}})
        db.session.commit()
        sweeps.finish_due_sweeps()  # run by the request before it answers
        seconds = time.perf_counter() - started
        cards = db.session.scalar(select(func.count(Card.id)).where(Card.program_id == program_id)) or 0
        return int(cards), seconds


def prepare(app: Any, segment_type: str) -> None:
    from app.extensions import db

    with app.app_context():
        if segment_type == "consent":
            db.session.execute(text("UPDATE members SET consent_marketing = TRUE"))
            db.session.commit()
        if db.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum keeps them
            db.session.execute(text("ANALYZE"))
        db.session.commit()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--segment", choices=("all", "consent"), default="all")
    parser.add_argument("--change", choices=("message", "design"), default="message")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(tmp) as database_url:
        from app import create_app
        from config import Config

        app = create_app(Config(base_env(database_url, free_port())))
        started = time.perf_counter()
        program_id = seed(app, args.count)
        prepare(app, args.segment)
        print(f"seeded {args.count} members, cards and phones on {database_url.split(':')[0]} "
              f"in {time.perf_counter() - started:.1f} s")

        till, probe = Till(app, args.count), LockProbe(database_url, args.count)
        till.start()
        probe.start()
        baseline_start = time.perf_counter()
        time.sleep(BASELINE_SECONDS)
        sent_start = time.perf_counter()
        if args.change == "design":
            cards, seconds = change_design(app, program_id)
        else:
            cards, seconds = send(app, program_id, args.segment)
        sent_end = time.perf_counter()
        time.sleep(0.5)
        till.stop.set()
        probe.stop.set()
        till.join(30)
        probe.join(30)
        if till.error is not None:
            raise SystemExit(f"the till failed: {till.error!r}")

        baseline = till.between(baseline_start, sent_start)
        during = till.between(sent_start, sent_end)
        waits = probe.between(sent_start, sent_end)
        print(f"baseline: {len(baseline)} till transactions, p50 {ms(percentile(baseline, 0.5))} ms, "
              f"p99 {ms(percentile(baseline, 0.99))} ms, max {ms(max(baseline))} ms")
        what = "design change" if args.change == "design" else f"message ({args.segment})"
        print(f"{what} to {cards} cards in {seconds:.2f} s; meanwhile {len(during)} till "
              f"transactions, p50 {ms(percentile(during, 0.5))} ms, p99 {ms(percentile(during, 0.99))} ms, "
              f"max {ms(max(during))} ms; {len(waits)} lock probes, max wait {ms(max(waits))} ms")
        print(f"cards={cards} seconds={seconds:.2f} max_lock_wait_ms={ms(max(waits))} "
              f"till_p99_ms={ms(percentile(during, 0.99))} baseline_till_p99_ms={ms(percentile(baseline, 0.99))}")


if __name__ == "__main__":
    main()
