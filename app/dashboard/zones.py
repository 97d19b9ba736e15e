"""Time zones as people choose them: likely ones first, with names and offsets they recognise.

A shop's likely zones come from its languages (the browser's Accept-Language, its programs'
languages) and the browser's own zone, which a small script reads from
`Intl.DateTimeFormat().resolvedOptions().timeZone` into a hidden field. A language tag with a
region (de-AT) names its country; one without (it) the language's home country. A country's
zones come from the zone database's zone.tab; the first of them is its main one, except where
zone.tab lists a smaller place first (America/New_York, not America/Adak, for the US).

The stored value is always the IANA name; `checked_zone`'s list (`zone_names`) decides what is
allowed."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel import UnknownLocaleError
from babel.dates import get_timezone_location
from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from app.loyalty.days import zone_names

# The country a language without a region is most likely spoken in by a shop. English is left
# out: without a region it names no country.
LANGUAGE_COUNTRY = {
    "it": "IT", "de": "DE", "fr": "FR", "es": "ES", "pt": "PT", "nl": "NL", "el": "GR", "pl": "PL",
    "sv": "SE", "da": "DK", "fi": "FI", "nb": "NO", "nn": "NO", "no": "NO", "is": "IS", "cs": "CZ",
    "sk": "SK", "hu": "HU", "ro": "RO", "bg": "BG", "hr": "HR", "sl": "SI", "sr": "RS", "et": "EE",
    "lv": "LV", "lt": "LT", "mt": "MT", "ga": "IE", "uk": "UA", "ru": "RU", "tr": "TR", "ja": "JP",
    "ko": "KR", "zh": "CN", "he": "IL", "ar": "EG", "hi": "IN", "th": "TH", "vi": "VN", "id": "ID",
}
# Countries with several zones whose main one is not the first zone.tab lists.
MAIN_ZONE = {
    "US": "America/New_York", "CA": "America/Toronto", "BR": "America/Sao_Paulo", "AU": "Australia/Sydney",
    "RU": "Europe/Moscow", "MX": "America/Mexico_City", "AR": "America/Argentina/Buenos_Aires",
    "CN": "Asia/Shanghai", "ID": "Asia/Jakarta", "KZ": "Asia/Almaty", "CL": "America/Santiago",
    "PT": "Europe/Lisbon", "ES": "Europe/Madrid", "DE": "Europe/Berlin", "UA": "Europe/Kyiv",
}
LANGUAGES_READ = 3  # the browser's first few languages; later ones are rarely the shop's


@lru_cache(maxsize=1)
def _zone_tab() -> dict[str, tuple[str, ...]]:
    """Country code -> its zones, in zone.tab's order (only those a shop may choose)."""
    allowed = set(zone_names())
    countries: dict[str, list[str]] = {}
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, name = line.split("\t")[:3]
            if name in allowed:
                countries.setdefault(country, []).append(name)
    return {country: tuple(names) for country, names in countries.items()}


def country_zones(country: str) -> tuple[str, ...]:
    """The zones of `country` (ISO 3166 code), its main zone first."""
    names = _zone_tab().get(country.upper(), ())
    main = MAIN_ZONE.get(country.upper())
    return (main, *(n for n in names if n != main)) if main in names else names


def tag_country(tag: str) -> str | None:
    """The country a language tag names: its region (de-AT: AT), else its language's (it: IT)."""
    parts = tag.replace("_", "-").split("-")
    region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return region.upper() if region else LANGUAGE_COUNTRY.get(parts[0].lower())


def browser_languages() -> list[str]:
    """The request's Accept-Language tags, most wanted first."""
    return [tag for tag, quality in request.accept_languages if quality > 0 and tag != "*"][:LANGUAGES_READ]


def language_zone(tags: Iterable[str]) -> str | None:
    """The main zone of the first of `tags` that names a country with zones."""
    for tag in tags:
        zones = country_zones(tag_country(tag) or "")
        if zones:
            return zones[0]
    return None


def valid_zone(name: str | None) -> str | None:
    """`name` when it is a zone a shop may choose (what a browser reports may be an alias)."""
    return name if name and name in zone_names() else None


def default_zone(tags: Iterable[str], browser_zone: str | None) -> str | None:
    """A new shop's zone: the browser's own, else its languages' country's."""
    return valid_zone(browser_zone) or language_zone(tags)


def suggested_zones(tags: Iterable[str], *known: str | None) -> list[str]:
    """The zones of the countries `tags` name, after the `known` ones (the shop's and the browser's)."""
    found = [name for name in known if valid_zone(name)]
    for tag in tags:
        found.extend(country_zones(tag_country(tag) or ""))
    return [str(name) for name in dict.fromkeys(found)]


def zone_label(name: str, now: datetime | None = None, locale: str = "en") -> str:
    """"Europe/Rome (Roma, UTC+1)": the name that is stored, its city in the page's language (so
    the search finds "Roma" as well as "Rome") and today's offset, written as people write it
    (UTC+1, UTC+5:30, UTC-3), not as a clock time."""
    offset = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(name)).strftime("%z")
    hours, minutes = int(offset[1:3]), offset[3:]
    utc = "UTC" if offset[1:] == "0000" else f"UTC{offset[0]}{hours}" + (f":{minutes}" if minutes != "00" else "")
    if "/" not in name:
        return f"{name} ({utc})"
    return f"{name} ({city(name, locale)}, {utc})"


@lru_cache(maxsize=4096)
def city(name: str, locale: str) -> str:
    """The zone's city as the language writes it (CLDR: Roma, Lisbona), else as the name spells it."""
    try:
        return str(get_timezone_location(name, locale=locale, return_city=True))
    except (LookupError, ValueError, UnknownLocaleError):
        return name.rsplit("/", 1)[1].replace("_", " ")


def zone_choices(suggested: list[str], first: SelectChoice | None = None) -> dict[str, list[SelectChoice]]:
    """The picker's groups: the suggested zones (after `first`, if any), then all the others."""
    now = datetime.now(timezone.utc)
    head = [first] if first is not None else []
    language = str(get_locale() or "en")
    groups = {str(_l("Suggested")): head + [SelectChoice(n, zone_label(n, now, language)) for n in suggested]}
    groups[str(_l("Other time zones"))] = [SelectChoice(n, zone_label(n, now, language)) for n in zone_names()
                                           if n not in suggested]
    return {label: choices for label, choices in groups.items() if choices}
