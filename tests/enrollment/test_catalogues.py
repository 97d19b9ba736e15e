"""The committed catalogues: complete, compiled from their .po, and covering every string used."""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import config as settings
from config import ROOT, ConfigError

TRANSLATIONS = ROOT / "app" / "translations"
LANGUAGES = ["it"]


def _po(language: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def _pairs(catalog):  # type: ignore[no-untyped-def]
    """msgid -> msgstr, plural forms as tuples (a .mo gives lists, a .po tuples)."""
    def plain(value):  # type: ignore[no-untyped-def]
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {plain(m.id): plain(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_the_mo_matches_the_po(language: str) -> None:
    po = _po(language)
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string)))]
    assert untranslated == []
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = read_mo(f)
    assert _pairs(mo) == _pairs(po), \
        f"run: pybabel compile -d app/translations  ({language} .mo is older than its .po)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_covers_every_string_in_the_code(language: str, tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "--no-location", "."], cwd=ROOT, check=True,
                   capture_output=True)
    with open(pot, "rb") as f:
        used = {m.id for m in read_po(io.BytesIO(f.read())) if m.id}
    known = {m.id for m in _po(language) if m.id}
    assert "Get my card" in used  # the extraction did read the join pages
    assert sorted(used - known) == [], "run the pybabel extract/update commands in the README"


@pytest.mark.parametrize(("env", "needle"), [
    ({"SMTP_HOST": "mail.example"}, "MAIL_FROM is required"),
    ({"MAIL_FROM": "nobody"}, "MAIL_FROM must be an e-mail address"),
    ({"SMTP_PORT": "99999"}, "SMTP_PORT"),
    ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
    ({"JOIN_RATE_LIMIT": "lots"}, "JOIN_RATE_LIMIT"),
    ({"RATELIMIT_STORAGE_URI": "ftp://x"}, "RATELIMIT_STORAGE_URI"),
])
def test_wrong_mail_or_rate_settings_name_the_variable(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        settings.TestingConfig({"SECRET_KEY": "k", **env})


def test_mail_and_rate_defaults() -> None:
    config = settings.TestingConfig({"SECRET_KEY": "k"})
    assert config.SMTP_HOST is None and config.SMTP_PORT == 587 and config.SMTP_STARTTLS is True
    assert config.RATELIMIT_STORAGE_URI == "memory://" and config.JOIN_RATE_LIMIT == "10 per minute"
    redis = settings.TestingConfig({"SECRET_KEY": "k", "RATELIMIT_STORAGE_URI": "redis://cache:6379/0"})
    assert redis.RATELIMIT_STORAGE_URI == "redis://cache:6379/0"


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
# A word, then the same word again with only a space or a comma, colon or semicolon between
# ("Authorization: Authorization:"); a full stop ends a sentence and may repeat a name.
REPEATED_WORD = re.compile(r"\b([^\W\d]\w*)[\s,;:]+\1\b", re.IGNORECASE)


def _texts(message):  # type: ignore[no-untyped-def]
    for value in (message.id, message.string):
        yield from (value if isinstance(value, (list, tuple)) else (value,))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_says_the_same_word_twice_in_a_row(language: str) -> None:
    repeated = [(text, hit.group(0)) for message in _po(language) if message.id for text in _texts(message)
                for hit in REPEATED_WORD.finditer(PLACEHOLDER.sub("…", text))]
    assert repeated == []


def test_the_repeated_word_check_finds_a_repetition() -> None:
    assert REPEATED_WORD.search("Inviala nell'intestazione Authorization: Authorization: Bearer")
    assert REPEATED_WORD.search("Dal dal 8 nov")
    assert not REPEATED_WORD.search(PLACEHOLDER.sub("…", "Balance %(balance)s · %(tier)s"))
    assert not REPEATED_WORD.search("all'API di Tessera. Tessera conserva")
