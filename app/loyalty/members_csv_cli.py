"""`import-members PROGRAM_ID FILE.csv` and `export-members PROGRAM_ID`."""
from __future__ import annotations

import csv
import sys
from typing import IO

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.loyalty.csv_cells import Writer
from app.loyalty.errors import InvalidValue
from app.loyalty.members_csv import MemberImport, check_header, export_rows, records
from app.models import Program

ENCODING = "utf-8-sig"  # a spreadsheet's byte-order mark is not part of the first column's name


def _program(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise click.ClickException(f"there is no program {program_id}")
    return program


def _open(path: str) -> IO[str]:
    try:
        return open(path, encoding=ENCODING, newline="")  # closed by the caller
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None


def _count_records(path: str) -> int:
    """Records in the file: reading it whole first also refuses a file that is not UTF-8 CSV
    before anything is written."""
    try:
        with _open(path) as handle:
            return sum(1 for _ in records(handle))
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text; nothing was imported") from None
    except csv.Error as exc:
        raise click.ClickException(f"{path} is not readable CSV ({exc}); nothing was imported") from None


def _write(batch: MemberImport) -> None:
    """Store and commit the pending rows; a clash with a member enrolled meanwhile is rolled back
    and the batch checked again."""
    for attempt in (1, 2, 3):
        try:
            batch.write()
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            if attempt == 3:
                raise click.ClickException("the database refused a batch three times; the rows before it are kept")


def _run(batch: MemberImport, path: str) -> None:
    total = max(_count_records(path) - 1, 0)
    with _open(path) as handle:
        rows = records(handle)
        first = next(rows, None)
        if first is None:
            raise click.ClickException(f"{path} is empty: a header row is required")
        try:
            header = check_header(first[1])
        except InvalidValue as exc:
            raise click.ClickException(f"{path}: {exc.message}") from None
        with click.progressbar(length=total, label="Importing members", file=sys.stderr) as bar:
            for line, values in rows:
                batch.add(line, header, values)
                bar.update(1)
                if batch.full:
                    _write(batch)
            _write(batch)


@click.command("import-members")
@click.argument("program_id", type=int)
@click.argument("file", metavar="FILE.csv")
@with_appcontext
def import_members_command(program_id: int, file: str) -> None:
    """Enrol the members listed in FILE.csv (columns: name, email, phone, birthday, points, tier,
    marketing_consent, created_at); bad rows are reported on stderr by line and skipped."""
    batch = MemberImport(_program(program_id))
    try:
        _run(batch, file)
    except (UnicodeDecodeError, csv.Error) as exc:  # the file changed since it was counted
        raise click.ClickException(f"{file} could not be read to the end ({exc}); the rows before are kept") from None
    finally:
        for line, reason in sorted(batch.problems + [(n, f"note: {text}") for n, text in batch.notes]):
            click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"imported={batch.imported} skipped={batch.skipped}")


@click.command("export-members")
@click.argument("program_id", type=int)
@with_appcontext
def export_members_command(program_id: int) -> None:
    """Write the program's members to stdout as CSV, in the columns import-members reads (cells a
    spreadsheet would run start with a single quote, which import-members takes off)."""
    writer = Writer(sys.stdout, lineterminator="\n")
    for row in export_rows(_program(program_id)):
        writer.writerow(row)


COMMANDS = (import_members_command, export_members_command)
