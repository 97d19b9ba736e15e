"""Enrolling a customer who stands at the counter, from the till or the members page, and their
new card shown on the screen as a big QR code for their phone.

Staff (owners and cashiers) ask for consent on the spot; it is recorded with the source ("till"
or "dashboard") and the staff login that recorded it. The form carries a one-time key, like the
till's: a double tap or a resubmitted page shows the card made by the first submission."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.dashboard import bp, login_required, owned_program
from app.dashboard import till_input as read
from app.dashboard.enrol_form import EnrolForm
from app.dashboard.member_actions import ResendForm, email_card
from app.enrollment.forms import parse_birthday
from app.enrollment.links import till_card_token
from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll, enrolled_member, enrolled_with_key
from app.loyalty.errors import InvalidValue, MemberExists
from app.models import Member, Program
from app.models._common import utcnow
from app.poster.qr import qr_svg

RECENT_KEY = "enrol_recent"  # this browser's last enrolment keys, with the member each made
RECENT_KEPT = 4
SOURCES = ("till", "dashboard")
FIELD_OF = {"consent.terms": "terms"}  # enroll()'s field names that differ from the form's


@dataclass(frozen=True)
class Outcome:
    member: Member
    kind: str  # "new", "replayed" (this form was sent before) or "exists" (the address has a card)


def uses_birthdays(program: Program) -> bool:
    return program.birthday_bonus > 0


@bp.route("/programs/<int:program_id>/till/enrol", methods=["GET", "POST"])
@login_required
def till_enrol(program_id: int) -> str | Response | tuple[str, int]:
    return _enrol(program_id, "till")


@bp.route("/programs/<int:program_id>/members/new", methods=["GET", "POST"])
@login_required
def member_enrol(program_id: int) -> str | Response | tuple[str, int]:
    return _enrol(program_id, "dashboard")


def _enrol(program_id: int, source: str) -> str | Response | tuple[str, int]:
    program = owned_program(program_id)
    form = EnrolForm()
    existing: Member | None = None
    if request.method == "POST":
        raw = form.idempotency_key.data or ""
        if (earlier := session.get(RECENT_KEY, {}).get(raw)) is not None:
            return _to_card(program, int(earlier), source, replayed=True)
        outcome = _submitted(program, form, source, raw)
        if outcome is not None and outcome.kind != "exists":
            _remember(raw, outcome.member)
            return _to_card(program, outcome.member.id, source, replayed=outcome.kind == "replayed")
        existing = outcome.member if outcome else None
    form.idempotency_key.data = uuid.uuid4().hex  # a fresh key for every form drawn
    html = render_template("dashboard/enrol/form.html", program=program, form=form, source=source, existing=existing,
                           birthdays=uses_birthdays(program))
    return (html, 422 if form.errors else 200) if request.method == "POST" else html


def _submitted(program: Program, form: EnrolForm, source: str, raw_key: str) -> Outcome | None:
    """The outcome of a valid form, or None with the errors set on the form."""
    if not form.validate_on_submit():
        return None
    try:
        key = read.idempotency_key(raw_key)
    except read.TillInputError as exc:
        form.form_errors.append(exc.message)
        return None
    applicant = _applicant(program, form, source, key)
    try:
        outcome = _enrolled(program, applicant)
    except _InvalidField as exc:
        field = getattr(form, exc.field, form.name)
        field.errors = [*field.errors, _("Check this value.")]
        return None
    if outcome.kind == "exists":
        _explain_exists(form, applicant, outcome.member)
    return outcome


def _applicant(program: Program, form: EnrolForm, source: str, key: str) -> Applicant:
    birthday = form.birthday.data if uses_birthdays(program) else None
    return Applicant(
        name=form.name.data or "",
        email=(form.email.data or "").strip() or None,
        phone=(form.phone.data or "").strip() or None,
        birthday=parse_birthday(birthday) if birthday else None,
        terms=bool(form.terms.data),
        marketing=bool(form.marketing.data),
        source=source,
        recorded_by_staff_id=g.staff.id,
        enrolment_key=key,
    )


def _enrolled(program: Program, applicant: Applicant) -> Outcome:
    """Enrol and commit; a twin submission of the same form, or an address that already holds a
    card, is found instead of making a second card."""
    key = applicant.enrolment_key or ""
    if (twin := enrolled_with_key(program, key)) is not None:
        return Outcome(twin, "replayed")
    if (holder := enrolled_member(program, applicant.email, applicant.phone)) is not None:
        return Outcome(holder, "exists")
    try:
        member = enroll(program, applicant)
        db.session.commit()
    except MemberExists:  # the same form, or the same address, committed a moment ago
        db.session.rollback()
        if (twin := enrolled_with_key(program, key)) is not None:
            return Outcome(twin, "replayed")
        if (holder := enrolled_member(program, applicant.email, applicant.phone)) is not None:
            return Outcome(holder, "exists")
        abort(409)
    except InvalidValue as exc:  # a rule the form's own checks did not anticipate
        db.session.rollback()
        raise _InvalidField(exc) from None
    return Outcome(member, "new")


class _InvalidField(Exception):
    def __init__(self, exc: InvalidValue) -> None:
        super().__init__(exc.message)
        self.field = FIELD_OF.get(exc.field or "", exc.field or "name")


def _explain_exists(form: EnrolForm, applicant: Applicant, holder: Member) -> None:
    if applicant.email and holder.email == applicant.email.lower():
        form.email.errors = [_("%(email)s already has a card in this program, held by %(name)s.",
                               email=holder.email, name=holder.name)]
    else:
        form.phone.errors = [_("This phone number already has a card in this program, held by %(name)s.",
                               name=holder.name)]


def _remember(raw_key: str, member: Member) -> None:
    recent = dict(session.get(RECENT_KEY, {}))
    recent[raw_key] = member.id
    session[RECENT_KEY] = dict(list(recent.items())[-RECENT_KEPT:])


def _to_card(program: Program, member_id: int, source: str, replayed: bool = False) -> Response:
    args = {"via": source, **({"again": "1"} if replayed else {})}
    return redirect(url_for("dashboard.new_card", program_id=program.id, member_id=member_id, **args), 303)


def _program_member(program: Program, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.program_id != program.id or member.erased_at is not None or member.card.voided:
        abort(404)
    return member


def till_card_url(member: Member) -> str:
    """The member's card page behind a short-lived token, on the public address."""
    path = url_for("enrollment.joined", slug=member.program.slug, token=till_card_token(member.card))
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}{path}"


def qr_markup(link: str, label_id: str) -> Markup:
    """The link as an inline SVG QR code, sized by the page's CSS rather than in millimetres."""
    svg = qr_svg(link).decode("utf-8")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"',
                 f'<svg class="card-qr-code" role="img" aria-labelledby="{label_id}"', svg, count=1)
    return Markup(svg)  # noqa: S704 (made here from a QR library's output, no user text inside)


def _cashier_may_show(member: Member) -> bool:
    """A cashier shows the card of a customer just enrolled, not anyone's: the code on the screen
    opens the card (its barcode, its balance), so an old member's belongs to that member alone."""
    if g.staff.role == "owner":
        return True
    age = (utcnow() - member.created_at).total_seconds()
    return age <= current_app.config["TILL_LINK_MAX_AGE"]


@bp.get("/programs/<int:program_id>/new-card/<int:member_id>")
@login_required
def new_card(program_id: int, member_id: int) -> Response:
    program = owned_program(program_id)
    member = _program_member(program, member_id)
    if not _cashier_may_show(member):
        abort(403)
    link = till_card_url(member)
    html = render_template("dashboard/enrol/card.html", program=program, member=member, link=link,
                           qr=qr_markup(link, "card-qr-label"), via=_via(), replayed=request.args.get("again") == "1",
                           minutes=current_app.config["TILL_LINK_MAX_AGE"] // 60, mail_form=ResendForm(formdata=None))
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the page holds a key to the card
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _via() -> str:
    via = request.args.get("via", "till")
    return via if via in SOURCES else "till"


@bp.post("/programs/<int:program_id>/new-card/<int:member_id>/email")
@login_required
def email_new_card(program_id: int, member_id: int) -> Response:
    program = owned_program(program_id)
    member = _program_member(program, member_id)
    back = redirect(url_for("dashboard.new_card", program_id=program.id, member_id=member.id, via=_via()), 303)
    if not ResendForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return back
    return email_card(member, back, again=False)
