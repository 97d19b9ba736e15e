"""Staff logins: invitations by e-mail, roles, deactivation; owners only, one merchant at a time."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.dashboard.staff import _other_active_owners
from app.models._common import utcnow
from tests.conftest import Api, new_merchant
from tests.dashboard.accounts_support import OWNER, add_login, link_in, login, mail_to_inbox, staff

NEW = "a brand new secret"


def _invite(client: FlaskClient, email: str, name: str = "Luca Verdi", role: str = "cashier") -> Any:
    return client.post("/dashboard/staff", data={"email": email, "name": name, "role": role})


def _row(page: str, email: str) -> str:
    found = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(email)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, page
    return found.group(0)


def test_the_list_shows_each_login_with_its_status(owner: Api, client: FlaskClient) -> None:
    add_login("cassa@rossi.example", name="Luca")
    add_login("gone@rossi.example", active=False)
    add_login("pending@rossi.example", invited_at=utcnow())
    login(client, OWNER)
    page = client.get("/dashboard/staff").get_data(as_text=True)
    owner_row = _row(page, OWNER)
    assert "active" in owner_row and "you" in owner_row  # signed in just now:
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d</td>", owner_row)
    assert "Luca" in _row(page, "cassa@rossi.example") and "never" in _row(page, "cassa@rossi.example")
    assert "deactivated" in _row(page, "gone@rossi.example") and "Reactivate" in _row(page, "gone@rossi.example")
    assert "invited" in _row(page, "pending@rossi.example")
    assert "Resend invitation" in _row(page, "pending@rossi.example")
    assert "Deactivate" not in owner_row  # no button to lock oneself out


def test_an_invitation_is_mailed_and_accepted(app: Flask, owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    with mail_to_inbox(app) as inbox:
        response = _invite(client, "Luca@Rossi.example")
        recipients, message = inbox.next()
    assert response.status_code == 302
    assert recipients == ["luca@rossi.example"] and "Caffè Rossi" in message["Subject"]
    path = link_in(message, "invite")
    assert "7 days" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "invited" in _row(client.get("/dashboard/staff").get_data(as_text=True), "luca@rossi.example")

    invitee = app.test_client()
    form = invitee.get(path).get_data(as_text=True)
    assert "Caffè Rossi" in form and 'value="Luca Verdi"' in form and "a cashier" in form
    done = invitee.post(path, data={"name": "Luca V.", "password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert invitee.get("/dashboard/profile").status_code == 200
    row = staff("luca@rossi.example")
    assert row.invited_at is None and row.name == "Luca V." and row.role == "cashier"
    assert invitee.get(path).status_code == 400  # used
    assert "active" in _row(client.get("/dashboard/staff").get_data(as_text=True), "luca@rossi.example")


def test_resending_an_invitation_voids_the_earlier_link(app: Flask, owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    with mail_to_inbox(app) as inbox:
        _invite(client, "luca@rossi.example", role="owner")
        first = link_in(inbox.next()[1], "invite")
        response = client.post(f"/dashboard/staff/{staff('luca@rossi.example').id}/resend")
        second = link_in(inbox.next()[1], "invite")
    assert response.status_code == 302
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_invitation_mistakes_are_told_beside_the_fields(owner: Api, client: FlaskClient,
                                                        runner: FlaskCliRunner) -> None:
    new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    login(client, OWNER)
    for taken in (OWNER, "BOSS@verdi.example"):  # any login, of this merchant or another
        page = _invite(client, taken).get_data(as_text=True)
        assert 'id="email-error"' in page and "already exists" in page and 'value="Luca Verdi"' in page
    page = _invite(client, "bad", name="", role="admin").get_data(as_text=True)
    for field in ("email", "name", "role"):
        assert f'id="{field}-error"' in page
    assert staff(OWNER).merchant.staff == [staff(OWNER)]  # nobody was added


def test_without_email_the_owner_gets_the_link_to_hand_over(app: Flask, owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    page = client.get(_invite(client, "luca@rossi.example").headers["Location"]).get_data(as_text=True)
    assert "could not be sent" in page
    found = re.search(r"http://tessera\.test(/dashboard/invite/[A-Za-z0-9_.\-]+)", page)
    assert found and app.test_client().get(found.group(1)).status_code == 200


def test_roles_change_and_a_cashier_loses_owner_pages(app: Flask, owner: Api, client: FlaskClient) -> None:
    other = add_login("second@rossi.example", role="owner")
    login(client, OWNER)
    second = app.test_client()
    login(second, "second@rossi.example")
    assert second.get("/dashboard/staff").status_code == 200
    assert client.post(f"/dashboard/staff/{other.id}/role", data={"role": "cashier"}).status_code == 302
    assert staff("second@rossi.example").role == "cashier"
    assert second.get("/dashboard/staff").status_code == 403
    client.post(f"/dashboard/staff/{other.id}/role", data={"role": "owner"})
    assert staff("second@rossi.example").role == "owner"


def test_deactivation_signs_out_and_reactivation_lets_back_in(app: Flask, owner: Api, client: FlaskClient) -> None:
    cashier = add_login("cassa@rossi.example")
    login(client, OWNER)
    till = app.test_client()
    login(till, "cassa@rossi.example")
    assert client.post(f"/dashboard/staff/{cashier.id}/deactivate").status_code == 302
    assert not staff("cassa@rossi.example").active
    assert till.get("/dashboard/profile").status_code == 302
    assert "deactivated" in login(till, "cassa@rossi.example").get_data(as_text=True)
    client.post(f"/dashboard/staff/{cashier.id}/reactivate")
    assert staff("cassa@rossi.example").active
    assert login(till, "cassa@rossi.example").status_code == 302


def test_an_owner_cannot_demote_or_deactivate_themself(owner: Api, client: FlaskClient) -> None:
    login(client, OWNER)
    me = staff(OWNER).id
    response = client.post(f"/dashboard/staff/{me}/role", data={"role": "cashier"}, follow_redirects=True)
    assert "cannot demote or deactivate yourself" in response.get_data(as_text=True)
    response = client.post(f"/dashboard/staff/{me}/deactivate", follow_redirects=True)
    assert "cannot demote or deactivate yourself" in response.get_data(as_text=True)
    assert staff(OWNER).role == "owner" and staff(OWNER).active


def test_only_accepted_active_owners_count_as_the_shop_s_owner(owner: Api) -> None:
    """The rule behind every demotion and deactivation: invited, deactivated and cashier logins
    do not keep the shop running."""
    add_login("pending@rossi.example", role="owner", invited_at=utcnow())
    add_login("gone@rossi.example", role="owner", active=False)
    add_login("cassa@rossi.example", role="cashier")
    assert _other_active_owners(staff(OWNER)) == 0
    add_login("second@rossi.example", role="owner")
    assert _other_active_owners(staff(OWNER)) == 1
    assert _other_active_owners(staff("second@rossi.example")) == 1


@pytest.mark.parametrize("action", ["resend", "role", "deactivate", "reactivate"])
def test_another_merchants_login_is_not_found(owner: Api, client: FlaskClient, runner: FlaskCliRunner,
                                              action: str) -> None:
    new_merchant(runner, "Pizzeria Verdi", "boss@verdi.example")
    theirs = add_login("cassa@verdi.example", of="boss@verdi.example", invited_at=utcnow())
    login(client, OWNER)
    response = client.post(f"/dashboard/staff/{theirs.id}/{action}", data={"role": "owner"})
    assert response.status_code == 404
    row = staff("cassa@verdi.example")
    assert row.role == "cashier" and row.active
    assert "cassa@verdi.example" not in client.get("/dashboard/staff").get_data(as_text=True)


def test_a_cashier_is_refused_every_staff_page(owner: Api, client: FlaskClient) -> None:
    cashier = add_login("cassa@rossi.example")
    login(client, "cassa@rossi.example")
    assert client.get("/dashboard/staff").status_code == 403
    assert _invite(client, "new@rossi.example").status_code == 403
    me = staff(OWNER).id
    for action in ("resend", "role", "deactivate", "reactivate"):
        assert client.post(f"/dashboard/staff/{me}/{action}", data={"role": "cashier"}).status_code == 403
    assert staff(OWNER).role == "owner" and staff(OWNER).active and cashier.role == "cashier"


def test_signed_out_the_staff_page_asks_to_sign_in(owner: Api, client: FlaskClient) -> None:
    assert client.get("/dashboard/staff").headers["Location"] == "/dashboard/login?next=/dashboard/staff"


def test_an_unknown_role_is_refused(owner: Api, client: FlaskClient) -> None:
    cashier = add_login("cassa@rossi.example")
    login(client, OWNER)
    response = client.post(f"/dashboard/staff/{cashier.id}/role", data={"role": "admin"}, follow_redirects=True)
    assert "Choose owner or cashier." in response.get_data(as_text=True)
    assert staff("cassa@rossi.example").role == "cashier"
