"""The shop's page: its name and its own time zone, which is its calendar everywhere.

One installation (TIMEZONE=Europe/Rome here) can serve shops in other zones: a shop in Lisbon
(UTC+0 in winter, +1 in summer) counts its days, birthdays and deadlines from Lisbon's midnight,
and its pages show Lisbon's times, while a shop that keeps the installation's zone is unchanged."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.extensions import db
from app.loyalty.figures import program_figures
from app.models import ApiKey, Card, LedgerEntry, Merchant, Program
from tests.conftest import Api, new_merchant
from tests.dashboard.accounts_support import OWNER, add_login, login
from tests.dashboard.test_timezone import rome  # noqa: F401 (the fixture: an app with TIMEZONE=Europe/Rome)

UTC = timezone.utc
LISBON = "lisbon@loja.example"


@pytest.fixture
def shops(rome: Flask) -> Iterator[tuple[Api, Api]]:  # noqa: F811 (the fixture imported above)
    """Caffè Rossi keeps the installation's zone; Loja Lisboa is set to Europe/Lisbon."""
    runner = rome.test_cli_runner()
    rossi = Api(rome.test_client(), new_merchant(runner, "Caffè Rossi", OWNER))
    result = runner.invoke(args=["create-merchant", "Loja Lisboa", "--email", LISBON, "--password",
                                 "correct horse battery", "--timezone", "Europe/Lisbon"])
    assert result.exit_code == 0, result.output
    key = runner.invoke(args=["create-api-key", "--email", LISBON]).output.strip().splitlines()[-1]
    yield rossi, Api(rome.test_client(), key)


def _merchant(email_domain: str) -> Merchant:
    db.session.expire_all()
    merchant = db.session.scalar(select(Merchant).where(Merchant.name.contains(email_domain)))
    assert merchant is not None
    return merchant


def _program(shop: Api, **rules: object) -> int:
    response = shop.post("/programs", {"name": "Club", **rules})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def _join(shop: Api, program_id: int, name: str, **fields: object) -> int:
    response = shop.post(f"/programs/{program_id}/members", {
        "name": name, "email": f"{name.lower()}@example.com", "consent": {"terms": True}, **fields})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def _bonuses(member_id: int) -> int:
    return int(db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.member_id == member_id, LedgerEntry.kind == "bonus")) or 0)


def test_each_shop_gets_birthdays_on_its_own_day(rome: Flask, shops: tuple[Api, Api]) -> None:  # noqa: F811
    rossi, lisboa = shops
    in_rome = _join(rossi, _program(rossi, birthday_bonus=10), "Anna", birthday="1990-05-15")
    in_lisbon = _join(lisboa, _program(lisboa, birthday_bonus=10), "Joana", birthday="1990-05-15")
    runner = rome.test_cli_runner()
    # 22:30 UTC on 14 May: 00:30 on the 15th in Rome, still 23:30 on the 14th in Lisbon.
    result = runner.invoke(args=["run-schedules", "--now", "2030-05-14T22:30:00Z", "--only", "birthdays"])
    assert result.output.strip() == "birthdays: 1 bonuses given"
    assert (_bonuses(in_rome), _bonuses(in_lisbon)) == (1, 0)
    # An hour later Lisbon's day has come too.
    result = runner.invoke(args=["run-schedules", "--now", "2030-05-14T23:30:00Z", "--only", "birthdays"])
    assert result.output.strip() == "birthdays: 1 bonuses given"
    assert (_bonuses(in_rome), _bonuses(in_lisbon)) == (1, 1)


def test_each_shop_counts_its_figures_in_its_own_days(shops: tuple[Api, Api]) -> None:
    rossi, lisboa = shops
    now = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)  # 00:30 on the 16th in Rome, 23:30 on the 15th in Lisbon
    figures = {name: program_figures(db.session.get_one(Program, _program(shop)), 7, now)
               for name, shop in (("rome", rossi), ("lisbon", lisboa))}
    assert (figures["rome"].timezone, figures["rome"].last.isoformat()) == ("Europe/Rome", "2026-01-16")
    assert (figures["lisbon"].timezone, figures["lisbon"].last.isoformat()) == ("Europe/Lisbon", "2026-01-15")


def test_the_owner_sets_the_zone_and_every_card_follows(rome: Flask, shops: tuple[Api, Api]) -> None:  # noqa: F811
    rossi, _ = shops
    program_id = _program(rossi)
    member_id = _join(rossi, program_id, "Anna")
    before = db.session.scalar(select(Card.version).where(Card.member_id == member_id))
    key = db.session.scalar(select(ApiKey).join(Merchant, Merchant.id == ApiKey.merchant_id)
                            .where(Merchant.name == "Caffè Rossi"))
    assert key is not None
    key.last_used_at = datetime(2030, 7, 2, 3, 4, tzinfo=UTC)
    db.session.commit()
    client: FlaskClient = rome.test_client()
    login(client, OWNER)
    page = client.get("/dashboard/shop").get_data(as_text=True)
    assert '<a href="/dashboard/shop" aria-current="page">' in page
    assert '<option selected value="">As the installation: Europe/Rome</option>' in page

    response = client.post("/dashboard/shop", data={"shop": "Caffè Rossi & Figli", "timezone": "Europe/Lisbon"})
    assert response.status_code == 302
    merchant = _merchant("Rossi")
    assert (merchant.name, merchant.timezone) == ("Caffè Rossi & Figli", "Europe/Lisbon")
    assert '<option selected value="Europe/Lisbon">' in client.get("/dashboard/shop").get_data(as_text=True)
    # The pages speak Lisbon's time (UTC+1 in July; Rome's would say 05:04) and say so.
    page = client.get("/dashboard/api-keys").get_data(as_text=True)
    assert "2 Jul 2030, 04:04" in page and "Times are in the shop's time zone, Europe/Lisbon." in page
    # The dates on the cards follow the calendar: every card was changed, to be fetched again.
    db.session.expire_all()
    assert db.session.scalar(select(Card.version).where(Card.member_id == member_id)) == before + 1
    # Saving the same zone again changes no card.
    client.post("/dashboard/shop", data={"shop": "Caffè Rossi & Figli", "timezone": "Europe/Lisbon"})
    db.session.expire_all()
    assert db.session.scalar(select(Card.version).where(Card.member_id == member_id)) == before + 1
    # Back to the installation's zone.
    client.post("/dashboard/shop", data={"shop": "Caffè Rossi & Figli", "timezone": ""})
    assert _merchant("Rossi").timezone is None


def test_mistakes_are_told_beside_the_fields_and_nothing_is_saved(rome: Flask, shops: tuple[Api, Api]) -> None:  # noqa: F811
    client = rome.test_client()
    login(client, OWNER)
    response = client.post("/dashboard/shop", data={"shop": " ", "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="shop-error"' in page and "Enter the shop" in page
    assert 'id="timezone-error"' in page and "Choose a time zone from the list." in page
    merchant = _merchant("Rossi")
    assert (merchant.name, merchant.timezone) == ("Caffè Rossi", None)


def test_only_owners_open_the_shop_page(rome: Flask, shops: tuple[Api, Api]) -> None:  # noqa: F811
    add_login("cassa@rossi.example")
    client = rome.test_client()
    login(client, "cassa@rossi.example")
    assert client.get("/dashboard/shop").status_code == 403
    assert client.post("/dashboard/shop", data={"shop": "Mine", "timezone": "UTC"}).status_code == 403
    assert _merchant("Rossi").timezone is None


def test_create_merchant_refuses_an_unknown_zone_in_one_line(rome: Flask) -> None:  # noqa: F811
    result = rome.test_cli_runner().invoke(args=["create-merchant", "Shop", "--email", "a@b.example", "--password",
                                                 "correct horse battery", "--timezone", "Europe/Atlantis"])
    assert result.exit_code != 0
    assert result.output.strip() == "Error: --timezone 'Europe/Atlantis' is not an IANA time zone such as Europe/Rome"
    assert db.session.scalar(select(func.count(Merchant.id))) == 0


def test_a_shop_in_the_installation_zone_is_unchanged(shops: tuple[Api, Api]) -> None:
    rossi, _ = shops
    db.session.execute(update(Merchant).values(timezone=None))
    db.session.commit()
    figures = program_figures(db.session.get_one(Program, _program(rossi)), 7, datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    assert figures.timezone == "Europe/Rome"


@pytest.mark.parametrize("name", ["localtime", "Factory", "CET", "Etc/GMT+5", "europe/rome"])
def test_only_area_and_place_zones_are_offered(rome: Flask, shops: tuple[Api, Api], name: str) -> None:  # noqa: F811
    """The machine's own "localtime", placeholders and bare offsets are not a shop's calendar."""
    client = rome.test_client()
    login(client, OWNER)
    page = client.get("/dashboard/shop").get_data(as_text=True)
    assert 'value="Europe/Rome"' in page and 'value="Atlantic/Canary"' in page and 'value="UTC"' in page
    assert f'value="{name}"' not in page
    response = client.post("/dashboard/shop", data={"shop": "Caffè Rossi", "timezone": name})
    assert response.status_code == 400 and 'id="timezone-error"' in response.get_data(as_text=True)
