"""One way to write dates, times and numbers per language, on every page, e-mail and card.

Italian: `8 nov 2026`, `8 nov 2026, 14:05`, `14:05`, `12.345`.
English: `8 Nov 2026`, `8 Nov 2026, 14:05`, `14:05`, `12,345`.

Pages and e-mails use the Jinja filters `date`, `datetime`, `time` and `number`, registered once
by `init_app`; they follow the page's language and the shop's time zone (Flask-Babel's locale and
timezone selectors). Card texts use `card_date` and `card_number_text` with the program's language,
because a card is rendered for a phone, not for the page that happens to be open.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.numbers import format_decimal as babel_decimal
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale
from markupsafe import Markup

DATE = "d MMM y"
TIME = "HH:mm"
DATETIME = f"{DATE}, {TIME}"
NUMBER = "#,##0"
SIGNED = "+#,##0;-#,##0"

# Italian drops the article's vowel before a number said with a vowel: l'8, dall'11, all'80.
_ELIDED = {"il": "l'", "dal": "dall'", "al": "all'", "del": "dell'", "nel": "nell'", "sul": "sull'"}
_BEFORE_VOWEL_NUMBER = re.compile(
    r"\b(il|dal|al|del|nel|sul) (?=8|11(?!\d)|11[.\u202f\u00a0]\d{3}(?!\d))", re.IGNORECASE
)


def page_date(value: date | datetime | None) -> str:
    """A day, `8 nov 2026`; an instant is first moved to the shop's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, DATE)
    return format_date(value, DATE)


def page_datetime(value: datetime | None) -> str:
    return "" if value is None else format_datetime(value, DATETIME)


def page_time(value: datetime | time | None) -> str:
    return "" if value is None else format_time(value, TIME)


def grouped(value: int | float | None, sign: bool = False) -> str:
    """`12.345` in Italian, `12,345` in English; `sign` writes +1.000 and -20."""
    if value is None:
        return ""
    return format_decimal(value, SIGNED if sign else NUMBER)


def elide(text: str, locale: str | None = None) -> str:
    """Italian `dal 8 nov` becomes `dall'8 nov` (and il/al/del/nel/sul likewise); other languages
    are left alone. Markup stays Markup: only an apostrophe is added."""
    if (locale or str(get_locale())) != "it":
        return text
    elided = _BEFORE_VOWEL_NUMBER.sub(lambda m: _keep_case(m.group(1), _ELIDED[m.group(1).lower()]), str(text))
    return Markup(elided) if isinstance(text, Markup) else elided


def _keep_case(word: str, replacement: str) -> str:
    return replacement[0].upper() + replacement[1:] if word[0].isupper() else replacement


def card_date(day: date, locale: str) -> str:
    """A day written on a card in the program's language, in the page style."""
    return babel_date(day, DATE, locale=locale)


def card_number_text(value: int, locale: str) -> str:
    """A figure inside a card's text, grouped the program language's way."""
    return babel_decimal(value, NUMBER, locale=locale)


def card_date_value(moment: datetime, zone: ZoneInfo) -> str:
    """An instant as a W3C date-time in the shop's zone, for a card field Wallet formats itself:
    the offset keeps the local day the same on a phone in another zone."""
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


FILTERS: dict[str, Any] = {
    "date": page_date,
    "datetime": page_datetime,
    "time": page_time,
    "number": grouped,
    "elide": elide,
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
