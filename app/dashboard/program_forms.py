"""Reading the program editor's forms: each value checked with a sentence for the owner, kept
as typed when wrong so the page shows it again beside its message."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from app.dashboard.numbers import input_number, read_number
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
        """A whole number typed the page's way: `1.000` is a thousand on an Italian page."""
        value = self.get(name)
        if optional and value == "":
            return None
        number = read_number(value)
        limits = {"low": input_number(low), "high": input_number(high)}  # as they are typed
        if number is None and value:
            self.fail(name, _("“%(typed)s” is not a number: enter a whole number from %(low)s to %(high)s.",
                              typed=value, **limits))
        elif number is None:
            self.fail(name, _("Enter a whole number from %(low)s to %(high)s.", **limits))
        elif number != number.to_integral_value():
            self.fail(name, _("Enter a whole number, without decimals, from %(low)s to %(high)s.", **limits))
        elif not low <= number <= high:
            self.fail(name, _("Enter a whole number from %(low)s to %(high)s.", **limits))
        else:
            return int(number)
        return None

    def decimal(self, name: str, low: Decimal, high: Decimal, places: int = 4) -> str | None:
        """A decimal number typed the page's way (`1,5` in Italian, `1.5` in English), returned as
        the API writes it ("1.5")."""
        value = self.get(name)
        number = read_number(value)
        limits = {"low": input_number(low), "high": input_number(high), "example": input_number(Decimal("1.5"))}
        if number is None and value:
            self.fail(name, _("“%(typed)s” is not a number: enter a number from %(low)s to %(high)s, "
                              "such as %(example)s.", typed=value, **limits))
        elif number is None:
            self.fail(name, _("Enter a number from %(low)s to %(high)s, such as %(example)s.", **limits))
        elif -number.normalize().as_tuple().exponent > places:  # type: ignore[operator]
            self.fail(name, _("At most %(places)d decimal places, please.", places=places))
        elif not low <= number <= high:
            self.fail(name, _("Enter a number from %(low)s to %(high)s, such as %(example)s.", **limits))
        else:
            return format(number.normalize(), "f")
        return None

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


BLANK_ROWS = 2  # empty rows a list offers to fill in without JavaScript
MORE_ROWS = 3  # added by the "more rows" button


def row_count(form: Form, name: str, most: int) -> int:
    """How many rows the posted list had (its hidden counter), at most `most`."""
    try:
        return max(0, min(int(form.get(name) or 0), most))
    except ValueError:
        return 0


def wants_more_rows(form: Form) -> bool:
    """The "more rows" button: show the list again with empty rows, saving nothing."""
    return bool(form.get("more_rows"))
