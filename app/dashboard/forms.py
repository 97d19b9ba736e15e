"""Forms of the account pages: sign-in, password reset, first run, profile, shop, staff and API keys.

Messages are lazy so they render in the language chosen for the request."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.dashboard.zones import zone_choices
from app.input_guard import CleanForm
from app.loyalty.days import zone_names
from app.loyalty.enrollment import EMAIL_RE

MIN_PASSWORD = 10
MAX_PASSWORD = 200


def _email(form: FlaskForm, field: Field) -> None:
    value = (field.data or "").strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ValidationError(_l("Enter an e-mail address like name@example.com."))


def _email_field() -> EmailField:
    return EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter the e-mail address.")), _email])


def _name_field(label: object) -> StringField:
    return StringField(label, validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=80, message=_l("At most 80 characters."))])


def _new_password() -> PasswordField:
    return PasswordField(_l("New password"), validators=[
        DataRequired(message=_l("Enter a password.")),
        Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
               message=_l("Use between %(min)d and %(max)d characters.", min=MIN_PASSWORD, max=MAX_PASSWORD)),
    ])


def _confirm() -> PasswordField:
    return PasswordField(_l("New password again"), validators=[
        DataRequired(message=_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same.")),
    ])


def role_choices() -> list[SelectChoice]:
    return [SelectChoice("cashier", _l("Cashier: the till and member look-up")),
            SelectChoice("owner", _l("Owner: everything"))]


class LoginForm(CleanForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter your password.")), Length(max=MAX_PASSWORD)])


class LogoutForm(CleanForm):
    pass


class ForgotForm(CleanForm):
    email = _email_field()


class ResetForm(CleanForm):
    password = _new_password()
    confirm = _confirm()


def _zone(form: FlaskForm, field: Field) -> None:
    if field.data and field.data not in zone_names():
        raise ValidationError(_l("Choose a time zone from the list."))


def _zone_field() -> SelectField:
    # The options are zone names (Pago Pago, St Johns): a page translator must leave them alone.
    return SelectField(_l("Time zone"), validate_choice=False, validators=[_zone], default="",
                       render_kw={"translate": "no"})


class SetupForm(CleanForm):
    """The first run; the time zone is preselected from the browser's zone or its language."""

    shop = StringField(_l("Shop name"), validators=[
        DataRequired(message=_l("Enter the shop's name.")), Length(max=120, message=_l("At most 120 characters."))])
    timezone = _zone_field()
    browser_zone = HiddenField()  # filled by a script from the browser's own zone, when it runs
    name = _name_field(_l("Your name"))
    email = _email_field()
    password = _new_password()
    confirm = _confirm()

    def offer_zones(self, suggested: list[str]) -> None:
        self.timezone.choices = zone_choices(suggested)


class AcceptInviteForm(CleanForm):
    name = _name_field(_l("Your name"))
    password = _new_password()
    confirm = _confirm()


class ProfileForm(CleanForm):
    name = _name_field(_l("Name"))
    locale = SelectField(_l("Language"), choices=[
        SelectChoice("", _l("The browser's language")), SelectChoice("it", "Italiano", {"lang": "it"}),
        SelectChoice("en", "English", {"lang": "en"})], default="")


class ShopForm(CleanForm):
    """The shop's name and its time zone ("" keeps the installation's)."""

    shop = StringField(_l("Shop name"), validators=[
        DataRequired(message=_l("Enter the shop's name.")), Length(max=120, message=_l("At most 120 characters."))])
    timezone = _zone_field()

    def offer_zones(self, installation_zone: str, suggested: list[str]) -> None:
        installation = SelectChoice("", _l("As the installation: %(zone)s", zone=installation_zone))
        self.timezone.choices = zone_choices(suggested, first=installation)


class PasswordForm(CleanForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Enter your current password.")), Length(max=MAX_PASSWORD)])
    password = _new_password()
    confirm = _confirm()


class InviteForm(CleanForm):
    email = _email_field()
    name = _name_field(_l("Name"))
    role = SelectField(_l("Role"), choices=role_choices, default="cashier")


class RoleForm(CleanForm):
    role = SelectField(_l("Role"), choices=role_choices)


class ActionForm(CleanForm):
    """A button that changes something: only the CSRF token travels."""


class ApiKeyForm(CleanForm):
    label = StringField(_l("Label"), validators=[
        DataRequired(message=_l("Name the key after what will use it, e.g. “till app”.")),
        Length(max=120, message=_l("At most 120 characters."))])
    role = SelectField(_l("Role"), choices=[
        SelectChoice("cashier", _l("Cashier: earn and redeem at the till")), SelectChoice("owner", _l("Owner: everything"))],
        default="cashier")
