"""The page's language: a signed-in staff member's choice, else the browser's when we speak it,
else the program's, else English."""
from __future__ import annotations

from flask import g, has_request_context, request
from flask_babel import Babel

LANGUAGES = ("it", "en")
babel = Babel()


def offered_language() -> str | None:
    """The best of our languages that the browser asks for (`it-IT` counts as `it`)."""
    return request.accept_languages.best_match(LANGUAGES)


def select_timezone() -> str | None:
    """A signed-in staff member's shop's own zone; None keeps TIMEZONE (BABEL_DEFAULT_TIMEZONE)."""
    return g.get("staff_timezone") if has_request_context() else None


def select_locale() -> str:
    if not has_request_context():  # a CLI command rendering text: the source language
        return "en"
    if (chosen := g.get("staff_locale")) in LANGUAGES:
        return str(chosen)
    program_locale = g.get("program_locale")
    return offered_language() or (program_locale if program_locale in LANGUAGES else "en")
