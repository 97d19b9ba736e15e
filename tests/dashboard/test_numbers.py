"""Numbers read and written the way the page's language writes them (app.dashboard.numbers)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from app.dashboard.numbers import input_number, read_number
from app.formats import grouped


@pytest.mark.parametrize(("typed", "italian", "english"), [
    ("1,2", "1.2", "1.2"),  # a lone comma before one digit is a decimal comma in both
    ("1.2", "1.2", "1.2"),
    ("1.000", "1000", "1.000"),  # three digits after the language's grouping symbol: a thousand
    ("1,000", "1.000", "1000"),
    ("1.234,5", "1234.5", "1234.5"),  # both symbols: the last one is the decimal point
    ("1,234.5", "1234.5", "1234.5"),
    ("1.000.000", "1000000", "1000000"),
    (" 2 500 ", "2500", "2500"),
    ("-4", "-4", "-4"),
    ("0,0001", "0.0001", "0.0001"),
    ("1.00.0", None, None),  # groups that are not of three digits
    ("1,2,3", None, None),
    ("12 €", None, None),
    ("abc", None, None),
    ("", None, None),
])
def test_reading_numbers(typed: str, italian: str | None, english: str | None) -> None:
    for locale, expected in (("it", italian), ("en", english)):
        number = read_number(typed, locale)
        assert (None if number is None else str(number)) == (None if expected is None else str(Decimal(expected))), locale


@pytest.mark.parametrize(("language", "field", "display"), [("it", "1,25", "1.234"), ("en", "1.25", "1,234")])
def test_writing_numbers_in_the_pages_language(app: Flask, language: str, field: str, display: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert input_number(Decimal("1.25")) == field and input_number(2000) == "2000"  # an input: never grouped
        assert grouped(1234) == display  # display text: grouped
        assert input_number(Decimal("0.0001")).endswith("0001") and input_number(None) == ""
