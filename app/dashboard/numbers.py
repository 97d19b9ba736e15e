"""Numbers as people type and read them in a language: Italian `1.234,5`, English `1,234.5`.

One reading serves the till's amounts and the program editor's fields, and one writing puts a
saved number back in an input the way it was typed, so `1,2` stays `1,2` on an Italian page."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale

SEPARATORS = ".,"


def _symbols(locale: Locale | str) -> tuple[str, str]:
    return get_decimal_symbol(locale), get_group_symbol(locale)


def page_locale() -> Locale:
    return get_locale() or Locale("en")


def _grouped(text: str, group: str) -> str | None:
    """`1.234.567` with `group` "." to `1234567`; None when the groups are not of three digits."""
    if re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+", text):
        return text.replace(group, "")
    return None


def _split(text: str, group_symbol: str) -> tuple[str, str] | None:
    """The whole and decimal digits of `text`, which holds only digits and separators.

    Both separators: the last one is the decimal point and the other groups thousands. One
    separator: it groups thousands when it appears several times, or once before exactly three
    digits and it is the language's grouping symbol (`1.000` in Italian, `1,000` in English);
    otherwise it is the decimal point, whichever it is (`1.5` on an Italian page is one and a half)."""
    used = {c for c in text if c in SEPARATORS}
    if not used:
        return text, ""
    if len(used) == 2:
        point = text[max(text.rfind(","), text.rfind("."))]
        whole, decimals = text.rsplit(point, 1)
        other = "," if point == "." else "."
        digits = _grouped(whole, other) if other in whole else whole
        return (digits, decimals) if digits is not None and decimals.isdigit() else None
    (sep,) = used
    if text.count(sep) > 1 or (sep == group_symbol and re.fullmatch(rf"\d{{1,3}}{re.escape(sep)}\d{{3}}", text)):
        digits = _grouped(text, sep)
        return (digits, "") if digits is not None else None
    whole, decimals = text.split(sep)
    return (whole or "0", decimals) if decimals.isdigit() and (whole == "" or whole.isdigit()) else None


def read_number(raw: str, locale: Locale | str | None = None) -> Decimal | None:
    """The number typed, read the way `locale` (the page's language) writes it; None if it is none."""
    text = re.sub(r"\s+", "", raw or "")
    sign = "-" if text.startswith("-") else ""
    text = text[1:] if text[:1] in "+-" else text
    if not text or not re.fullmatch(r"[\d.,]+", text):
        return None
    parts = _split(text, _symbols(locale or page_locale())[1])
    if parts is None:
        return None
    try:
        return Decimal(f"{sign}{parts[0]}.{parts[1]}" if parts[1] else f"{sign}{parts[0]}")
    except InvalidOperation:
        return None


def input_number(value: Decimal | int | str | None) -> str:
    """A saved number as the page's language types it in an input: `1,2` in Italian, no grouping."""
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(str(value)), locale=page_locale(), group_separator=False,
                          decimal_quantization=False)

