from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskCliRunner

from app.models._common import utcnow
from tests.conftest import Api, new_merchant


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


def _weekend(**extra: Any) -> dict[str, Any]:
    return {"name": "Double weekend", "multiplier": "2", "starts_at": _iso(timedelta(hours=-1)),
            "ends_at": _iso(timedelta(days=2)), **extra}


def test_create_list_and_delete(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    created = owner.post(f"/programs/{program['id']}/campaigns", _weekend())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["name"], body["multiplier"], body["status"], body["program_id"]) == ("Double weekend", "2", "running",
                                                                                      program["id"])
    later = owner.post(f"/programs/{program['id']}/campaigns", _weekend(
        name="Summer", multiplier=1.5, starts_at="2099-06-01T09:00:00+02:00", ends_at="2099-06-30T21:00:00Z"))
    assert later.status_code == 201
    assert (later.get_json()["starts_at"], later.get_json()["status"]) == ("2099-06-01T07:00:00Z", "scheduled")
    listed = owner.get(f"/programs/{program['id']}/campaigns").get_json()["items"]
    assert [c["name"] for c in listed] == ["Summer", "Double weekend"]
    earned = owner.post(f"/members/{member['id']}/transactions", {"amount": "10"}).get_json()
    assert earned["points"] == 20  # the running campaign doubles
    deleted = owner.client.delete(f"/api/v1/campaigns/{body['id']}", headers={"Authorization": f"Bearer {owner.key}"})
    assert deleted.status_code == 200 and deleted.get_json()["id"] == body["id"]
    assert [c["name"] for c in owner.get(f"/programs/{program['id']}/campaigns").get_json()["items"]] == ["Summer"]
    assert owner.post(f"/members/{member['id']}/transactions", {"amount": "10"}).get_json()["points"] == 10
    history = owner.get(f"/members/{member['id']}/transactions").get_json()["items"]
    assert [h["points"] for h in history] == [10, 20]  # what was earned under it stays


def test_validation_names_the_field(owner: Api, program: dict[str, Any]) -> None:
    path = f"/programs/{program['id']}/campaigns"
    cases = {
        "multiplier": _weekend(multiplier="0.5"),
        "multiplier ": _weekend(multiplier="11"),
        "multiplier  ": _weekend(multiplier="abc"),
        "multiplier   ": _weekend(multiplier="1.234"),
        "starts_at": _weekend(starts_at="2099-06-01T09:00:00"),
        "starts_at ": _weekend(starts_at="2099-06-01"),
        "ends_at": _weekend(ends_at="tomorrow"),
        "ends_at ": _weekend(starts_at="2099-06-02T00:00:00Z", ends_at="2099-06-01T00:00:00Z"),
        "name": _weekend(name="  "),
    }
    for field, body in cases.items():
        response = owner.post(path, body)
        assert response.status_code == 422, (field, response.get_json())
        assert field.strip() in response.get_json()["error"]["message"], (field, response.get_json())
    missing = owner.post(path, {"name": "x"})
    assert missing.status_code == 422 and "multiplier" in missing.get_json()["error"]["message"]
    assert owner.post(path, "not an object").status_code == 400
    assert owner.get(f"/programs/{program['id']}/campaigns").get_json()["items"] == []


def test_owner_only_and_other_merchants_get_404(owner: Api, program: dict[str, Any], runner: FlaskCliRunner) -> None:
    campaign = owner.post(f"/programs/{program['id']}/campaigns", _weekend()).get_json()
    cashier = Api(owner.client, _cashier_key(runner))
    assert cashier.post(f"/programs/{program['id']}/campaigns", _weekend()).status_code == 403
    assert cashier.get(f"/programs/{program['id']}/campaigns").status_code == 200
    assert cashier.client.delete(f"/api/v1/campaigns/{campaign['id']}",
                                 headers={"Authorization": f"Bearer {cashier.key}"}).status_code == 403
    stranger = Api(owner.client, new_merchant(runner, "Bar Verdi", "owner@verdi.example"))
    assert stranger.get(f"/programs/{program['id']}/campaigns").status_code == 404
    assert stranger.post(f"/programs/{program['id']}/campaigns", _weekend()).status_code == 404
    gone = stranger.client.delete(f"/api/v1/campaigns/{campaign['id']}", headers={"Authorization": f"Bearer {stranger.key}"})
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "campaign_not_found"
    assert len(owner.get(f"/programs/{program['id']}/campaigns").get_json()["items"]) == 1


def _cashier_key(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]
