"""`flask import-members` on 100,000 rows into SQLite, the command as an operator runs it.

The file has every column filled (a balance and a tier on most rows) and a bad row every 1,000
lines. The baseline is the one-at-a-time path (`enroll` and a ledger entry per member, as the API
does) on 1,000 members in the same database. Last line: `rows=… seconds=… rows_per_s=…
one_by_one_per_s=… speedup=…`.
"""
from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import FLASK, ROOT, base_env, free_port  # noqa: E402

ROWS = int(os.environ.get("IMPORT_ROWS", "100000"))
BASELINE = 1000
TIERS = ("Bronze", "Silver", "Gold", "")


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = date(2019, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["name", "email", "phone", "birthday", "points", "tier", "marketing_consent", "created_at"])
        for n in range(rows):
            email = "not-an-email" if n % 1000 == 999 else f"customer{n}@example.com"
            out.writerow([f"Customer {n}", email, f"+39 333 {n:07d}", (start - timedelta(days=9000 + n % 15000)).isoformat(),
                          rng.randrange(0, 3000), TIERS[n % 4], "yes" if n % 2 else "no",
                          (start + timedelta(days=n % 2000)).isoformat()])


def setup(env: dict[str, str]) -> int:
    """A merchant and a three-tier program; returns the program id."""
    os.environ.update(env)
    from app import create_app
    from app.extensions import db
    from app.loyalty.programs import create_program
    from app.migrate import upgrade
    from app.models import Merchant

    app = create_app()
    with app.app_context():
        upgrade(app)
        merchant = Merchant(name="Bench Caffè")
        db.session.add(merchant)
        db.session.flush()
        program = create_program(merchant, {"name": "Import Club", "tiers": [
            {"name": "Bronze", "min_points": 0}, {"name": "Silver", "min_points": 500},
            {"name": "Gold", "min_points": 1500}]})
        db.session.commit()
        return program.id


def one_by_one(program_id: int) -> float:
    """Members per second through `enroll` and `post`, one transaction each."""
    from app import create_app
    from app.extensions import db
    from app.loyalty.enrollment import Applicant, enroll
    from app.loyalty.ledger import post
    from app.models import Program

    app = create_app()
    with app.app_context():
        program = db.session.get_one(Program, program_id)
        began = time.perf_counter()
        for n in range(BASELINE):
            member = enroll(program, Applicant(name=f"Walk-in {n}", email=f"walkin{n}@example.com", terms=True))
            post(member, 100 + n, kind="adjust", reason="Imported balance")
            db.session.commit()
        return BASELINE / (time.perf_counter() - began)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(f"sqlite:///{Path(tmp) / 'bench.db'}", free_port())
        program_id = setup(env)
        csv_path = Path(tmp) / "members.csv"
        write_csv(csv_path, ROWS)
        began = time.perf_counter()
        result = subprocess.run([*FLASK, "import-members", str(program_id), str(csv_path)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=600, check=False)
        seconds = time.perf_counter() - began
        if result.returncode != 0:
            raise SystemExit(f"import-members failed: {result.stderr.strip()[-500:]}")
        summary = result.stdout.strip().splitlines()[-1]
        imported = int(summary.split()[0].split("=")[1])
        expected = ROWS - ROWS // 1000
        if imported != expected:
            raise SystemExit(f"imported {imported} rows, expected {expected}: {summary}")
        print(summary)
        baseline = one_by_one(program_id)
        rate = ROWS / seconds
        print(f"rows={ROWS} seconds={seconds:.1f} rows_per_s={rate:.0f} one_by_one_per_s={baseline:.0f} "
              f"speedup={rate / baseline:.1f}")


if __name__ == "__main__":
    main()
