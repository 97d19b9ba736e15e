"""What an owner does for a member: adjust points, send the card link again, export the data,
erase the person. Each change commits once; the e-mail leaves after the commit."""
from __future__ import annotations

import hmac
import json

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.dashboard import bp, owner_required
from app.dashboard.members import merchant_member, render_member
from app.enrollment.links import card_token, google_save_url
from app.extensions import db
from app.formats import grouped
from app.input_guard import CleanForm
from app.loyalty.errors import InsufficientPoints, InvalidAmount
from app.loyalty.ledger import MAX_POINTS_PER_ENTRY, post, totals
from app.loyalty.privacy import erase_member, export_member
from app.mail import Mail, send
from app.models import Member
from app.passdl import pass_url

ERASE_WORD = "ERASE"


class AdjustForm(CleanForm):
    points = StringField(_l("Points to add or take off"), validators=[
        DataRequired(message=_l("Enter a number of points, e.g. 50 or -20."))])
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Say why, for the member's history.")),
        Length(max=200, message=_l("At most 200 characters."))])


class ResendForm(CleanForm):
    pass


class EraseForm(CleanForm):
    confirm = StringField(_l("Type the member's name, or ERASE"), validators=[
        DataRequired(message=_l("Type the member's name, or ERASE, to confirm."))])


def action_forms() -> dict[str, FlaskForm]:
    return {"adjust_form": AdjustForm(formdata=None), "resend_form": ResendForm(formdata=None)}


def _points(form: AdjustForm) -> int | None:
    raw = (form.points.data or "").strip().replace(" ", "")
    try:
        points = int(raw.lstrip("+"), 10)
    except ValueError:
        form.points.errors = [_("Enter a whole number, e.g. 50 or -20.")]
        return None
    if points == 0 or abs(points) > MAX_POINTS_PER_ENTRY:
        form.points.errors = [_("Enter a whole number from -%(max)d to %(max)d, not 0.", max=MAX_POINTS_PER_ENTRY)]
        return None
    return points


@bp.post("/members/<int:member_id>/adjust")
@owner_required
def adjust_points(member_id: int) -> Response | tuple[str, int]:
    member = merchant_member(member_id)
    form = AdjustForm()
    if member.erased_at is not None:
        form.points.errors = [_("This member was erased: their points can no longer change.")]
        return render_member(member, 409, adjust_form=form)
    points = _points(form) if form.validate_on_submit() else None
    if points is None:
        return render_member(member, 400, adjust_form=form)
    try:
        posting = post(member, points, kind="adjust", reason=(form.reason.data or "").strip())
    except InsufficientPoints:
        db.session.rollback()
        balance = totals(member.id).balance
        form.points.errors = [_("The balance is %(balance)s: at most %(balance)s can be taken off.", balance=grouped(balance))
                              if balance > 0 else _("The balance is 0: there are no points to take off.")]
        return render_member(member, 400, adjust_form=form)
    except InvalidAmount:
        db.session.rollback()
        form.points.errors = [_("Enter a whole number, e.g. 50 or -20.")]
        return render_member(member, 400, adjust_form=form)
    balance = posting.entry.balance_after
    db.session.commit()  # the card's push is queued in this same transaction
    flash(_("Points adjusted by %(points)s. The balance is now %(balance)s; the card is being updated.",
            points=grouped(points, sign=True), balance=grouped(balance)), "message")
    return redirect(url_for("dashboard.member", member_id=member.id), 303)


def card_page_url(member: Member) -> str:
    """The member's own card page (the one they saw after joining), on the public address."""
    path = url_for("enrollment.joined", slug=member.program.slug, token=card_token(member.card))
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}{path}"


def card_mail(member: Member, again: bool = True) -> Mail:
    """The card link for the member's e-mail (the caller checked there is one); `again` when they
    had it before, not for a card just issued at the till or by an import."""
    program = member.program
    context = {"program": program, "member": member, "card_url": card_page_url(member), "again": again,
               "apple_url": pass_url(member.card), "google_url": google_save_url(member.card)}
    with force_locale(program.locale):  # the customer reads the shop's language, not the owner's
        context["lang"] = program.locale
        return Mail(to=member.email or "",
                    subject=_("Your %(shop)s card", shop=program.organization_name or program.name),
                    text=render_template("dashboard/mail/card_link.txt", **context),
                    html=render_template("dashboard/mail/card_link.html", **context))


@bp.post("/members/<int:member_id>/resend")
@owner_required
def resend_card(member_id: int) -> Response:
    member = merchant_member(member_id)
    back = redirect(url_for("dashboard.member", member_id=member.id), 303)
    if not ResendForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return back
    if member.erased_at is not None or member.card.voided:
        flash(_("This member was erased: there is no card to send."), "error")
        return back
    return email_card(member, back)


def email_card(member: Member, back: Response, again: bool = True) -> Response:
    """Sends the member their card link, after the transaction ends, and says how it went."""
    if not member.email or member.email.endswith("@invalid"):
        flash(_("This member has no e-mail address."), "error")
        return back
    mail = card_mail(member, again=again)
    db.session.commit()  # nothing changed; ends the transaction before the slow part
    if send(mail):
        flash(_("The card link was sent to %(email)s.", email=member.email), "message")
    else:
        flash(_("The e-mail could not be sent. Check the mail settings or try again later."), "error")
    return back


@bp.get("/members/<int:member_id>/export.json")
@owner_required
def export_member_data(member_id: int) -> Response:
    member = merchant_member(member_id)
    body = json.dumps(export_member(member), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="member-{member.id}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _confirmed(member: Member, typed: str) -> bool:
    typed = " ".join(typed.split())
    expected = (ERASE_WORD, " ".join(member.name.split()))
    return any(hmac.compare_digest(typed.casefold().encode(), e.casefold().encode()) for e in expected)


def _erase_page(member: Member, form: EraseForm, status: int = 200) -> tuple[str, int]:
    return render_template("dashboard/members/erase.html", member=member, program=member.program, form=form,
                           erase_word=ERASE_WORD), status


@bp.route("/members/<int:member_id>/erase", methods=["GET", "POST"])
@owner_required
def erase(member_id: int) -> Response | tuple[str, int]:
    member = merchant_member(member_id)
    if member.erased_at is not None:
        flash(_("This member was already erased."), "warning")
        return redirect(url_for("dashboard.member", member_id=member.id), 303)
    form = EraseForm()
    if not form.validate_on_submit():
        return _erase_page(member, form, 400 if form.is_submitted() else 200)
    if not _confirmed(member, form.confirm.data or ""):
        form.confirm.errors = [_("That is neither the member's name nor ERASE.")]
        return _erase_page(member, form, 400)
    erase_member(member, source="dashboard")
    db.session.commit()
    flash(_("The member's personal data was erased and their card voided."), "message")
    return redirect(url_for("dashboard.member", member_id=member.id), 303)
