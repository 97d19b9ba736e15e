"""The join form. Messages are lazy so they render in the language chosen for the request."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.input_guard import CleanForm
from app.loyalty.enrollment import EMAIL_RE, PHONE_RE

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


def parse_birthday(text: str) -> date | None:
    """ISO from a date picker; day/month/year from a browser that shows a plain text box."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def valid_email(form: FlaskForm, field: Field) -> None:
    value = (field.data or "").strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ValidationError(_l("Enter an e-mail address like name@example.com."))


def valid_phone(form: FlaskForm, field: Field) -> None:
    if field.data and not PHONE_RE.match(field.data.strip()):
        raise ValidationError(_l("Enter a phone number with digits only, e.g. +39 333 1234567."))


def valid_birthday(form: FlaskForm, field: Field) -> None:
    if not field.data:
        return
    day = parse_birthday(field.data)
    if day is None:
        raise ValidationError(_l("Enter the date as DD/MM/YYYY."))
    if not date(1900, 1, 1) <= day <= date.today():
        raise ValidationError(_l("Enter a date in the past."))


class JoinForm(CleanForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Enter your name.")), Length(max=100, message=_l("At most 100 characters."))])
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail.")), valid_email])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), valid_phone])
    birthday = StringField(_l("Birthday (optional)"), validators=[Optional(), valid_birthday])
    terms = BooleanField(validators=[DataRequired(message=_l("Accept the terms to join."))])
    marketing = BooleanField(default=False)
    ref = HiddenField()


class LostCardForm(CleanForm):
    """"Lost your card?": the address the card was issued to; the link goes there, never on screen."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail.")), valid_email])


class FreshLinkForm(CleanForm):
    """An expired Google Wallet link asking for a fresh one: the old link names the card."""

    token = HiddenField(validators=[DataRequired()])
