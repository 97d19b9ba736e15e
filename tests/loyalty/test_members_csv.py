from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.loyalty import members_csv
from app.models import Card, ConsentEvent, LedgerEntry, Member
from tests.conftest import Api

HEADER = "name,email,phone,birthday,points,tier,marketing_consent,created_at\n"


def _import(runner: FlaskCliRunner, program: dict[str, Any], path: Path) -> Any:
    return runner.invoke(args=["import-members", str(program["id"]), str(path)])


def _file(tmp_path: Path, text: str, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _members(program: dict[str, Any]) -> dict[str, Member]:
    db.session.expire_all()
    return {m.email: m for m in db.session.scalars(select(Member).where(Member.program_id == program["id"]))}


def test_good_rows_are_kept_and_bad_ones_reported_by_line(runner: FlaskCliRunner, program: dict[str, Any],
                                                          member: dict[str, Any], tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER
                 + "Ada Rossi,ADA@example.com,+39 333 1234567,1990-02-03,1500,,yes,2020-01-15\n"
                 + "No Mail,,,,,,,\n"
                 + "Bea Verdi,bea@example.com,,,120,gold,no,2021-05-01T10:00:00+02:00\n"
                 + "\n"
                 + "Ada Again,ada@example.com,,,,,,\n"
                 + "Giulia,giulia@example.com,,,,,,\n"
                 + "Cid,cid@example.com,,1990-13-01,,,,\n"
                 + "Dan,dan@example.com,,,-5,,,\n"
                 + "Eva,eva@example.com,,,10,Platinum,maybe,\n"
                 + "Fede,fede@example.com,,,10,Platinum,,2999-01-01\n"
                 + "Gio,gio@example.com,,,,,\n"
                 + 'Ugo "Quoted",ugo@example.com,,,7,Bronze,TRUE,\n')
    result = _import(runner, program, path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "imported=3 skipped=8"
    assert result.stderr.splitlines()[-8:] == [
        "line 3: email '' is not a valid e-mail address",
        "line 6: duplicate e-mail ada@example.com, already on line 2",
        "line 7: duplicate e-mail giulia@example.com, already a member of the program",
        "line 8: birthday '1990-13-01' is not a date as YYYY-MM-DD",
        "line 9: points '-5' is not a whole number of 0 or more",
        "line 10: marketing_consent 'maybe' is not true or false",
        "line 11: created_at 2999-01-01 is in the future",
        "line 12: 7 fields where the header has 8",
    ]
    members = _members(program)
    assert set(members) == {"giulia@example.com", "ada@example.com", "bea@example.com", 'ugo@example.com'}
    ada, bea, ugo = members["ada@example.com"], members["bea@example.com"], members["ugo@example.com"]
    assert (ada.name, ada.phone, ada.birthday.isoformat(), ada.tier) == ("Ada Rossi", "+39 333 1234567", "1990-02-03", "Gold")
    assert ada.created_at.isoformat() == "2020-01-15T00:00:00+00:00"
    assert (bea.tier, bea.created_at.isoformat()) == ("Gold", "2021-05-01T08:00:00+00:00")  # the file's tier wins
    assert (ugo.name, ugo.tier, ugo.consent_marketing) == ('Ugo "Quoted"', "Bronze", True)
    entries = db.session.execute(select(LedgerEntry.member_id, LedgerEntry.kind, LedgerEntry.points, LedgerEntry.reason)).all()
    assert sorted(entries) == sorted([(ada.id, "adjust", 1500, "Imported balance"), (bea.id, "adjust", 120, "Imported balance"),
                                      (ugo.id, "adjust", 7, "Imported balance")])
    consents = db.session.execute(
        select(ConsentEvent.kind, ConsentEvent.granted, ConsentEvent.source).where(ConsentEvent.member_id == ada.id)
    ).all()
    assert sorted(consents) == [("marketing", True, "import"), ("terms", True, "import")]
    assert db.session.scalar(select(Card.card_number).where(Card.member_id == bea.id))


def test_a_tier_the_program_lacks_is_computed_from_the_points(runner: FlaskCliRunner, program: dict[str, Any],
                                                              tmp_path: Path) -> None:
    result = _import(runner, program, _file(tmp_path, HEADER + "Eva,eva@example.com,,,1200,Platinum,,\nLia,lia@example.com,,,40,,,\n"))
    assert result.stdout.strip() == "imported=2 skipped=0"
    assert "line 2: note: tier 'Platinum' is not a tier of the program; Gold from the points instead" in result.stderr
    members = _members(program)
    assert (members["eva@example.com"].tier, members["lia@example.com"].tier) == ("Gold", "Bronze")


def test_imported_members_carry_on_like_any_other(runner: FlaskCliRunner, owner: Api, program: dict[str, Any],
                                                  tmp_path: Path) -> None:
    _import(runner, program, _file(tmp_path, HEADER + "Ada,ada@example.com,,,300,Gold,,\n"))
    ada = _members(program)["ada@example.com"]
    response = owner.post(f"/members/{ada.id}/transactions", {"points": 20})
    assert response.status_code == 201
    assert (response.get_json()["balance"], response.get_json()["tier"]) == (320, "Gold")  # the status is kept
    body = owner.get(f"/members/{ada.id}").get_json()
    assert (body["points"], body["tier"]) == (320, "Gold")
    assert owner.post(f"/members/{ada.id}/transactions", {"points": -320}).status_code == 201


def test_rows_are_committed_in_batches(runner: FlaskCliRunner, program: dict[str, Any], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members_csv, "BATCH", 2)
    path = _file(tmp_path, HEADER + "".join(f"M{n},m{n}@example.com,,,{n},,,\n" for n in range(5)))
    committed: list[int] = []

    def count_members(session: Session) -> None:
        committed.append(len(db.session.execute(select(Member.id)).all()))

    event.listen(Session, "before_commit", count_members)
    try:
        result = _import(runner, program, path)
    finally:
        event.remove(Session, "before_commit", count_members)
    assert result.stdout.strip() == "imported=5 skipped=0"
    assert committed == [2, 4, 5]


def test_a_file_that_is_not_utf8_is_refused_before_importing(runner: FlaskCliRunner, program: dict[str, Any],
                                                              tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(HEADER.encode() + b"Ada,ada@example.com,,,,,,\nBad,\xff\xfe@example.com,,,,,,\n")
    result = _import(runner, program, path)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {path} is not UTF-8 text; nothing was imported"
    assert _members(program) == {}


def test_a_member_enrolled_during_the_import_is_reported_not_fatal(runner: FlaskCliRunner, program: dict[str, Any],
                                                                   member: dict[str, Any], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = members_csv.MemberImport._enrolled
    calls: list[int] = []

    def blind_once(self: members_csv.MemberImport, rows: Any) -> set[str]:
        calls.append(1)
        return set() if len(calls) == 1 else real(self, rows)  # the first check misses the newcomer

    monkeypatch.setattr(members_csv.MemberImport, "_enrolled", blind_once)
    result = _import(runner, program, _file(tmp_path, HEADER + "Ada,ada@example.com,,,,,,\nG,giulia@example.com,,,,,,\n"))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "imported=1 skipped=1"
    assert "line 3: duplicate e-mail giulia@example.com, already a member of the program" in result.stderr
    assert set(_members(program)) == {"ada@example.com", "giulia@example.com"}


@pytest.mark.parametrize(("text", "message"), [
    ("", "is empty: a header row is required"),
    ("name,email,loyalty_id\nA,a@example.com,1\n", "unknown column(s) in the header: loyalty_id"),
    ("name,phone\nA,123456\n", "the header lacks the column(s): email"),
    ("name,email,email\n", "column(s) named twice in the header: email"),
])
def test_a_bad_header_stops_with_one_line(runner: FlaskCliRunner, program: dict[str, Any], tmp_path: Path, text: str,
                                          message: str) -> None:
    result = _import(runner, program, _file(tmp_path, text))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {tmp_path / 'members.csv'}") and message in lines[0]
    assert _members(program) == {}


def test_a_wrong_program_or_file_stops_with_one_line(runner: FlaskCliRunner, program: dict[str, Any],
                                                     tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER)
    missing = runner.invoke(args=["import-members", "999", str(path)])
    assert (missing.exit_code, missing.stderr.strip()) == (1, "Error: there is no program 999")
    unreadable = runner.invoke(args=["import-members", str(program["id"]), str(tmp_path / "nope.csv")])
    assert unreadable.exit_code == 1
    assert unreadable.stderr.strip() == f"Error: cannot read {tmp_path / 'nope.csv'}: No such file or directory"
    export = runner.invoke(args=["export-members", "999"])
    assert (export.exit_code, export.stderr.strip()) == (1, "Error: there is no program 999")


def _quoted(line: str) -> str:
    """A line of plain cells (no comma or quote inside) as the export writes it: every cell quoted."""
    return ",".join(f'"{cell}"' for cell in line.strip().split(",")) + "\n"


def test_export_streams_what_import_reads(runner: FlaskCliRunner, owner: Api, program: dict[str, Any],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members_csv, "BATCH", 2)  # several batches for five members
    rows = ("Ada,ada@example.com,+39 333 1234567,1990-02-03,1500,Gold,true,2020-01-15T09:30:00Z\n"
            "Bea,bea@example.com,,,0,Bronze,false,2021-05-01T00:00:00Z\n"
            "Cid,cid@example.com,,,42,Bronze,false,2021-06-01T00:00:00Z\n"
            "Dan,dan@example.com,,1985-07-07,999,Bronze,true,2022-01-01T00:00:00Z\n"
            "Eva,eva@example.com,,,7,Gold,false,2023-03-03T12:00:00Z\n")
    assert _import(runner, program, _file(tmp_path, HEADER + rows)).exit_code == 0
    erased = _members(program)["cid@example.com"]
    erased.erased_at = erased.created_at
    db.session.commit()
    exported = runner.invoke(args=["export-members", str(program["id"])])
    assert exported.exit_code == 0, exported.output
    expected = _quoted(HEADER) + "".join(_quoted(line) for line in rows.splitlines() if "cid@" not in line)
    assert exported.stdout == expected.replace('"+39 333', '"\'+39 333')  # a leading + is marked as text
    other = owner.post("/programs", {"name": "Second Club", "tiers": [{"name": "Bronze", "min_points": 0},
                                                                      {"name": "Gold", "min_points": 1000}]}).get_json()
    again = _import(runner, other, _file(tmp_path, exported.stdout, "again.csv"))
    assert again.stdout.strip() == "imported=4 skipped=0"
    assert runner.invoke(args=["export-members", str(other["id"])]).stdout == exported.stdout


def test_export_quotes_what_needs_quoting(runner: FlaskCliRunner, program: dict[str, Any], tmp_path: Path) -> None:
    _import(runner, program, _file(tmp_path, HEADER + '"Rossi, Ada ""la Rossa""",ada@example.com,,,,,,\n'))
    exported = runner.invoke(args=["export-members", str(program["id"])]).stdout
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1][:2] == ['Rossi, Ada "la Rossa"', "ada@example.com"]
