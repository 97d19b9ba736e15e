from __future__ import annotations

from typing import Any

from flask.testing import FlaskCliRunner

from tests.conftest import Api, new_merchant


def test_create_program_with_defaults(owner: Api) -> None:
    response = owner.post("/programs", {"name": "Caffè Rossi Club"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "caffe-rossi-club"
    assert body["organization_name"] == "Caffè Rossi"
    assert body["locale"] == "it"
    assert body["points_label"] == "Punti"
    assert body["enroll_url"] == "http://tessera.test/join/caffe-rossi-club"
    assert body["colors"]["background"].startswith("#")


def test_create_program_with_every_field(owner: Api) -> None:
    response = owner.post(
        "/programs",
        {
            "name": "Barber Club",
            "slug": "barber",
            "organization_name": "Barbiere Verdi",
            "points_label": "Points",
            "locale": "en",
            "colors": {"background": "rgb(10, 20, 30)", "foreground": "#FFFFFF", "label": "rgb(200,200,200)"},
            "tiers": [{"name": "Gold", "min_points": 1500}, {"name": "Bronze", "min_points": 0}],
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["colors"] == {"background": "#0a141e", "foreground": "#ffffff", "label": "#c8c8c8"}
    assert [t["name"] for t in body["tiers"]] == ["Bronze", "Gold"]
    assert body["locale"] == "en"


def test_slug_is_derived_uniquely_and_explicit_duplicates_conflict(owner: Api) -> None:
    assert owner.post("/programs", {"name": "Club"}).get_json()["slug"] == "club"
    assert owner.post("/programs", {"name": "Club"}).get_json()["slug"] == "club-2"
    response = owner.post("/programs", {"name": "Other", "slug": "club"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slug_taken"


def test_invalid_values_are_named(owner: Api) -> None:
    cases = [
        ({}, "name is required"),
        ({"name": "X", "locale": "de"}, "locale must be one of it, en"),
        ({"name": "X", "colors": {"background": "red"}}, "colors.background has the wrong format"),
        ({"name": "X", "colors": {"background": "rgb(300, 0, 0)"}}, "colors.background must be #rrggbb"),
        ({"name": "X", "tiers": [{"name": "A", "min_points": 0}, {"name": "a", "min_points": 5}]}, "appears twice"),
        ({"name": "X", "surprise": 1}, "unknown field surprise"),
        ({"name": 5}, "name must be a string"),
    ]
    for body, message in cases:
        response = owner.post("/programs", body)
        assert response.status_code == 422, body
        error = response.get_json()["error"]
        assert error["code"] == "invalid_value"
        assert message in error["message"], (body, error)


def test_patch_changes_fields_and_bumps_every_card(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    from app.extensions import db
    from app.models import Card

    before = db.session.get(Card, 1).version
    response = owner.patch(f"/programs/{program['id']}", {"colors": {"background": "#112233"}, "points_label": "Stelle"})
    assert response.status_code == 200
    assert response.get_json()["points_label"] == "Stelle"
    db.session.expire_all()
    assert db.session.get(Card, 1).version == before + 1
    assert owner.patch(f"/programs/{program['id']}", {}).status_code == 422


def test_programs_of_another_merchant_are_not_found(owner: Api, program: dict[str, Any], runner: FlaskCliRunner) -> None:
    other = Api(owner.client, new_merchant(runner, "Pizzeria", "boss@pizza.example"))
    for call in (
        other.get(f"/programs/{program['id']}"),
        other.patch(f"/programs/{program['id']}", {"name": "Mine"}),
        other.post(f"/programs/{program['id']}/messages", {"text": "hi"}),
        other.get(f"/programs/{program['id']}/members"),
        other.post(f"/programs/{program['id']}/members", {"name": "A", "email": "a@b.it", "consent": {"terms": True}}),
    ):
        assert call.status_code == 404
        assert call.get_json()["error"]["code"] == "program_not_found"
    assert other.get("/programs").get_json()["items"] == []


def test_cashier_cannot_manage_programs(owner: Api, program: dict[str, Any], runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-api-key", "--email", "owner@rossi.example", "--role", "cashier"])
    cashier = Api(owner.client, result.output.strip().splitlines()[-1])
    assert cashier.post("/programs", {"name": "X"}).status_code == 403
    assert cashier.patch(f"/programs/{program['id']}", {"name": "X"}).status_code == 403
    assert cashier.post(f"/programs/{program['id']}/messages", {"text": "x"}).status_code == 403
    assert cashier.get(f"/programs/{program['id']}").status_code == 200


def test_message_reaches_every_card(owner: Api, program: dict[str, Any], member: dict[str, Any]) -> None:
    response = owner.post(f"/programs/{program['id']}/messages", {"text": "Doppi punti sabato!"})
    assert response.status_code == 202
    assert response.get_json() == {"program_id": program["id"], "text": "Doppi punti sabato!", "cards": 1,
                                   "recipients": 1, "segment": {"type": "all"}}
    assert owner.get(f"/programs/{program['id']}").get_json()["message"] == "Doppi punti sabato!"
    too_long = owner.post(f"/programs/{program['id']}/messages", {"text": "x" * 201})
    assert too_long.status_code == 422
    assert "at most 200" in too_long.get_json()["error"]["message"]
