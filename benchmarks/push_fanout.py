"""A message to a program with 100,000 registered phones, delivered by one push worker.

    .venv/bin/python benchmarks/push_fanout.py [--count 100000]

PostgreSQL when it answers on 127.0.0.1:5432 (a fresh database, dropped afterwards), else SQLite.
The APNs stand-in runs in its own process. In the same run, a bare httpx HTTP/2 client sends the
same requests to the same stand-in over one connection with the same concurrency: the ceiling.
Then the message is posted and one `flask --app wsgi push-worker` process drains the outbox; its
peak resident memory is read from /proc. Last line:

    pushes_per_s=… peak_rss_mb=… ceiling_per_s=… ratio=…
"""
from __future__ import annotations

import argparse
import multiprocessing
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from benchmarks._harness import FLASK, base_env, free_port, process  # noqa: E402
from benchmarks.apns_ceiling import Bare, _pin, _serve  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(tmp: str) -> Iterator[str]:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"tessera_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001
        admin.dispose()
        yield f"sqlite:///{Path(tmp) / 'fanout.db'}"
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(app, count: int) -> int:  # type: ignore[no-untyped-def]
    from app.extensions import db
    from app.loyalty.programs import create_program
    from app.migrate import upgrade
    from app.models import Card, Device, Merchant, Member, Registration

    with app.app_context():
        upgrade(app)
        merchant = Merchant(name="Fan-out Caffè")
        db.session.add(merchant)
        db.session.flush()
        program = create_program(merchant, {"name": "Fan-out Club"})
        db.session.commit()
        for start in range(1, count + 1, 10_000):
            ids = range(start, min(count, start + 9_999) + 1)
            db.session.execute(insert(Member), [
                {"id": i, "merchant_id": merchant.id, "program_id": program.id, "name": f"M{i}",
                 "email": f"m{i}@example.com", "consent_terms": True, "consent_marketing": False,
                 "consent_version": "terms-v1", "referral_code": f"R{i:09d}"} for i in ids])
            db.session.execute(insert(Card), [
                {"id": i, "member_id": i, "program_id": program.id, "serial_number": f"{i:024x}",
                 "card_number": f"{i:013d}", "auth_token": secrets.token_urlsafe(32)} for i in ids])
            db.session.execute(insert(Device), [
                {"id": i, "library_identifier": f"dev{i:08d}", "push_token": f"{i:064x}"} for i in ids])
            db.session.execute(insert(Registration), [{"device_id": i, "card_id": i} for i in ids])
            db.session.commit()
        return int(program.id)


def outbox_size(app) -> int:  # type: ignore[no-untyped-def]
    from app.extensions import db
    from app.models import OutboxJob

    with app.app_context():
        size = db.session.scalar(select(func.count(OutboxJob.id))) or 0
        db.session.remove()
        return int(size)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    server = spawn.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    _pin(0)
    url, ca_file = parent.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp, database(tmp) as database_url:
            from app import create_app
            from config import Config

            port = free_port()
            env = base_env(database_url, port, APNS_URL=url, APNS_CA_FILE=ca_file)
            app = create_app(Config(env))
            started = time.perf_counter()
            program_id = seed(app, args.count)
            print(f"seeded {args.count} members, cards and phones on {database_url.split(':')[0]} "
                  f"in {time.perf_counter() - started:.1f} s")

            bare = Bare(url, ca_file, 100)
            tokens = [f"{i:064x}" for i in range(1, args.count + 1)]
            bare.send(tokens[:500])
            started = time.perf_counter()
            delivered = bare.send(tokens)
            ceiling = args.count / (time.perf_counter() - started)
            bare.close()
            print(f"bare HTTP/2 client: {delivered} delivered, {ceiling:.0f}/s")

            with process([*FLASK, "push-worker"], env) as worker:
                time.sleep(2.0)  # the worker is up and idle, as in production
                from app.extensions import db
                from app.loyalty.programs import post_message
                from app.models import Program

                with app.app_context():
                    posted = time.perf_counter()
                    cards = post_message(db.session.get_one(Program, program_id), "Doppi punti questo weekend!")
                    db.session.commit()
                    queued = time.perf_counter() - posted
                print(f"message to {cards} cards committed with its outbox in {queued:.2f} s")
                while outbox_size(app):
                    time.sleep(0.2)
                    if worker.poll() is not None:
                        raise SystemExit("the push worker died")
                drained = time.perf_counter() - posted
                rss = peak_rss_mb(worker.pid)
            rate = args.count / drained
            print(f"push worker: {args.count} pushes in {drained:.1f} s, peak RSS {rss:.0f} MB")
            print(f"pushes_per_s={rate:.0f} peak_rss_mb={rss:.0f} ceiling_per_s={ceiling:.0f} ratio={rate / ceiling:.2f}")
    finally:
        parent.send("stop")
        server.join(10)


if __name__ == "__main__":
    main()
