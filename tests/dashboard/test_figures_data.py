"""A program with a known history, for the figures tests: who joined when and where, what they
earned and spent, which cards came and went on phones. Every expected number is written out in
EXPECTED so a test compares against arithmetic done by hand, not by the code under test."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll
from app.models import (
    CardEvent,
    Device,
    LedgerEntry,
    Location,
    Member,
    Program,
    Registration,
    Reward,
    RewardCode,
    StaffUser,
)
from app.models._common import utcnow
from app.security import hash_password

PASSWORD = "correct horse battery"


def login(client: FlaskClient, email: str) -> None:
    response = client.post("/dashboard/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def add_staff(of_email: str, email: str, role: str = "cashier") -> str:
    owner = db.session.scalar(select(StaffUser).where(StaffUser.email == of_email))
    assert owner is not None
    db.session.add(StaffUser(merchant_id=owner.merchant_id, email=email, password_hash=hash_password(PASSWORD),
                             role=role, name="Luca"))
    db.session.commit()
    return email


def at(days_ago: int, hour: int = 10, today: date | None = None) -> datetime:
    day = (today or utcnow().date()) - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


@dataclass
class Built:
    program: Program
    members: dict[str, Member]
    locations: dict[str, Location]


class Builder:
    def __init__(self, program: Program, today: date) -> None:
        self.program = program
        self.today = today
        self.members: dict[str, Member] = {}

    def member(self, key: str, days_ago: int, location: Location | None = None) -> Member:
        member = enroll(self.program, Applicant(name=f"Member {key}", email=f"{key.lower()}-{self.program.id}@example.com",
                                                terms=True, location_id=location.id if location else None))
        member.created_at = at(days_ago, today=self.today)
        self.members[key] = member
        return member

    def entry(self, key: str, kind: str, points: int, days_ago: int, hour: int = 10) -> LedgerEntry:
        member = self.members[key]
        row = LedgerEntry(merchant_id=member.merchant_id, member_id=member.id, kind=kind, points=points,
                          balance_after=0, created_at=at(days_ago, hour, self.today))
        db.session.add(row)
        return row

    def event(self, key: str, kind: str, days_ago: int) -> None:
        member = self.members[key]
        db.session.add(CardEvent(program_id=self.program.id, card_id=member.card.id, kind=kind,
                                 created_at=at(days_ago, today=self.today)))


def _location(program: Program, name: str, code: str) -> Location:
    location = Location(program_id=program.id, name=name, code=code)
    db.session.add(location)
    db.session.flush()
    return location


def build(program_id: int, today: date | None = None) -> Built:
    """The history of EXPECTED, for the program `program_id` (tiers Bronze from 0, Gold from 1000)."""
    today = today or utcnow().date()
    program = db.session.get(Program, program_id)
    assert program is not None
    cassa, vetrina = _location(program, "Cassa", "cassa"), _location(program, "Vetrina", "vetrina")
    _location(program, "Magazzino", "magazzino")  # a poster nobody scanned yet
    b = Builder(program, today)
    b.member("A", 10, cassa)  # joined before the 7 days
    b.member("B", 3, cassa)
    b.member("C", 3)
    b.member("D", 0, cassa)
    b.member("E", 1, vetrina)
    b.member("F", 2).erased_at = at(1, today=today)  # came, then asked to be forgotten
    b.members["D"].tier = "Gold"
    b.entry("A", "earn", 10, 9)
    b.entry("A", "earn", 20, 5)
    b.entry("A", "earn", 30, 2)  # a second day of earning within the period: a repeat visit
    b.entry("B", "earn", 50, 3)
    b.entry("B", "earn", 5, 3, hour=15)  # twice on one day is still one visit
    b.entry("B", "redeem", -40, 1)
    reward_entry = b.entry("B", "reward", -10, 1)
    b.entry("C", "bonus", 100, 3)  # active, but a bonus is not a visit
    b.entry("E", "earn", 10, 8)
    b.entry("E", "expire", -5, 1)  # an expiry does not make anyone active
    for key, kind, days_ago in (("B", "installed", 3), ("C", "installed", 3), ("D", "installed", 0),
                                ("B", "removed", 1), ("A", "removed", 10)):
        b.event(key, kind, days_ago)
    coffee = Reward(program_id=program.id, name="Caffè gratis", cost=10)
    db.session.add_all([coffee, Reward(program_id=program.id, name="Cornetto", cost=30)])
    db.session.flush()
    db.session.add_all([
        RewardCode(reward_id=coffee.id, member_id=b.members["B"].id, ledger_entry_id=reward_entry.id, code="CAFFE-1",
                   status="used", issued_at=at(1, today=today), used_at=at(0, today=today)),
        RewardCode(reward_id=coffee.id, member_id=b.members["A"].id, code="CAFFE-0", status="used",
                   issued_at=at(9, today=today), used_at=at(8, today=today)),
    ])
    phone, tablet = Device(library_identifier=f"phone-{program.id}", push_token="t1"), \
        Device(library_identifier=f"tablet-{program.id}", push_token="t2")
    db.session.add_all([phone, tablet])
    db.session.flush()
    db.session.add_all([Registration(device_id=phone.id, card_id=b.members["B"].card.id),
                        Registration(device_id=tablet.id, card_id=b.members["B"].card.id),
                        Registration(device_id=phone.id, card_id=b.members["C"].card.id)])
    db.session.commit()
    return Built(program, b.members, {"cassa": cassa, "vetrina": vetrina})


# Over the last 7 days (days_ago 6..0). Worked out by hand from build() above.
EXPECTED: dict[str, Any] = {
    "enrolments": {3: 2, 2: 1, 1: 1, 0: 1},  # B C, F, E, D
    "installed": {3: 2, 0: 1},
    "removed": {1: 1},
    "active": {5: 1, 3: 2, 2: 1, 1: 1},  # A; B C; A; B (E's expiry is not activity)
    "issued": {5: 20, 3: 155, 2: 30},
    "redeemed": {1: 50},
    "members": 5,  # A B C D E: F was erased
    "cards_on_phones": 2,  # B (on two devices) and C
    "points_outstanding": 170,  # A 60, B 5, C 100, E 5
    "active_members": 3,  # A B C
    "repeat_members": 1,  # A
    "tiers": [("Bronze", 4), ("Gold", 1)],
    "rewards": [("Caffè gratis", 1, 1), ("Cornetto", 0, 0)],
    "locations": [("Cassa", 2), ("Magazzino", 0), ("Vetrina", 1), (None, 2)],  # B D; -; E; C F
}
