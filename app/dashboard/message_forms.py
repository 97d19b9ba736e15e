"""The compose form of a message, and the segment it names, checked with the program's rules."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.input_guard import CleanForm
from app.digits import digits
from app.loyalty.errors import LoyaltyError
from app.loyalty.segments import MAX_INACTIVE_DAYS, MAX_MESSAGE, Segment, parse_segment
from app.models import Member, Program

DEFAULT_DAYS = "30"


class MessageForm(CleanForm):
    text = TextAreaField(_l("Message"), validators=[
        DataRequired(message=_l("Write the message.")),
        Length(max=MAX_MESSAGE, message=_l("At most %(max)d characters.", max=MAX_MESSAGE))])
    type = SelectField(_l("Who gets it"), choices=[], validate_choice=False)
    tier = SelectField(_l("Tier"), choices=[], validate_choice=False)
    days = StringField(_l("Not seen for (days)"), default=DEFAULT_DAYS)
    marketing_consent = BooleanField(_l("Only members who agreed to receive marketing messages"))
    member_id = HiddenField()  # set when the owner came from a member's page
    checked = HiddenField()  # what the preview showed: sending something else shows a new preview


def segment_choices(program: Program, member: Member | None = None) -> list[tuple[str, str]]:
    choices = [("member", _("Only %(name)s", name=member.name))] if member is not None else []
    choices.append(("all", _("Every member")))
    if program.tiers:
        choices.append(("tier", _("Members in a tier")))
    choices += [("inactive", _("Members who have not come for a while")),
                ("birthday_month", _("Members with a birthday this month"))]
    return choices


def message_form(program: Program, data: Mapping[str, Any] | None = None, member: Member | None = None) -> MessageForm:
    form = MessageForm(formdata=data) if data is not None else MessageForm()
    member = member or chosen_member(program, form.member_id.data)
    if member is not None and data is None:
        form.type.data, form.member_id.data = "member", str(member.id)
    form.type.choices = segment_choices(program, member)  # type: ignore[assignment]
    form.tier.choices = [(t.name, t.name) for t in program.tiers]  # type: ignore[assignment]
    return form


def raw_segment(values: Mapping[str, Any]) -> dict[str, Any]:
    """The segment as parse_segment takes it, from form or query-string values."""
    kind = str(values.get("type") or "all")
    raw: dict[str, Any] = {"type": kind}
    if kind == "tier":
        raw["tier"] = values.get("tier")
    elif kind == "inactive":
        raw["days"] = _number(values.get("days"))
    elif kind == "member":
        raw["member_id"] = _number(values.get("member_id"))
    if str(values.get("marketing_consent") or "").lower() in ("1", "y", "on", "true"):
        raw["marketing_consent"] = True
    return raw


def _number(value: Any) -> Any:
    text = str(value or "").strip()
    return int(text) if digits(text, 9) else text  # an id past the 32-bit range is no member's


def chosen_member(program: Program, member_id: Any) -> Member | None:
    """The program's member a message is for, when one was named and is not erased."""
    number = _number(member_id)
    if not isinstance(number, int):
        return None
    member = db.session.get(Member, number)
    if member is None or member.program_id != program.id or member.erased_at is not None:
        return None
    return member


SEGMENT_FIELDS = {"segment.type": "type", "segment.tier": "tier", "segment.days": "days", "segment.member_id": "type"}


def segment_error(field: str) -> str:
    if field == "days":
        return _("Enter a number of days from 1 to %(max)d.", max=MAX_INACTIVE_DAYS)
    if field == "tier":
        return _("Choose one of the program's tiers.")
    return _("Choose who gets the message.")


def read_segment(program: Program, values: Mapping[str, Any]) -> tuple[Segment | None, str | None, str | None]:
    """(segment, None, None), or (None, the form field at fault, its message)."""
    try:
        return parse_segment(program, raw_segment(values)), None, None
    except LoyaltyError as exc:  # a bad value, or a member who is not the program's
        field = SEGMENT_FIELDS.get(exc.field or "", "type")
        return None, field, segment_error(field)


def read_form(program: Program, form: MessageForm) -> Segment | None:
    """The segment of a valid form; errors are put beside their fields."""
    valid = form.validate()
    segment, field, message = read_segment(program, form.data)
    if field and message:
        getattr(form, field).errors = [*getattr(form, field).errors, message]
    return segment if valid else None


def fingerprint(text: str, segment: Segment) -> str:
    """Identifies what a preview showed, so a send checks it sends just that."""
    body = json.dumps([text.strip(), segment.as_json()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def describe(segment: Mapping[str, Any]) -> str:
    who = _who(segment)
    return _("%(who)s, agreed to marketing", who=who) if segment.get("marketing_consent") else who


def _who(segment: Mapping[str, Any]) -> str:
    kind = segment.get("type")
    if kind == "tier":
        return _("Tier %(tier)s", tier=segment.get("tier"))
    if kind == "inactive":
        days = int(segment.get("days") or 0)
        return ngettext("Not seen for %(num)s day", "Not seen for %(num)s days", days)
    if kind == "birthday_month":
        return _("Birthday this month")
    if kind == "member":
        return _("One member")
    return _("Every member")
