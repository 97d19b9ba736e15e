"""The rules tab: earning, the tiers list (rows added and removed in one save), tier basis,
downgrades, expiry, referrals, stamp cards; numbers typed and shown the page's way."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Card, CardSweep, Member, OutboxJob, Program, Reward, StaffUser
from tests.conftest import Api
from tests.dashboard.members_helpers import login
from tests.dashboard.test_programs import OWNER, error_beside


def rules_form(client: FlaskClient, program_id: int) -> dict[str, str]:
    """The form as the page fills it in, read back from its inputs and selects."""
    page = client.get(f"/dashboard/programs/{program_id}/rules").get_data(as_text=True)
    form = {m.group(1): m.group(2) for m in re.finditer(r'<input type="(?:text|number|hidden)"(?: id="[^"]*")? name="([^"]+)" value="([^"]*)"', page)
            if "__i__" not in m.group(1)}
    form["tier_count"] = re.search(r'name="tier_count" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        form[name] = re.search(r'<option value="([^"]*)" selected', body).group(1)  # type: ignore[union-attr]
    form.pop("csrf_token", None)
    return form


@pytest.fixture
def club(owner: Api, program: dict[str, Any], client: FlaskClient) -> Program:
    login(client, OWNER)
    row = db.session.get(Program, program["id"])
    assert row is not None
    return row


def test_the_page_shows_the_rules_and_tiers(club: Program, client: FlaskClient) -> None:
    form = rules_form(client, club.id)
    assert form["earn_rate"] == "1" and form["rounding"] == "down"
    assert (form["tier-0-name"], form["tier-1-name"], form["tier-1-min_points"]) == ("Bronze", "Gold", "1000")
    assert form["tier-2-name"] == form["tier-3-name"] == "" and form["tier_count"] == "4"  # empty rows to add tiers


def test_saving_rules_changes_the_program(club: Program, client: FlaskClient) -> None:
    form = rules_form(client, club.id)
    form.update({"earn_rate": "1,5", "rounding": "nearest", "welcome_bonus": "50", "birthday_bonus": "20",
                 "tier-1-multiplier": "1.5", "tier-1-background": "#B8860B",
                 "tier-2-name": "Platinum", "tier-2-min_points": "5000",
                 "tier_basis": "rolling", "tier_window_days": "365", "downgrade_policy": "scheduled",
                 "downgrade_grace_days": "30", "expiry_policy": "fixed_date", "expiry_date": "12-31",
                 "expiry_warning_days": "14", "referrer_bonus": "100", "referee_bonus": "50",
                 "referral_monthly_limit": "5"})
    response = client.post(f"/dashboard/programs/{club.id}/rules", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert club.earn_rate == Decimal("1.5") and club.rounding == "nearest" and club.welcome_bonus == 50
    assert [(t.name, t.min_points, t.multiplier, t.background_color) for t in club.tiers] == [
        ("Bronze", 0, Decimal(1), None), ("Gold", 1000, Decimal("1.5"), "#b8860b"), ("Platinum", 5000, Decimal(1), None)]
    assert (club.tier_basis, club.tier_window_days, club.downgrade_policy, club.downgrade_grace_days) == (
        "rolling", 365, "scheduled", 30)
    assert (club.expiry_policy, club.expiry_date, club.expiry_warning_days) == ("fixed_date", "12-31", 14)
    assert (club.referrer_bonus, club.referee_bonus, club.referral_monthly_limit) == (100, 50, 5)


def test_removing_a_tier(club: Program, client: FlaskClient) -> None:
    form = rules_form(client, club.id)
    form["tier-1-remove"] = "1"
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    db.session.expire_all()
    assert [t.name for t in club.tiers] == ["Bronze"]


def test_an_unchanged_save_pushes_nothing(club: Program, member: dict[str, Any], client: FlaskClient) -> None:
    version = club.version
    response = client.post(f"/dashboard/programs/{club.id}/rules", data=rules_form(client, club.id),
                           follow_redirects=True)
    assert "Nothing to save" in response.get_data(as_text=True)
    db.session.expire_all()
    assert club.version == version and db.session.scalar(select(OutboxJob.id)) is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"earn_rate": "lots"}, "earn_rate", "such as 1.5"),
    ({"tier-1-name": "bronze"}, "tier-1-name", "same name"),
    ({"tier-1-min_points": "0"}, "tier-1-min_points", "same number of points"),
    ({"tier-1-multiplier": "50"}, "tier-1-multiplier", "0.1 to 10"),
    ({"tier-0-foreground": "gold"}, "tier-0-foreground", "#1f3a5f"),
    ({"tier_basis": "rolling", "tier_window_days": ""}, "tier_window_days", "1 to 3650"),
    ({"expiry_policy": "inactivity", "expiry_days": ""}, "expiry_days", "1 to 3650"),
    ({"expiry_policy": "fixed_date", "expiry_date": "31-12"}, "expiry_date", "MM-DD"),
    ({"kind": "stamps", "stamps_required": "", "stamp_reward": "Caffè"}, "stamps_required", "2 to 50"),
    ({"referral_monthly_limit": "-1"}, "referral_monthly_limit", "0 to 1000"),
])
def test_bad_rules_are_told_beside_the_field(club: Program, client: FlaskClient, changes: dict[str, str],
                                             field: str, message: str) -> None:
    form = rules_form(client, club.id) | changes
    response = client.post(f"/dashboard/programs/{club.id}/rules", data=form)
    assert response.status_code == 422
    assert message in error_beside(response.get_data(as_text=True), field)
    db.session.expire_all()
    assert club.tier_basis == "lifetime" and club.kind == "points" and [t.name for t in club.tiers] == ["Bronze", "Gold"]


def test_a_stamp_card(club: Program, client: FlaskClient) -> None:
    form = rules_form(client, club.id) | {"kind": "stamps", "stamps_required": "8", "stamp_reward": "Un caffè"}
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    db.session.expire_all()
    assert (club.kind, club.stamps_required, club.stamp_reward) == ("stamps", 8, "Un caffè")


def as_italian() -> None:
    db.session.execute(update(StaffUser).values(locale="it"))
    db.session.commit()


def tiers_of(club: Program) -> list[tuple[str, int]]:
    db.session.expire_all()
    return [(t.name, t.min_points) for t in club.tiers]


def test_two_tiers_added_and_one_removed_in_one_save(club: Program, owner: Api, member: dict[str, Any],
                                                      client: FlaskClient) -> None:
    owner.post(f"/members/{member['id']}/transactions", {"points": 1500})
    version, card_version = club.version, db.session.scalar(select(Card.version))
    sweeps = db.session.scalar(select(func.count(CardSweep.id)))
    form = rules_form(client, club.id) | {"tier-1-remove": "1", "tier-2-name": "Silver", "tier-2-min_points": "500",
                                          "tier-3-name": "Platinum", "tier-3-min_points": "5000"}
    response = client.post(f"/dashboard/programs/{club.id}/rules", data=form, follow_redirects=True)
    assert "1 card will update" in response.get_data(as_text=True)
    assert tiers_of(club) == [("Bronze", 0), ("Silver", 500), ("Platinum", 5000)]
    # One save: the program's version moves once, one sweep, each card once.
    assert club.version == version + 1 and db.session.scalar(select(func.count(CardSweep.id))) == sweeps + 1
    assert db.session.scalar(select(Card.version)) == card_version + 1
    # The member held Gold, which is gone: placed in the tier 1500 points reach now.
    assert db.session.scalar(select(Member.tier)) == "Silver"
    page = client.get(f"/dashboard/programs/{club.id}/rules").get_data(as_text=True)
    assert 'name="tier_count" value="5"' in page and 'value="Platinum"' in page


def test_a_renamed_tier_keeps_its_members_and_rewards(club: Program, owner: Api, member: dict[str, Any],
                                                      client: FlaskClient) -> None:
    owner.post(f"/members/{member['id']}/transactions", {"points": 1500})
    owner.post(f"/programs/{club.id}/rewards", {"name": "Torta", "cost": 500, "min_tier": "Gold"})
    form = rules_form(client, club.id) | {"tier-1-name": "Oro"}
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    assert tiers_of(club) == [("Bronze", 0), ("Oro", 1000)]
    assert db.session.scalar(select(Member.tier)) == "Oro" and db.session.scalar(select(Reward.min_tier)) == "Oro"


def test_one_bad_tier_row_saves_nothing(club: Program, client: FlaskClient) -> None:
    version = club.version
    form = rules_form(client, club.id) | {"tier-0-remove": "1", "tier-2-name": "Silver", "tier-2-min_points": "500",
                                          "tier-3-name": "Platinum", "tier-3-min_points": "5.000,5"}
    response = client.post(f"/dashboard/programs/{club.id}/rules", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "without decimals" in error_beside(page, "tier-3-min_points")
    assert 'id="tier-2-min_points-error"' not in page and 'value="Silver"' in page  # the good row as typed
    assert tiers_of(club) == [("Bronze", 0), ("Gold", 1000)] and club.version == version


def test_more_rows_without_javascript_keeps_what_was_typed(club: Program, client: FlaskClient) -> None:
    form = rules_form(client, club.id) | {"tier-2-name": "Silver", "tier-2-min_points": "lots", "more_rows": "1"}
    response = client.post(f"/dashboard/programs/{club.id}/rules", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="tier_count" value="7"' in page and 'id="tier-6-name"' in page
    assert 'value="Silver"' in page and 'value="lots"' in page and 'class="error"' not in page
    assert tiers_of(club) == [("Bronze", 0), ("Gold", 1000)]


def test_italian_numbers_come_back_with_a_comma(club: Program, client: FlaskClient) -> None:
    as_italian()
    form = rules_form(client, club.id)
    assert form["earn_rate"] == "1" and form["tier-1-min_points"] == "1000"
    form |= {"earn_rate": "1,2", "tier-1-multiplier": "1,25", "tier-1-min_points": "2.000", "welcome_bonus": "1.000"}
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    db.session.expire_all()
    assert (club.earn_rate, club.welcome_bonus, club.tiers[1].min_points, club.tiers[1].multiplier) == (
        Decimal("1.2"), 1000, 2000, Decimal("1.25"))
    again = rules_form(client, club.id)
    assert (again["earn_rate"], again["tier-1-multiplier"], again["welcome_bonus"]) == ("1,2", "1,25", "1000")
    bad = client.post(f"/dashboard/programs/{club.id}/rules", data=again | {"earn_rate": "uno", "tier-1-multiplier": "50"})
    page = bad.get_data(as_text=True)
    assert "“uno” non è un numero" in error_beside(page, "earn_rate") and "per esempio 1,5" in error_beside(page, "earn_rate")
    assert "da 0,1 a 10" in error_beside(page, "tier-1-multiplier")


def test_english_numbers_come_back_with_a_point(club: Program, client: FlaskClient) -> None:
    form = rules_form(client, club.id) | {"earn_rate": "1.2", "tier-1-multiplier": "1.5", "welcome_bonus": "1,000"}
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    db.session.expire_all()
    assert (club.earn_rate, club.welcome_bonus) == (Decimal("1.2"), 1000)
    again = rules_form(client, club.id)
    assert (again["earn_rate"], again["tier-1-multiplier"], again["welcome_bonus"]) == ("1.2", "1.5", "1000")
    assert 'inputmode="decimal"' in client.get(f"/dashboard/programs/{club.id}/rules").get_data(as_text=True)


def test_a_member_locked_in_a_removed_tier_is_placed_by_their_points(club: Program, owner: Api, member: dict[str, Any],
                                                                    client: FlaskClient) -> None:
    locked = owner.client.put(f"/api/v1/members/{member['id']}/tier", json={"tier": "Gold", "tier_locked": True},
                              headers={"Authorization": f"Bearer {owner.key}"})
    assert locked.status_code == 200, locked.get_json()
    form = rules_form(client, club.id) | {"tier-1-remove": "1"}
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.execute(select(Member.tier, Member.tier_locked)).one() == ("Bronze", False)
    assert owner.get(f"/members/{member['id']}").get_json()["tier"] == "Bronze"


def test_a_tier_renamed_to_the_name_of_a_removed_one(club: Program, owner: Api, member: dict[str, Any],
                                                     client: FlaskClient) -> None:
    """Gold removed and Bronze renamed Gold: Bronze's members are in the new Gold, and Gold's
    members, whose tier is gone, are placed by their points like everyone else."""
    owner.post(f"/members/{member['id']}/transactions", {"points": 1500})
    newcomer = owner.post(f"/programs/{club.id}/members", {"name": "Luca", "email": "luca@example.com",
                                                           "consent": {"terms": True, "marketing": False}}).get_json()
    owner.post(f"/members/{newcomer['id']}/transactions", {"points": 10})
    form = rules_form(client, club.id) | {"tier-1-remove": "1", "tier-0-name": "Gold", "tier-2-name": "Platinum",
                                          "tier-2-min_points": "1200"}
    assert client.post(f"/dashboard/programs/{club.id}/rules", data=form).status_code == 302
    assert tiers_of(club) == [("Gold", 0), ("Platinum", 1200)]
    tiers = {member_id: tier for member_id, tier in db.session.execute(select(Member.id, Member.tier))}
    assert tiers == {member["id"]: "Platinum", newcomer["id"]: "Gold"}
