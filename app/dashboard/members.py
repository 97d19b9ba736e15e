"""Member search, a member's page and the members' CSV export.

Cashiers search and read (to serve a customer at the till); what changes a member is the
owner's, in member_actions.py."""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, current_app, g, render_template, request, stream_with_context, url_for
from sqlalchemy import ColumnElement, String, func, or_, select

from app.dashboard import bp, login_required, owned_program, owner_required
from app.dashboard.member_details import member_details
from app.dashboard.member_labels import member_labels
from app.extensions import db
from app.digits import digits
from app.loyalty.csv_cells import Writer
from app.loyalty.members_csv import export_rows
from app.models import Card, LedgerEntry, Member, Program

PER_PAGE = 50
MAX_QUERY = 100


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(name: str = "page") -> int:
    """The page asked for in the query string; anything odd is page 1, never an error."""
    raw = request.args.get(name, "1")
    return int(raw) if digits(raw) and 0 < int(raw) < 1_000_000 else 1


def _matches(query: str) -> ColumnElement[bool]:
    """Name, e-mail, phone or card number containing the words typed, whatever their case.

    `icontains` lowers both sides (the same on SQLite and PostgreSQL) and escapes % and _."""
    compact = query.replace(" ", "")
    return or_(
        Member.name.icontains(query, autoescape=True),
        Member.email.icontains(query, autoescape=True),
        Member.phone.icontains(query, autoescape=True),
        func.replace(Member.phone, " ", "", type_=String).icontains(compact, autoescape=True),
        Card.card_number.icontains(compact, autoescape=True),
    )


def search(program: Program, query: str, number: int) -> tuple[list[tuple[Member, Card]], Page]:
    conditions: list[ColumnElement[bool]] = [Member.program_id == program.id]
    if query:
        conditions.append(_matches(query))
    ids = select(Member.id).join(Card, Card.member_id == Member.id).where(*conditions)
    total = int(db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
    page = Page(min(number, Page(1, PER_PAGE, total).pages), PER_PAGE, total)  # past the end: the last page
    rows = db.session.execute(
        select(Member, Card).join(Card, Card.member_id == Member.id).where(*conditions)
        .order_by(Member.created_at.desc(), Member.id.desc()).limit(PER_PAGE).offset((page.number - 1) * PER_PAGE)
    ).all()
    return [(m, c) for m, c in rows], page


def balances(member_ids: list[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    rows = db.session.execute(
        select(LedgerEntry.member_id, func.sum(LedgerEntry.points))
        .where(LedgerEntry.member_id.in_(member_ids)).group_by(LedgerEntry.member_id)
    ).all()
    return {int(member_id): int(total or 0) for member_id, total in rows}


@bp.get("/programs/<int:program_id>/members")
@login_required
def members(program_id: int) -> str:
    program = owned_program(program_id)
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    rows, page = search(program, query, page_number())
    sums = balances([m.id for m, _ in rows])
    return render_template("dashboard/members/list.html", program=program, rows=rows, balances=sums,
                           query=query, page=page)


def _csv_lines(program: Program) -> Iterator[str]:
    buffer = io.StringIO()
    writer = Writer(buffer)
    for row in export_rows(program):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@bp.get("/programs/<int:program_id>/members.csv")
@owner_required
def members_csv(program_id: int) -> Response:
    program = owned_program(program_id)
    response = Response(stream_with_context(_csv_lines(program)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{program.slug}-members.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def merchant_member(member_id: int) -> Member:
    """The signed-in merchant's member, else 404 (another merchant's ids stay secret)."""
    member = db.session.get(Member, member_id)
    if member is None or member.merchant_id != g.staff.merchant_id:
        abort(404)
    owned_program(member.program_id)  # the navigation stays on the member's program
    return member


def render_member(member: Member, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The member's page; actions that failed pass their form back to show what went wrong."""
    from app.dashboard.member_actions import action_forms

    details = member_details(member, page_number("ledger_page"))
    ledger_pager = Page(details.ledger_page, 1, details.ledger_pages)  # one "item" a page of entries
    return render_template("dashboard/members/member.html", member=member, program=member.program, d=details,
                           ledger_pager=ledger_pager, till_url=till_url(member), has_messages="dashboard.messages" in current_app.view_functions,
                           **member_labels(),
                           **{**action_forms(), **forms}), status


def till_url(member: Member) -> str | None:
    """The till with this member's card ready, once the till page exists."""
    if "dashboard.till" not in current_app.view_functions:
        return None
    return url_for("dashboard.till", program_id=member.program_id, card=member.card.card_number)


@bp.get("/members/<int:member_id>")
@login_required
def member(member_id: int) -> tuple[str, int]:
    return render_member(merchant_member(member_id))


from app.dashboard import member_actions  # noqa: E402,F401  (registers the owner's actions)
