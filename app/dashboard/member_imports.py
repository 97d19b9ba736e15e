"""An owner uploads a members CSV (the columns `import-members` reads), watches it being imported,
sees the refused rows with their reasons, and may e-mail every imported member their card link.

The rows are written by a thread of the web process started once the upload is committed: a CSV
of a few hundred rows is done in seconds, while the progress page refreshes itself (a meta
refresh, no script needed). The uploaded text stays in the import's row until it finishes, so
if the process is stopped half-way the next look at the progress page takes the import up again
from the last committed batch (see app/loyalty/members_csv_runs.py)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app.dashboard import bp, owned_program, owner_required
from app.extensions import db
from app.loyalty.errors import InvalidValue
from app.loyalty.members_csv import COLUMNS
from app.loyalty.members_csv_runs import UploadRefused, claim_mailing, fail_import, mail_import, mail_recipients, \
    resume_stale, run_import, start_import
from app.mail import send
from app.models import Member, MemberImportRecord, Program

UPLOAD_ENDPOINT = "dashboard.member_import"
REFRESH_SECONDS = 2
SHOWN_IMPORTS = 10


class UploadForm(FlaskForm):
    """CSRF only: the file is read by hand, to say exactly what is wrong with it."""


def _max_bytes() -> int:
    return int(current_app.config["MEMBERS_CSV_MAX_BYTES"])


@bp.url_value_preprocessor
def _allow_csv_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The file's limit, for a signed-in owner of this program only (anyone else is refused from
    the Content-Length, unread). Runs before the CSRF check reads the form, which is when the
    size limit applies, so the staff member is looked up here."""
    from app.dashboard import load_staff
    from app.dashboard.program_design import owns_program

    if endpoint != UPLOAD_ENDPOINT or request.method != "POST" or not values:
        return
    load_staff()
    if owns_program(values.get("program_id")):
        request.max_content_length = max(_max_bytes() + 64 * 1024,  # the file and the form around it
                                         current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def too_large_page() -> tuple[str, int]:
    """The upload page with the size named beside the field, for a body past the limit."""
    assert request.view_args is not None
    program = owned_program(int(request.view_args["program_id"]))
    return _upload_page(program, _("The file is larger than %(mb)d MB. Split it into smaller files.",
                                   mb=_max_bytes() // (1024 * 1024)), 413)


def _upload_page(program: Program, error: str | None = None, status: int = 200) -> tuple[str, int]:
    imports = list(db.session.scalars(select(MemberImportRecord).where(MemberImportRecord.program_id == program.id)
                                      .order_by(MemberImportRecord.id.desc()).limit(SHOWN_IMPORTS)))
    return render_template("dashboard/members/import.html", program=program, form=UploadForm(formdata=None), error=error,
                           columns=COLUMNS, imports=imports, max_mb=_max_bytes() // (1024 * 1024)), status


@bp.route("/programs/<int:program_id>/members/import", methods=["GET", "POST"])
@owner_required
def member_import(program_id: int) -> Response | tuple[str, int]:
    program = owned_program(program_id)
    if request.method == "GET":
        return _upload_page(program)
    if not UploadForm().validate_on_submit():
        return _upload_page(program, _("The form expired. Choose the file again."), 400)
    upload = request.files.get("file")
    problem = _file_problem(upload)
    if problem is None:
        assert upload is not None
        data = upload.read(_max_bytes() + 1)
        if len(data) > _max_bytes():
            return too_large_page()
        try:
            record = start_import(program, g.staff.id, upload.filename or "members.csv", data)
        except UploadRefused as exc:
            problem = _refusal(str(exc))
        except InvalidValue as exc:
            problem = _("The header row is not right: %(reason)s.", reason=exc.message)
    if problem is not None:
        db.session.rollback()
        return _upload_page(program, problem, 422)
    db.session.commit()
    import_id = record.id  # read here: the thread has its own session
    in_background(lambda: run_import(import_id), lambda: fail_import(import_id), f"member-import-{import_id}")
    return redirect(url_for("dashboard.member_import_progress", program_id=program.id, import_id=import_id), 303)


def _file_problem(upload: FileStorage | None) -> str | None:
    if upload is None or not upload.filename:
        return _("Choose a CSV file to upload.")
    if not upload.filename.lower().endswith(".csv"):
        return _("%(name)s is not a CSV file: choose a file ending in .csv (in a spreadsheet, “Save as CSV”).",
                 name=upload.filename)
    return None


def _refusal(code: str) -> str:
    return {
        "not_utf8": _("The file is not UTF-8 text. Save it again as “CSV UTF-8” and upload it."),
        "not_csv": _("The file could not be read as CSV. Save it again as CSV and upload it."),
        "empty": _("The file is empty: it needs a header row and one row per member."),
    }[code]


def in_background(work: Callable[[], None], on_error: Callable[[], None], name: str) -> None:
    """Run `work` in a thread of this process, with its own app context and database session.

    The request context is there for the links and templates an e-mail needs; it is built on
    PUBLIC_URL, as every link the service hands out is."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.test_request_context("/", base_url=app.config["PUBLIC_URL"]):
            try:
                work()
            except Exception:
                app.logger.exception("%s stopped", name)
                on_error()
            finally:
                db.session.remove()

    threading.Thread(target=run, name=name, daemon=True).start()


def _record(program: Program, import_id: int) -> MemberImportRecord:
    # populate_existing: the figures as committed by the importing thread, never a cached copy
    record = db.session.get(MemberImportRecord, import_id, populate_existing=True)
    if record is None or record.program_id != program.id:
        abort(404)
    return record


@bp.get("/programs/<int:program_id>/members/imports/<int:import_id>")
@owner_required
def member_import_progress(program_id: int, import_id: int) -> Response:
    program = owned_program(program_id)
    record = _record(program, import_id)
    if record.id in resume_stale(program.id):  # its process stopped: take it up from the last batch
        in_background(lambda: run_import(import_id), lambda: fail_import(import_id), f"member-import-{import_id}")
    mailing = record.mail_requested_at is not None and record.mail_finished_at is None
    busy = record.status in ("queued", "running") or mailing
    html = render_template("dashboard/members/import_progress.html", program=program, record=record, busy=busy,
                           refresh=REFRESH_SECONDS, recipients=mail_recipients(record.id), form=UploadForm())
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the figures move while it runs
    return response


@bp.post("/programs/<int:program_id>/members/imports/<int:import_id>/mail")
@owner_required
def member_import_mail(program_id: int, import_id: int) -> Response:
    program = owned_program(program_id)
    record = _record(program, import_id)
    back = redirect(url_for("dashboard.member_import_progress", program_id=program.id, import_id=record.id), 303)
    if not UploadForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
    elif record.status != "finished":
        flash(_("The import is still running: the card links can be sent when it has finished."), "error")
    elif claim_mailing(record.id):
        in_background(lambda: mail_import(import_id, _send_card), lambda: None, f"member-import-mail-{import_id}")
        flash(_("The card links are being sent."), "message")
    else:
        flash(_("The card links of this import were sent already: nobody gets them twice."), "warning")
    return back


def _send_card(member: Member) -> bool:
    from app.dashboard.member_actions import card_mail

    return send(card_mail(member, again=False))
