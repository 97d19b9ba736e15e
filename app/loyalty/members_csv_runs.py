"""A members CSV uploaded from the dashboard, imported in committed batches that show progress.

The upload is checked whole first (UTF-8, readable CSV, a good header) and stored as a
`member_imports` row with its text; `run_import` then writes the rows with members_csv's own
parser and writer, BATCH_ROWS at a time, committing the members together with the row's counters
(done, kept, refused, the refused lines), so the progress page sees it move and nothing is counted
that was not kept. Each commit is also a heartbeat: an import whose heartbeat stopped (its process
died) is taken up again from `done` by the next call to `resume_stale`, and two takers never both
claim it (a conditional UPDATE decides)."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.loyalty.errors import InvalidValue
from app.loyalty.members_csv import MemberImport, check_header, records
from app.models import Member, MemberImportRecord, Program
from app.models._common import utcnow

BATCH_ROWS = 50  # small enough that a few hundred rows show several steps, large enough to be quick
STALE_AFTER = timedelta(seconds=30)  # no heartbeat for this long: the process that ran it is gone
ENCODING = "utf-8-sig"  # a spreadsheet's byte-order mark is not part of the first column's name


class UploadRefused(ValueError):
    """The file as a whole cannot be imported; the message says why, for beside the field."""


def decode_upload(data: bytes) -> tuple[str, int]:
    """The file's text and its number of data rows, or UploadRefused naming what is wrong."""
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError:
        raise UploadRefused("not_utf8") from None
    try:
        rows = list(records(io.StringIO(text, newline="")))
    except csv.Error:
        raise UploadRefused("not_csv") from None
    if not rows:
        raise UploadRefused("empty")
    check_header(rows[0][1])  # InvalidValue with the sentence that names the columns
    return text, len(rows) - 1


def start_import(program: Program, staff_id: int, filename: str, data: bytes) -> MemberImportRecord:
    """The import's row, queued (flushes; the caller commits, then calls run_import)."""
    text, total = decode_upload(data)
    record = MemberImportRecord(program_id=program.id, uploaded_by_id=staff_id, filename=filename[:255],
                                status="queued", content=text, total=total, done=0, kept=0, refused=0, errors=[],
                                mailed=0, mail_failed=0)
    db.session.add(record)
    db.session.flush()
    return record


def _claim(import_id: int) -> bool:
    """True when this caller now runs the import: queued, or running with a stopped heartbeat."""
    now = utcnow()
    claimed = db.session.execute(
        update(MemberImportRecord)
        .where(MemberImportRecord.id == import_id,
               or_(MemberImportRecord.status == "queued",
                   (MemberImportRecord.status == "running") & (MemberImportRecord.updated_at < now - STALE_AFTER)))
        .values(status="running", updated_at=now)
    )
    db.session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def resume_stale(program_id: int) -> list[int]:
    """The program's imports whose process died, to be run again (by whoever asks first)."""
    cutoff = utcnow() - STALE_AFTER
    return list(db.session.scalars(select(MemberImportRecord.id).where(
        MemberImportRecord.program_id == program_id, MemberImportRecord.status == "running",
        MemberImportRecord.updated_at < cutoff)))


class _Progress:
    """The counters as they stood when this run took the import up, plus what it has done since."""

    def __init__(self, record: MemberImportRecord) -> None:
        self.import_id = record.id
        self.done, self.kept = record.done, record.kept
        self.errors: list[list[object]] = [list(e) for e in record.errors or []]

    def save(self, job: MemberImport, rows: int, finished: bool = False) -> None:
        """Write the pending rows and the counters in one transaction; a clash with a member
        enrolled meanwhile is rolled back and the batch checked again (three tries, as the CLI)."""
        for attempt in (1, 2, 3):
            try:
                job.write()
                self._store(job, rows, finished)
                db.session.commit()
                return
            except IntegrityError:
                db.session.rollback()
                if attempt == 3:
                    raise

    def _store(self, job: MemberImport, rows: int, finished: bool) -> None:
        record = db.session.get_one(MemberImportRecord, self.import_id)
        errors = sorted(self.errors + [[line, reason] for line, reason in job.problems], key=lambda e: int(str(e[0])))
        record.done, record.kept = self.done + rows, self.kept + job.imported
        record.refused, record.errors, record.updated_at = len(errors), errors, utcnow()
        if finished:
            record.status, record.finished_at, record.content = "finished", utcnow(), None


def run_import(import_id: int, batch_rows: int = BATCH_ROWS) -> None:
    """Import the rows not done yet, committing every `batch_rows`; does nothing unless claimed."""
    if not _claim(import_id):
        return
    record = db.session.get_one(MemberImportRecord, import_id)
    program = db.session.get_one(Program, record.program_id)
    progress = _Progress(record)
    rows = records(io.StringIO(record.content or "", newline=""))
    try:
        header = check_header(next(rows)[1])
    except (StopIteration, InvalidValue):  # checked at upload: only a changed file gets here
        record.status, record.finished_at, record.content = "failed", utcnow(), None
        db.session.commit()
        return
    job = MemberImport(program, member_values={"import_id": import_id})
    seen = 0
    for index, (line, values) in enumerate(rows):
        if index < progress.done:
            continue  # written by the run that died
        job.add(line, header, values)
        seen += 1
        if seen % batch_rows == 0:
            progress.save(job, seen)
    progress.save(job, seen, finished=True)


def fail_import(import_id: int) -> None:
    """An import that stopped on an error of its own: the rows before are kept, the rest not tried."""
    db.session.rollback()
    record = db.session.get_one(MemberImportRecord, import_id)
    record.status, record.finished_at, record.content = "failed", utcnow(), None
    db.session.commit()


def mail_recipients(import_id: int) -> int:
    """How many members of this import the card link can go to (an address, not erased)."""
    return int(db.session.scalar(select(func.count()).select_from(Member).where(*_recipients(import_id))) or 0)


def _recipients(import_id: int) -> tuple[ColumnElement[bool], ...]:
    return (Member.import_id == import_id, Member.erased_at.is_(None), Member.email.is_not(None))


def claim_mailing(import_id: int) -> bool:
    """True for the one request that gets to send this import's card links; every later press, False."""
    now = utcnow()
    claimed = db.session.execute(
        update(MemberImportRecord)
        .where(MemberImportRecord.id == import_id, MemberImportRecord.status == "finished",
               MemberImportRecord.mail_requested_at.is_(None))
        .values(mail_requested_at=now, updated_at=now)
    )
    db.session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def mail_import(import_id: int, send_card: Callable[[Member], bool], batch: int = 20) -> None:
    """Send each recipient their card link once, in id order, counting sent and failed as it goes."""
    after = 0
    while True:
        members = list(db.session.scalars(select(Member).where(*_recipients(import_id), Member.id > after)
                                          .order_by(Member.id).limit(batch)))
        if not members:
            break
        ids = [m.id for m in members]
        outcomes = [send_card(m) for m in members]
        db.session.execute(update(MemberImportRecord).where(MemberImportRecord.id == import_id).values(
            mailed=MemberImportRecord.mailed + sum(outcomes),
            mail_failed=MemberImportRecord.mail_failed + outcomes.count(False), updated_at=utcnow()))
        db.session.commit()
        after = ids[-1]
    db.session.execute(update(MemberImportRecord).where(MemberImportRecord.id == import_id)
                       .values(mail_finished_at=utcnow()))
    db.session.commit()
