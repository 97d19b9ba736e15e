"""Members in and out of a program as CSV.

Import checks every row on its own (a bad row is reported by its line and skipped, the good ones
are kept) and writes good rows in batches with multi-row INSERTs: members, cards, consents and,
for a balance, one `adjust` ledger entry "Imported balance". The tier comes from the file when it
names one of the program's tiers, else from the imported balance; either way it is stored as the
member's tier without going through earning, so no upgrade events fire for history. Imported
members get no welcome bonus and no `member.enrolled` webhook: they joined before.

Export streams members in id order, a batch at a time, with their balance as `points`. Cells are
written and read through csv_cells, so a spreadsheet never runs one and an export imports unchanged.
"""
from __future__ import annotations

import csv
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import func, insert, select

from app.digits import digits
from app.extensions import db
from app.loyalty.csv_cells import read_cell
from app.loyalty.days import local_date
from app.loyalty.enrollment import PHONE_RE, REFERRAL_ALPHABET, new_card_number, normalize_email
from app.loyalty.errors import InvalidValue
from app.loyalty.tiers import TierRule, tier_for
from app.models import Card, ConsentEvent, LedgerEntry, Member, Program
from app.models._common import random_token, utcnow

COLUMNS = ("name", "email", "phone", "birthday", "points", "tier", "marketing_consent", "created_at")
REQUIRED = ("name", "email")
BATCH = 1000
MAX_BALANCE = 100_000_000
IMPORTED_REASON = "Imported balance"
TRUE = {"true", "yes", "y", "1", "si", "sì", "x"}
FALSE = {"false", "no", "n", "0", ""}


def records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on, each cell as csv_cells reads it; blank lines are
    passed over."""
    reader = csv.reader(lines)
    last = 0
    for values in reader:
        start, last = last + 1, reader.line_num
        if values and any(v.strip() for v in values):
            yield start, [read_cell(v) for v in values]


class BadRow(ValueError):
    """A row that cannot be imported; the message says why."""


def check_header(header: Sequence[str]) -> list[str]:
    """The header's column names, or InvalidValue in one sentence naming what is wrong."""
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise InvalidValue(f"unknown column(s) in the header: {', '.join(unknown)} (known: {', '.join(COLUMNS)})",
                           field="header")
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise InvalidValue(f"column(s) named twice in the header: {', '.join(doubled)}", field="header")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise InvalidValue(f"the header lacks the column(s): {', '.join(missing)}", field="header")
    return names


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str
    email: str
    phone: str | None
    birthday: date | None
    points: int
    tier: str | None
    marketing: bool
    created_at: datetime
    note: str | None = None


def _name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise BadRow("name is empty")
    if len(name) > 100:
        raise BadRow("name is longer than 100 characters")
    return name


def _email(raw: str) -> str:
    try:
        return normalize_email(raw)
    except InvalidValue:
        raise BadRow(f"email {raw.strip()!r} is not a valid e-mail address") from None


def _phone(raw: str) -> str | None:
    phone = raw.strip()
    if phone and not PHONE_RE.match(phone):
        raise BadRow(f"phone {phone!r} is not a valid phone number")
    return phone or None


def _birthday(raw: str, today: date) -> date | None:
    if not raw.strip():
        return None
    try:
        born = date.fromisoformat(raw.strip())
    except ValueError:
        raise BadRow(f"birthday {raw.strip()!r} is not a date as YYYY-MM-DD") from None
    if not date(1900, 1, 1) <= born <= today:
        raise BadRow(f"birthday {born.isoformat()} is not a past date after 1900")
    return born


def _points(raw: str) -> int:
    text = raw.strip()
    if not text:
        return 0
    if not digits(text):
        raise BadRow(f"points {text!r} is not a whole number of 0 or more")
    if int(text) > MAX_BALANCE:
        raise BadRow(f"points {text} is more than {MAX_BALANCE}")
    return int(text)


def _consent(raw: str) -> bool:
    text = raw.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise BadRow(f"marketing_consent {raw.strip()!r} is not true or false")


def _created_at(raw: str, now: datetime) -> datetime:
    text = raw.strip()
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), time())
        except ValueError:
            raise BadRow(f"created_at {text!r} is not a date or an ISO 8601 date and time") from None
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    if moment > now:
        raise BadRow(f"created_at {text} is in the future")
    return moment


def _tier(raw: str, points: int, rules: Sequence[TierRule]) -> tuple[str | None, str | None]:
    """The tier named in the file when it is one of the program's, else the one the balance reaches;
    and a note when a named tier had to be replaced."""
    wanted = raw.strip()
    named = next((r.name for r in rules if r.name.casefold() == wanted.casefold()), None) if wanted else None
    reached = tier_for(points, rules)
    computed = reached.name if reached else None
    if wanted and named is None:
        return computed, f"tier {wanted!r} is not a tier of the program; {computed or 'no tier'} from the points instead"
    return named or computed, None


def parse_row(line: int, values: dict[str, str], rules: Sequence[TierRule], now: datetime) -> ImportRow:
    """One CSV record as a member to write, or BadRow with the reason."""
    points = _points(values.get("points", ""))
    tier, note = _tier(values.get("tier", ""), points, rules)
    return ImportRow(
        line=line,
        name=_name(values.get("name", "")),
        email=_email(values.get("email", "")),
        phone=_phone(values.get("phone", "")),
        birthday=_birthday(values.get("birthday", ""), local_date(now)),
        points=points,
        tier=tier,
        marketing=_consent(values.get("marketing_consent", "")),
        created_at=_created_at(values.get("created_at", ""), now),
        note=note,
    )


def _fresh(column: Any, make: Callable[[], str], count: int) -> list[str]:
    """`count` new values of a unique column: drawn at random, clashes (with the table or among
    themselves) drawn again, one query a round."""
    values = [make() for _ in range(count)]
    while True:
        taken = set(db.session.scalars(select(column).where(column.in_(values))))
        seen: set[str] = set()
        clashes = []
        for i, value in enumerate(values):
            if value in taken or value in seen:
                clashes.append(i)
            seen.add(value)
        if not clashes:
            return values
        for i in clashes:
            values[i] = make()


def _referral_code() -> str:
    # One random byte a letter, far cheaper than secrets.choice; 32 letters divide 256, so even.
    return "".join(REFERRAL_ALPHABET[b % len(REFERRAL_ALPHABET)] for b in secrets.token_bytes(8))


@dataclass
class MemberImport:
    """Rows go in one by one (`add`); `write` stores the pending batch. The caller commits after
    each `write`, and on an IntegrityError (someone enrolled the same e-mail meanwhile) rolls back
    and calls `write` again: the batch is re-checked against the table."""

    program: Program
    now: datetime = field(default_factory=utcnow)
    imported: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    pending: list[ImportRow] = field(default_factory=list)
    member_values: dict[str, Any] = field(default_factory=dict)  # the same on every member written, e.g. import_id
    _first_line: dict[str, int] = field(default_factory=dict)
    _rules: list[TierRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rules = [TierRule(t.name, t.min_points) for t in self.program.tiers]

    @property
    def skipped(self) -> int:
        return len(self.problems)

    @property
    def full(self) -> bool:
        return len(self.pending) >= BATCH

    def add(self, line: int, header: Sequence[str], values: Sequence[str]) -> None:
        if len(values) != len(header):
            self.problems.append((line, f"{len(values)} fields where the header has {len(header)}"))
            return
        try:
            row = parse_row(line, dict(zip(header, values, strict=True)), self._rules, self.now)
        except BadRow as exc:
            self.problems.append((line, str(exc)))
            return
        if (first := self._first_line.get(row.email)) is not None:
            self.problems.append((line, f"duplicate e-mail {row.email}, already on line {first}"))
            return
        self._first_line[row.email] = line
        if row.note:
            self.notes.append((line, row.note))
        self.pending.append(row)

    def _enrolled(self, rows: Sequence[ImportRow]) -> set[str]:
        emails = [r.email for r in rows]
        return set(db.session.scalars(
            select(Member.email).where(Member.program_id == self.program.id, Member.email.in_(emails))
        ))

    def write(self) -> int:
        """Store the pending rows (flushes, never commits); returns how many were written."""
        enrolled = self._enrolled(self.pending)
        rows = [r for r in self.pending if r.email not in enrolled]
        duplicates = [(r.line, f"duplicate e-mail {r.email}, already a member of the program")
                      for r in self.pending if r.email in enrolled]
        if rows:
            self._insert(rows)
        self.problems.extend(duplicates)
        self.imported += len(rows)
        self.pending = []
        return len(rows)

    def _insert(self, rows: Sequence[ImportRow]) -> None:
        program, version, now = self.program, f"terms-v{self.program.terms_version}", self.now
        codes = _fresh(Member.referral_code, _referral_code, len(rows))
        ids = db.session.scalars(
            insert(Member).returning(Member.id, sort_by_parameter_order=True),
            [{"merchant_id": program.merchant_id, "program_id": program.id, "name": r.name, "email": r.email,
              "phone": r.phone, "birthday": r.birthday, "consent_terms": True, "consent_marketing": r.marketing,
              "consent_version": version, "consent_at": now, "referral_code": code, "tier": r.tier,
              "tier_locked": False, "tier_changed_at": r.created_at if r.tier else None, "created_at": r.created_at,
              **self.member_values}
             for r, code in zip(rows, codes, strict=True)],
        ).all()
        numbers = _fresh(Card.card_number, new_card_number, len(rows))
        db.session.execute(insert(Card), [
            {"member_id": member_id, "program_id": program.id, "serial_number": secrets.token_hex(12),
             "card_number": number, "auth_token": random_token(32), "version": 1, "change_seq": 0,
             "modified_at": int(now.timestamp()), "voided": False, "created_at": now, "updated_at": now}
            for member_id, number in zip(ids, numbers, strict=True)
        ])
        db.session.execute(insert(ConsentEvent), [
            {"member_id": member_id, "kind": kind, "granted": granted, "text_version": version, "source": "import",
             "created_at": now}
            for member_id, r in zip(ids, rows, strict=True)
            for kind, granted in (("terms", True), ("marketing", r.marketing))
        ])
        balances = [
            {"merchant_id": program.merchant_id, "member_id": member_id, "kind": "adjust", "points": r.points,
             "reason": IMPORTED_REASON, "balance_after": r.points, "tier_after": r.tier, "created_at": now}
            for member_id, r in zip(ids, rows, strict=True) if r.points
        ]
        if balances:
            db.session.execute(insert(LedgerEntry), balances)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def export_rows(program: Program, batch: int | None = None) -> Iterator[list[str]]:
    """The header, then one row per current member (erased ones left out), `batch` at a time:
    two queries a batch (members after the last id seen, then their balances)."""
    batch = batch or BATCH
    yield list(COLUMNS)
    after = 0
    while True:
        members = db.session.execute(
            select(Member.id, Member.name, Member.email, Member.phone, Member.birthday, Member.tier,
                   Member.consent_marketing, Member.created_at)
            .where(Member.program_id == program.id, Member.erased_at.is_(None), Member.id > after)
            .order_by(Member.id).limit(batch)
        ).all()
        if not members:
            return
        ids = [m.id for m in members]
        balances = dict(db.session.execute(
            select(LedgerEntry.member_id, func.sum(LedgerEntry.points))
            .where(LedgerEntry.member_id.in_(ids)).group_by(LedgerEntry.member_id)
        ).all())
        for m in members:
            yield [m.name, m.email or "", m.phone or "", m.birthday.isoformat() if m.birthday else "",
                   str(int(balances.get(m.id) or 0)), m.tier or "", "true" if m.consent_marketing else "false",
                   _iso(m.created_at)]
        after = ids[-1]
