from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Api


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nope", "Basic abc", "Bearer tsk_000000000000_wrong", "Bearer tsk_short_x"],
)
def test_missing_or_bad_keys_get_401(client: FlaskClient, owner: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/programs", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_tampered_key_with_right_prefix_is_refused(client: FlaskClient, owner: Api) -> None:
    tampered = owner.key[:-2] + ("AA" if not owner.key.endswith("AA") else "BB")
    response = client.get("/api/v1/programs", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_only_a_hash_of_the_key_is_stored(owner: Api) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ApiKey

    row = db.session.scalars(select(ApiKey)).one()
    assert owner.key not in (row.key_hash, row.prefix, row.label)
    assert len(row.key_hash) == 64


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_bodies_get_400(owner: Api, body: bytes) -> None:
    response = owner.client.post(
        "/api/v1/programs", data=body, headers={"Authorization": f"Bearer {owner.key}", "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_body_over_the_limit_gets_413(owner: Api) -> None:
    response = owner.post("/programs", {"name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_unknown_routes_and_methods_answer_json(owner: Api) -> None:
    response = owner.get("/nothing-here")
    assert response.status_code == 404
    assert set(response.get_json()["error"]) == {"code", "message"}
    response = owner.client.delete("/api/v1/programs", headers={"Authorization": f"Bearer {owner.key}"})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_bad_query_values_get_400(owner: Api, program: dict[str, Any]) -> None:
    for query in ("page=0", "page=abc", "per_page=1000"):
        response = owner.get(f"/programs/{program['id']}/members?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == "invalid_query"


def test_a_read_only_request_saves_when_the_key_was_last_used(owner: Api) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ApiKey

    assert owner.get("/programs").status_code == 200
    db.session.remove()  # read what the request committed, not this session's copy
    used = db.session.scalar(select(ApiKey.last_used_at))
    assert used is not None
