"""Messages to a segment's cards: compose, preview, send, and what became of the pushes.

Sending takes two steps: a preview (who and how many, and the back of the card as Wallet shows
it), then the send of exactly what was previewed. The recipient count also updates live as the
owner picks a segment (messages.js asks `message_recipients`)."""
from __future__ import annotations

from typing import Any

from flask import Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.dashboard import bp, owned_program, owner_required
from app.dashboard.member_labels import outcome_labels
from app.dashboard.members import Page, page_number
from app.dashboard.message_forms import (
    MessageForm,
    chosen_member,
    describe,
    fingerprint,
    message_form,
    read_form,
    read_segment,
)
from app.extensions import db
from app.formats import grouped
from app.loyalty.errors import InvalidValue
from app.loyalty.messages import OUTCOMES, count_sent, sent_messages
from app.loyalty.segments import MAX_MESSAGE, Segment, count_recipients, send_message
from app.models import Program
from app.wallet.strings import LABELS

SENT_PAGE = 20


def reach_label(count: int) -> str:
    return ngettext("This message will reach %(count)s member.", "This message will reach %(count)s members.", count,
                    count=grouped(count))


def _page(program: Program, form: MessageForm, status: int = 200, **preview: Any) -> tuple[str, int]:
    number = page_number()
    total = count_sent(program.id)
    page = Page(min(number, max(1, -(-total // SENT_PAGE))), SENT_PAGE, total)
    sent = sent_messages(program.id, SENT_PAGE, (page.number - 1) * SENT_PAGE)
    return render_template(
        "dashboard/messages/compose.html", program=program, form=form, sent=sent, page=page, describe=describe,
        outcomes=OUTCOMES, outcome_labels=outcome_labels(), max_message=MAX_MESSAGE, reach_label=reach_label,
        back_labels=LABELS.get(program.locale, LABELS["en"]), **preview,
    ), status


def _preview(program: Program, form: MessageForm, segment: Segment, status: int = 200) -> tuple[str, int]:
    text = (form.text.data or "").strip()
    form.checked.data = fingerprint(text, segment)
    return _page(program, form, status, preview_text=text, recipients=count_recipients(program, segment),
                 segment_label=describe(segment.as_json()))


def _send(program: Program, form: MessageForm, segment: Segment) -> Response | tuple[str, int]:
    try:
        # Committed in short batches, the record first: see send_message.
        sent = send_message(program, form.text.data or "", segment, staff_id=g.staff.id)
    except InvalidValue:  # the form's own checks should have caught it; keep the text
        db.session.rollback()
        form.text.errors = [_("Write the message, at most %(max)d characters.", max=MAX_MESSAGE)]
        return _page(program, form, 400)
    flash(ngettext("Message sent to %(count)s member: the card is being updated.",
                   "Message sent to %(count)s members: their cards are being updated.", sent.recipients,
                   count=grouped(sent.recipients)), "message")
    return redirect(url_for("dashboard.messages", program_id=program.id), 303)


@bp.route("/programs/<int:program_id>/messages", methods=["GET", "POST"])
@owner_required
def messages(program_id: int) -> Response | tuple[str, int]:
    program = owned_program(program_id)
    if request.method == "GET":
        return _page(program, message_form(program, member=chosen_member(program, request.args.get("member_id"))))
    form = message_form(program, request.form)
    segment = read_form(program, form)
    if segment is None:
        return _page(program, form, 400)
    wanted = request.form.get("action") == "send"
    if not wanted or form.checked.data != fingerprint(form.text.data or "", segment):
        if wanted:  # changed after the preview: show what would go out now, send nothing
            flash(_("The message or its recipients changed since the preview. Check it and send again."), "warning")
        return _preview(program, form, segment)
    return _send(program, form, segment)


@bp.get("/programs/<int:program_id>/messages/recipients")
@owner_required
def message_recipients(program_id: int) -> tuple[Response, int]:
    program = owned_program(program_id)
    segment, field, message = read_segment(program, request.args)
    if segment is None:
        return jsonify({"error": {"field": field, "message": message}}), 400
    count = count_recipients(program, segment)
    label = reach_label(count)
    return jsonify({"recipients": count, "segment": segment.as_json(), "label": label}), 200
