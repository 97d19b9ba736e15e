"""Calendar days of a shop's time zone: its own (`Merchant.timezone`), else the installation's
(the TIMEZONE setting).

Every date the loyalty rules use is a day of the shop's calendar: the day a birthday bonus is
given, the day points expire and the one the card names, the date a member joined, the day of a
figure. `shop_zone(program)` is that zone; `local_date`, `today` and `day_start` turn instants into
its days and back.

A period of N days is today in that zone and the N-1 days before it; it starts at local midnight.
A day is not always 24 hours: in Europe/Rome the last Sunday of March has 23 and the last Sunday
of October 25.

The database buckets a timestamp into its local day without a table of days and without Python
seeing the rows. Python (zoneinfo) works out the zone's UTC offset and the instants where it
changes within the period (none in UTC, two a year in Italy), and the SQL adds the offset that
was in force at that instant before taking the date:

    date(created_at + CASE WHEN created_at < :change THEN +1h ELSE +2h END)

That is one or two comparisons per row, the same on SQLite and PostgreSQL, and agrees by
construction with the period's first instant, which Python computed from the same zone data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, has_app_context
from sqlalchemy import case, func, literal

from app.extensions import db

if TYPE_CHECKING:
    from app.models import Program

UTC = timezone.utc


def zone(name: str | None = None) -> ZoneInfo:
    """The zone named `name`, else the installation's (UTC outside an application or when TIMEZONE is not set)."""
    if not name:
        name = current_app.config.get("TIMEZONE", "UTC") if has_app_context() else "UTC"
    return ZoneInfo(name or "UTC")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The zones a shop may choose from, sorted: UTC and every Area/Location the zone database
    knows (Europe/Rome, Atlantic/Canary...), not the machine's "localtime", "Factory", the
    Etc/GMT±N offsets or old aliases such as "CET"."""
    return tuple(sorted(name for name in available_timezones()
                        if name == "UTC" or ("/" in name and not name.startswith(("Etc/", "posix/", "right/")))))


def checked_zone(raw: str) -> str:
    """`raw` as a zone name a shop may use, or ValueError naming what is wrong."""
    name = raw.strip()
    if name not in zone_names():
        raise ValueError(f"{name!r} is not an IANA time zone such as Europe/Rome")
    return name


def shop_zone(program: Program) -> ZoneInfo:
    """The calendar of the shop running `program`: its merchant's zone, else the installation's."""
    return zone(program.merchant.timezone)


def local_date(instant: datetime, tz: ZoneInfo | None = None) -> date:
    """The calendar day `instant` falls on in `tz` (the installation's zone by default)."""
    return instant.astimezone(tz or zone()).date()


def today(now: datetime | None = None, tz: ZoneInfo | None = None) -> date:
    """Today in `tz` (the installation's zone by default); the day of `now`, if given."""
    return local_date(now or datetime.now(UTC), tz)


def day_start(day: date, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant `day` starts at in `tz` (the installation's zone by default)."""
    return midnight(day, tz or zone())


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in `tz`.

    Where the clocks jump over midnight, the day starts at the jump; where they go back over it,
    at the first midnight."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _offset(instant: datetime, tz: ZoneInfo) -> int:
    delta = instant.astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _change_within(lo: datetime, hi: datetime, tz: ZoneInfo) -> datetime:
    """The first instant of (lo, hi] at the offset of `hi`, to the second (the offsets at lo and hi differ)."""
    before = _offset(lo, tz)
    low, high = int(lo.timestamp()), int(hi.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(datetime.fromtimestamp(middle, UTC), tz) == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True)
class LocalDays:
    """The last `len(days)` calendar days in `tz`, today included, and how to bucket into them."""

    tz: ZoneInfo
    days: tuple[date, ...]
    start: datetime  # UTC instant of the first day's local midnight
    end: datetime  # UTC instant of the local midnight after the last day
    offsets: tuple[tuple[datetime | None, int], ...]  # (valid until, seconds east of UTC); last: None

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]

    @property
    def zone_name(self) -> str:
        return str(self.tz.key)

    def _shift(self, column: Any, value: Any) -> Any:
        """`value(seconds)` for the offset in force at `column`'s instant, as a SQL expression."""
        if len(self.offsets) == 1:
            return value(self.offsets[0][1])
        whens = [(column < until, value(seconds)) for until, seconds in self.offsets[:-1]]
        return case(*whens, else_=value(self.offsets[-1][1]))

    def day(self, column: Any) -> Any:
        """The local calendar day of a UTC timestamp column, computed by the database.

        PostgreSQL answers a date, SQLite the text 'YYYY-MM-DD': compare them with `key()`."""
        if db.session.get_bind().dialect.name == "postgresql":
            utc = func.timezone("UTC", column)  # timestamptz -> the UTC wall time
            if self.offsets == ((None, 0),):
                return func.date(utc)
            return func.date(utc + self._shift(column, lambda s: literal(timedelta(seconds=s))))
        if self.offsets == ((None, 0),):
            return func.date(column)  # SQLite keeps UTC text
        return func.date(column, self._shift(column, lambda s: literal(f"{s:+d} seconds")))


def key(value: Any) -> str:
    """A day from `LocalDays.day` (a date or 'YYYY-MM-DD...' text) as 'YYYY-MM-DD'."""
    return str(value)[:10]


def local_days(count: int, now: datetime, tz: ZoneInfo | None = None) -> LocalDays:
    """The `count` local days ending today (the local day of `now`)."""
    tz = tz or zone()
    today = now.astimezone(tz).date()
    days = tuple(today - timedelta(days=count - 1 - i) for i in range(count))
    bounds = [midnight(d, tz) for d in days] + [midnight(today + timedelta(days=1), tz)]
    offsets: list[tuple[datetime | None, int]] = []
    for lo, hi in zip(bounds, bounds[1:]):
        if _offset(lo, tz) != _offset(hi, tz):
            offsets.append((_change_within(lo, hi, tz), _offset(lo, tz)))
    offsets.append((None, _offset(bounds[-1], tz)))
    return LocalDays(tz, days, bounds[0], bounds[-1], tuple(offsets))
