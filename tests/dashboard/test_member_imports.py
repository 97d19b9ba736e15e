"""An owner uploads a members CSV from the dashboard: progress, refused rows with their reasons,
the good rows kept, and the card links e-mailed once."""
from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, update

from app.extensions import db
from app.loyalty.members_csv import MemberImport
from app.loyalty.members_csv_runs import run_import, start_import
from app.models import ConsentEvent, Member, MemberImportRecord, Program, StaffUser
from app.models._common import utcnow
from tests.conftest import Api, new_merchant
from tests.dashboard.test_enrol import CSRF, login
from tests.dashboard.test_till import add_cashier
from tests.enrollment.smtp import smtp_server

GOOD_AND_BAD = (
    "name,email,phone,points,marketing_consent\n"
    "Anna Rossi,anna@example.com,+39 333 1111111,120,yes\n"
    "Bruno Verdi,not-an-address,,0,no\n"
    "Carla Neri,carla@example.com,,abc,no\n"
    "Dario Blu,dario@example.com,,15,no\n"
)


def import_url(program_id: int) -> str:
    return f"/dashboard/programs/{program_id}/members/import"


def upload(client: FlaskClient, program_id: int, content: bytes, filename: str = "members.csv") -> Any:
    page = client.get(import_url(program_id))
    assert page.status_code == 200, page.get_data(as_text=True)
    token = CSRF.findall(page.get_data(as_text=True))[0]
    return client.post(import_url(program_id), content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (_stream(content), filename)})


def _stream(content: bytes) -> Any:
    return io.BytesIO(content)


def finished_page(client: FlaskClient, location: str, seconds: float = 20) -> str:
    """The progress page once the import (or its mailing) is over, as a person refreshing it sees."""
    deadline = time.monotonic() + seconds
    while True:
        html = client.get(location).get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return html
        assert time.monotonic() < deadline, html
        time.sleep(0.1)


def test_an_upload_keeps_the_good_rows_and_lists_the_bad_ones(owner: Api, program: dict[str, Any],
                                                             client: FlaskClient) -> None:
    login(client)
    response = upload(client, program["id"], GOOD_AND_BAD.encode())
    assert response.status_code == 303, response.get_data(as_text=True)
    html = finished_page(client, response.headers["Location"])
    assert 'data-status="finished"' in html
    assert 'id="import-done">4 of 4<' in html and 'id="import-kept">2<' in html and 'id="import-refused">2<' in html
    refused = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td></tr>', html)
    assert refused == [("3", "email &#39;not-an-address&#39; is not a valid e-mail address"),
                       ("4", "points &#39;abc&#39; is not a whole number of 0 or more")]
    db.session.expire_all()
    kept = {m.email: m for m in db.session.scalars(select(Member).where(Member.program_id == program["id"]))}
    assert set(kept) == {"anna@example.com", "dario@example.com"}
    assert kept["anna@example.com"].consent_marketing and kept["anna@example.com"].card is not None
    assert owner.get(f"/members/{kept['anna@example.com'].id}").get_json()["points"] == 120
    record = db.session.scalars(select(MemberImportRecord)).one()
    assert (record.filename, record.total, record.kept, record.refused, record.content) == ("members.csv", 4, 2, 2, None)
    assert record.finished_at is not None and {m.import_id for m in kept.values()} == {record.id}
    sources = set(db.session.scalars(select(ConsentEvent.source)))
    assert sources == {"import"}


def _owner_id() -> int:
    return int(db.session.scalar(select(StaffUser.id).where(StaffUser.email == "owner@rossi.example")) or 0)


def test_progress_moves_in_committed_batches(owner: Api, program: dict[str, Any], app: Flask) -> None:
    rows = "".join(f"Member {i},m{i}@example.com\n" for i in range(300))
    record = start_import(db.session.get_one(Program, program["id"]), _owner_id(), "many.csv",
                          f"name,email\n{rows}".encode())
    db.session.commit()
    import_id = record.id  # read here: the watcher has its own session
    seen: set[tuple[int, int, int]] = set()
    stop = threading.Event()

    def watch() -> None:  # another connection, reading what has been committed while it runs
        with app.app_context():
            while not stop.is_set():
                members = select(func.count()).select_from(Member).where(Member.import_id == import_id)
                done, kept, count = db.session.execute(  # one statement: one consistent view
                    select(MemberImportRecord.done, MemberImportRecord.kept, members.scalar_subquery())
                    .where(MemberImportRecord.id == import_id)).one()
                seen.add((int(done), int(kept), int(count)))
                db.session.rollback()
            db.session.remove()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run_import(import_id, batch_rows=50)
    finally:
        stop.set()
        watcher.join()
    db.session.expire_all()
    finished = db.session.get_one(MemberImportRecord, import_id)
    assert (finished.status, finished.total, finished.done, finished.kept, finished.refused) == \
        ("finished", 300, 300, 300, 0)
    between = {s for s in seen if 0 < s[0] < 300}
    assert between, seen  # the figures moved before the end
    assert all(done % 50 == 0 and done == kept == members for done, kept, members in seen), seen


def test_a_stopped_import_is_taken_up_from_its_last_batch(owner: Api, program: dict[str, Any],
                                                          client: FlaskClient) -> None:
    rows = [f"Member {i},m{i}@example.com" for i in range(5)]
    the_program = db.session.get_one(Program, program["id"])
    record = start_import(the_program, _owner_id(), "five.csv", ("name,email\n" + "\n".join(rows)).encode())
    first_batch = MemberImport(the_program, member_values={"import_id": record.id})
    for line, row in enumerate(rows[:2], start=2):  # what a process wrote before it was stopped
        first_batch.add(line, ["name", "email"], row.split(","))
    first_batch.write()
    record.status, record.done, record.kept = "running", 2, 2
    record.updated_at = utcnow() - timedelta(seconds=5)  # still beating, as far as anyone knows
    db.session.commit()
    import_id, location = record.id, f"/dashboard/programs/{program['id']}/members/imports/{record.id}"
    run_import(import_id)  # a live import is nobody else's to take
    assert db.session.scalar(select(func.count()).select_from(Member)) == 2
    db.session.execute(update(MemberImportRecord).values(updated_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    login(client)
    html = finished_page(client, location)  # looking at it takes the stopped import up again
    assert 'id="import-done">5 of 5<' in html and 'id="import-kept">5<' in html and 'id="import-refused">0<' in html
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Member.email))) == [f"m{i}@example.com" for i in range(5)]


def test_files_that_are_not_members_csv_are_refused_beside_the_field(owner: Api, program: dict[str, Any],
                                                                    client: FlaskClient, app: Flask) -> None:
    login(client)
    cases = [
        (b"\xff\xfe\x00n\x00a\x00m\x00e", "members.csv", "is not UTF-8 text"),
        (b"name,email\n", "members.xlsx", "members.xlsx is not a CSV file"),
        (b"", "members.csv", "The file is empty"),
        (b"nome,email\nAnna,anna@example.com\n", "members.csv", "unknown column(s) in the header: nome"),
    ]
    for content, filename, message in cases:
        response = upload(client, program["id"], content, filename)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (filename, html)
        assert 'id="file-error"' in html and message in html, message
    app.config["MEMBERS_CSV_MAX_BYTES"] = 2048
    too_big = upload(client, program["id"], b"name,email\n" + b"Anna,anna@example.com\n" * 200)
    assert too_big.status_code == 413
    assert 'id="file-error"' in too_big.get_data(as_text=True) and "larger than" in too_big.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 4096  # so that the body limit, not the view, stops the next one
    far_too_big = upload(client, program["id"], b"name,email\n" + b"Anna,anna@example.com\n" * 4000)  # past the body limit
    assert far_too_big.status_code == 413
    assert 'id="file-error"' in far_too_big.get_data(as_text=True)
    assert "larger than" in far_too_big.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MemberImportRecord)) == 0


def test_every_imported_member_gets_the_card_link_once(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                      app: Flask) -> None:
    login(client)
    location = upload(client, program["id"], GOOD_AND_BAD.encode()).headers["Location"]
    html = finished_page(client, location)
    assert "2 imported members have an e-mail address and will get their card link, once." in html
    token = CSRF.findall(html)[0]
    with smtp_server() as (port, inbox):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                          MAIL_FROM="Caffè Rossi <carte@rossi.example>")
        first = client.post(f"{location}/mail", data={"csrf_token": token})
        sent = finished_page(client, location)
        second = client.post(f"{location}/mail", data={"csrf_token": token})
        received = sorted(inbox.next()[0][0] for _ in range(2))
        assert inbox.received.empty()
        time.sleep(0.3)
        assert inbox.received.empty()  # the second press sent nothing
    assert first.status_code == second.status_code == 303
    assert received == ["anna@example.com", "dario@example.com"]
    assert 'id="import-mail-state">The card link was sent to 2 members.' in sent
    assert "were sent already: nobody gets them twice" in client.get(location).get_data(as_text=True)


def test_only_owners_import_and_only_their_own_programs(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                       runner: FlaskCliRunner) -> None:
    login(client)
    location = upload(client, program["id"], GOOD_AND_BAD.encode()).headers["Location"]
    finished_page(client, location)
    without_token = client.post(import_url(program["id"]), content_type="multipart/form-data",
                                data={"file": (_stream(GOOD_AND_BAD.encode()), "members.csv")})
    assert without_token.status_code == 400
    assert client.post(f"{location}/mail").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(MemberImportRecord)) == 1
    add_cashier()
    cashier = client.application.test_client()
    login(cashier, "anna@rossi.example")
    assert cashier.get(import_url(program["id"])).status_code == 403
    assert cashier.get(location).status_code == 403
    pizza = Api(client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    their_program = pizza.post("/programs", {"name": "Pizza Club"}).get_json()["id"]
    assert client.get(import_url(their_program)).status_code == 404
    other = client.application.test_client()
    login(other, "boss@pizza.example")
    assert other.get(location).status_code == 404
    assert other.get(location.replace(f"/programs/{program['id']}/", f"/programs/{their_program}/")).status_code == 404
