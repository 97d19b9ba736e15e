"""The demo shop `make run` seeds is an Italian café throughout: its zone, tiers, rewards and
ledger, with the demo login unchanged."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from app.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from app.extensions import db
from app.loyalty.rewards import rewards_of
from app.models import LedgerEntry, Member, Merchant, Program


def test_the_demo_shop_is_italian(client: FlaskClient) -> None:
    seeded = seed_demo()
    db.session.commit()
    assert seeded is not None and (seeded.email, seeded.password) == ("demo@tessera.local", "tessera-demo")
    merchant = db.session.get(Merchant, seeded.merchant_id)
    assert merchant is not None and merchant.timezone == "Europe/Rome"
    program = db.session.scalars(select(Program)).one()
    assert program.slug == "caffe-rossi" and program.locale == "it"
    assert [(t.name, t.min_points) for t in program.tiers] == [("Bronzo", 0), ("Argento", 500), ("Oro", 1500)]
    assert [(r.name, r.cost, r.active) for r in rewards_of(program)] == [
        ("Caffè omaggio", 100, True), ("Colazione omaggio", 250, True), ("Torta della casa", 600, True)]
    member = db.session.scalars(select(Member)).one()
    assert member.tier == "Bronzo"
    assert [e.reason for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member.id))] == [
        "Acquisti di benvenuto"]
    signed_in = client.post("/dashboard/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    assert '<option selected value="Europe/Rome">' in client.get("/dashboard/shop").get_data(as_text=True)
    rewards = client.get(f"/dashboard/programs/{program.id}/rewards").get_data(as_text=True)
    assert "Caffè omaggio" in rewards and "Colazione omaggio" in rewards
