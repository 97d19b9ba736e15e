"""The demo shop that `make run` seeds into an empty database: an Italian café, Italian throughout
(its time zone, tiers, rewards and ledger), with an English login so anyone can try it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.cli import create_merchant
from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll
from app.loyalty.ledger import post
from app.loyalty.programs import create_program
from app.loyalty.rewards import create_reward
from app.models import Merchant

DEMO_EMAIL = "demo@tessera.local"
DEMO_PASSWORD = "tessera-demo"
DEMO_TIMEZONE = "Europe/Rome"
DEMO_TIERS = (("Bronzo", 0), ("Argento", 500), ("Oro", 1500))
DEMO_REWARDS = (("Caffè omaggio", 100, "Un espresso o un caffè americano, offerto da noi."),
                ("Colazione omaggio", 250, "Cappuccino e cornetto a scelta."),
                ("Torta della casa", 600, "Una fetta della torta del giorno."))


@dataclass(frozen=True)
class Seeded:
    email: str
    password: str
    merchant_id: int


def seed_demo() -> Seeded | None:
    if db.session.scalar(select(Merchant.id).limit(1)) is not None:
        return None
    merchant = create_merchant("Caffè Rossi", DEMO_EMAIL, DEMO_PASSWORD, timezone=DEMO_TIMEZONE)
    program = create_program(
        merchant,
        {
            "name": "Caffè Rossi Club",
            "slug": "caffe-rossi",
            "organization_name": "Caffè Rossi",
            "points_label": "Punti",
            "locale": "it",
            "colors": {"background": "#5b2c1a", "foreground": "#fff8ef", "label": "#f2c98a"},
            "tiers": [{"name": name, "min_points": points} for name, points in DEMO_TIERS],
            "terms": "1 punto per ogni euro speso. I punti scadono dopo 12 mesi senza acquisti.",
            "contact": "Via Roma 1, Bologna · ciao@caffe-rossi.example",
        },
    )
    for name, cost, description in DEMO_REWARDS:
        create_reward(program, {"name": name, "cost": cost, "description": description})
    member = enroll(program, Applicant(name="Giulia Bianchi", email="giulia@example.com", terms=True, source="demo"))
    post(member, 320, reason="Acquisti di benvenuto")
    return Seeded(DEMO_EMAIL, DEMO_PASSWORD, merchant.id)
