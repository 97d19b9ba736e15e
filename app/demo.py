"""The demo shop that `make run` seeds into an empty database."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.cli import create_merchant
from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll
from app.loyalty.ledger import post
from app.loyalty.programs import create_program
from app.models import Merchant

DEMO_EMAIL = "demo@tessera.local"
DEMO_PASSWORD = "tessera-demo"


@dataclass(frozen=True)
class Seeded:
    email: str
    password: str
    merchant_id: int


def seed_demo() -> Seeded | None:
    if db.session.scalar(select(Merchant.id).limit(1)) is not None:
        return None
    merchant = create_merchant("Caffè Rossi", DEMO_EMAIL, DEMO_PASSWORD)
    program = create_program(
        merchant,
        {
            "name": "Caffè Rossi Club",
            "slug": "caffe-rossi",
            "organization_name": "Caffè Rossi",
            "points_label": "Punti",
            "locale": "it",
            "colors": {"background": "#5b2c1a", "foreground": "#fff8ef", "label": "#f2c98a"},
            "tiers": [
                {"name": "Bronze", "min_points": 0},
                {"name": "Silver", "min_points": 500},
                {"name": "Gold", "min_points": 1500},
            ],
            "terms": "1 punto per ogni euro speso. I punti scadono dopo 12 mesi senza acquisti.",
            "contact": "Via Roma 1, Bologna · ciao@caffe-rossi.example",
        },
    )
    member = enroll(program, Applicant(name="Giulia Bianchi", email="giulia@example.com", terms=True, source="demo"))
    post(member, 320, reason="Welcome purchases")
    return Seeded(DEMO_EMAIL, DEMO_PASSWORD, merchant.id)
