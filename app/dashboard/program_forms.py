"""Reading the program editor's forms: each value checked with a sentence for the owner, kept
as typed when wrong so the page shows it again beside its message."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from app.input_guard import unstorable
from app.loyalty.errors import LoyaltyError

HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")
MONTH_DAY_RE = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class Form:
    """The posted values (`raw`), what parsed (`values`) and a message per field (`errors`)."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def get(self, name: str) -> str:
        return str(self.raw.get(name, "")).strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, *, max_length: int, required: bool = False) -> str | None:
        value = self.get(name)
        if required and not value:
            self.fail(name, _("This cannot be empty."))
        elif unstorable(value):
            self.fail(name, _("This contains a character that is not allowed (such as a NUL)."))
        elif len(value) > max_length:
            self.fail(name, _("At most %(count)d characters, please (now %(now)d).", count=max_length, now=len(value)))
        else:
            return value
        return None

    def choice(self, name: str, options: tuple[str, ...]) -> str | None:
        value = self.get(name)
        if value not in options:
            self.fail(name, _("Choose one of the options."))
            return None
        return value

    def integer(self, name: str, low: int, high: int, *, optional: bool = False) -> int | None:
        value = self.get(name)
        if optional and value == "":
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.fail(name, _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
            return None
        return number

    def decimal(self, name: str, low: Decimal, high: Decimal) -> str | None:
        value = self.get(name).replace(",", ".")  # an Italian keyboard types 1,5
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not low <= number <= high or -number.as_tuple().exponent > 4:  # type: ignore[operator]
            self.fail(name, _("Enter a number from %(low)s to %(high)s, such as 1.5.", low=low, high=high))
            return None
        return format(number.normalize(), "f")

    def color(self, name: str, *, optional: bool = False) -> str | None:
        value = self.get(name)
        if optional and value == "":
            return None
        if match := HEX_RE.match(value):
            return "#" + match.group(1).lower()
        self.fail(name, _("Enter a colour as # and six hex digits, such as #1f3a5f."))
        return None

    def month_day(self, name: str) -> str | None:
        value = self.get(name)
        if not MONTH_DAY_RE.match(value):
            self.fail(name, _("Enter the day as MM-DD, such as 12-31."))
            return None
        return value

    def domain_error(self, exc: LoyaltyError, fields: Mapping[str, str] | None = None) -> None:
        """A refusal from the loyalty rules, beside the field it names (renamed via `fields`)."""
        field = exc.field or "form"
        field = (fields or {}).get(field, field)
        self.fail(field, exc.message)


def color_form_fields(form: Form) -> dict[str, str]:
    colors = {}
    for which in ("background", "foreground", "label"):
        value = form.color(f"{which}_color")
        if value is not None:
            colors[which] = value
    return colors


def locale_default() -> str:
    """The language a new program starts in: the page's own (the owner's), else Italian."""
    locale = get_locale()
    language = locale.language if locale is not None else "it"
    return language if language in ("it", "en") else "it"


DOMAIN_FIELDS = {
    "colors.background": "background_color",
    "colors.foreground": "foreground_color",
    "colors.label": "label_color",
}
