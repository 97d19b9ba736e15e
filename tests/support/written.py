"""Dates as a reader expects them on a card or a page, worked out without the code under test."""
from __future__ import annotations

from datetime import date

MONTHS = {
    "it": ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def written_day(day: date, language: str) -> str:
    """"8 nov 2026" / "8 Nov 2026"."""
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"


def italian_on(day: date) -> str:
    """"il 23 dic 2026", but "l'8 nov 2026" and "l'11 nov 2026" (said otto, undici)."""
    return ("l'" if day.day in (8, 11) else "il ") + written_day(day, "it")
