"""The form staff fill in for a customer standing at the counter: who they are, how to reach
them, and the consent they give on the spot."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.enrollment.forms import valid_birthday, valid_email, valid_phone


class EnrolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Enter the customer's name.")), Length(max=100, message=_l("At most 100 characters."))])
    email = EmailField(_l("E-mail"), validators=[Optional(), valid_email])
    phone = StringField(_l("Phone"), validators=[Optional(), valid_phone])
    birthday = StringField(_l("Birthday (optional)"), validators=[Optional(), valid_birthday])
    terms = BooleanField(_l("The customer accepts the terms of the program"), validators=[
        DataRequired(message=_l("Ask the customer to accept the terms: a card cannot be issued without them."))])
    marketing = BooleanField(_l("The customer agrees to receive offers and news (optional)"), default=False)
    idempotency_key = HiddenField()

    def validate(self, extra_validators: dict[str, list[object]] | None = None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.email.errors = [*self.email.errors, _l("Enter an e-mail or a phone number: at least one is needed.")]
            return False
        return valid
