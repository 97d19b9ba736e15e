"""Input no column can hold, ids past the database's integers, JSON nested without end, keys
longer than their column: each is a 4xx naming the problem, never a 500 (on PostgreSQL, where
integers and text are strict, as on SQLite)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerEntry, Member, Program
from tests.conftest import Api
from tests.dashboard.members_helpers import login
from tests.dashboard.test_programs import OWNER, design_form, error_beside
from tests.enrollment.helpers import EN, fields
from tests.passkit.conftest import PASS_TYPE

HUGE_IDS = [str(10**25), str(2**31), str(2**63), "9" * 5000]
# Any text at all: lone surrogates, NUL and other controls, and long runs.
HOSTILE_TEXT = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=50),
    st.sampled_from(["\x00", "\ud800", "a\udfffb", "\x00" * 10, "x" * 100_000, "\u202e", "%00", "' OR 1=1 --"]),
)
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _form_body(data: dict[str, str]) -> bytes:
    """URL-encoded as a hostile client may: lone surrogates sent as their (invalid) UTF-8 bytes."""
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in data.items()).encode()


def _post_form(client: FlaskClient, url: str, data: dict[str, str], **kw: Any) -> Any:
    return client.post(url, data=_form_body(data), content_type="application/x-www-form-urlencoded", **kw)


@pytest.mark.parametrize("huge", HUGE_IDS, ids=["1e25", "2^31", "2^63", "5000-digits"])
@pytest.mark.parametrize(("methods", "path"), [
    ("get delete", "/api/v1/members/{id}"), ("get post", "/api/v1/programs/{id}/members"),
    ("post", "/api/v1/members/1/rewards/{id}/redeem"), ("patch delete", "/api/v1/webhooks/{id}"),
])
def test_api_ids_past_the_integer_range_are_404(owner: Api, member: dict[str, Any], methods: str, path: str,
                                                huge: str) -> None:
    for method in methods.split():
        response = getattr(owner.client, method)(path.format(id=huge), headers={"Authorization": f"Bearer {owner.key}"})
        assert response.status_code == 404, (method, response.status_code)
        assert set(response.get_json()["error"]) == {"code", "message"}


@pytest.mark.parametrize("huge", HUGE_IDS, ids=["1e25", "2^31", "2^63", "5000-digits"])
def test_dashboard_ids_past_the_integer_range_are_404(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                      huge: str) -> None:
    login(client, OWNER)
    for path in (f"/dashboard/members/{huge}", f"/dashboard/programs/{huge}", f"/dashboard/programs/{huge}/design"):
        assert client.get(path).status_code == 404, path
    for path in (f"/dashboard/programs/{huge}/design", f"/dashboard/staff/{huge}/role"):
        assert client.post(path).status_code == 404, path
    assert client.get(f"/dashboard/programs/{2**31 - 1}").status_code == 404  # the largest id: looked up, absent


@pytest.mark.parametrize(("text", "what"), [("\\ud800", "surrogate"), ("Marta\\u0000", "NUL"), ("\\udfff x", "low")])
def test_unstorable_text_in_an_api_body_is_422_naming_the_field(owner: Api, program: dict[str, Any], text: str,
                                                                 what: str) -> None:
    body = ('{"name": "%s", "email": "m@example.com", "consent": {"terms": true}}' % text).encode()
    response = owner.client.post(f"/api/v1/programs/{program['id']}/members", data=body,
                                 headers={"Authorization": f"Bearer {owner.key}", "Content-Type": "application/json"})
    assert response.status_code == 422, what
    assert response.get_json()["error"] == {
        "code": "invalid_value", "message": "name contains a character that cannot be stored (a NUL or a lone surrogate)"}
    nested = owner.patch(f"/programs/{program['id']}", None, data=('{"tiers": [{"name": "%s", "min_points": 0}]}'
                                                                    % text).encode(),
                         headers={"Content-Type": "application/json"})
    assert nested.status_code == 422 and nested.get_json()["error"]["message"].startswith("tiers.0.name contains")
    assert db.session.scalar(select(func.count(Member.id))) == 0


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_too_deeply_is_400(owner: Api, program: dict[str, Any], depth: int) -> None:
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = owner.client.post("/api/v1/programs", data=body,
                                 headers={"Authorization": f"Bearer {owner.key}", "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "malformed_json",
                                            "message": "the body is nested too deeply (at most 64 levels)"}


def test_json_as_deep_as_allowed_is_read(owner: Api) -> None:
    body = '{"name": ' + "[" * 63 + "]" * 63 + "}"
    response = owner.client.post("/api/v1/programs", data=body,
                                 headers={"Authorization": f"Bearer {owner.key}", "Content-Type": "application/json"})
    assert response.status_code == 422 and "name must be a string" in response.get_json()["error"]["message"]


def test_passkit_bodies_nested_too_deeply_are_400(client: FlaskClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post("/passkit/v1/log", data='{"logs": ' + deep + "}").status_code == 400
    response = client.post(f"/passkit/v1/devices/d1/registrations/{PASS_TYPE}/x", data=deep)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("where", ["header", "body"])
def test_an_idempotency_key_longer_than_its_column_is_422(owner: Api, member: dict[str, Any], where: str) -> None:
    key = "k" * 101
    body: dict[str, Any] = {"points": 5, **({"idempotency_key": key} if where == "body" else {})}
    headers = {"Idempotency-Key": key} if where == "header" else {}
    response = owner.post(f"/members/{member['id']}/transactions", body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_value"
    assert "100" in response.get_json()["error"]["message"]
    exactly = owner.post(f"/members/{member['id']}/transactions", {"points": 5}, headers={"Idempotency-Key": "k" * 100})
    assert exactly.status_code == 201
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.points == 5)) == 1


def test_an_over_long_idempotency_key_on_a_redemption_is_422(owner: Api, member: dict[str, Any]) -> None:
    response = owner.post(f"/members/{member['id']}/stamps/redeem", None, headers={"Idempotency-Key": "r" * 500})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["error"]["message"]


def test_nul_in_a_query_is_400_and_in_a_path_404(owner: Api, program: dict[str, Any], client: FlaskClient) -> None:
    response = owner.get(f"/programs/{program['id']}/members?q=a%00b")
    assert response.status_code == 400 and set(response.get_json()["error"]) == {"code", "message"}
    assert owner.get("/members/lookup?card_number=%00").status_code == 400
    assert client.get(f"/join/{program['slug']}%00").status_code == 404
    assert client.get(f"/passkit/v1/passes/{PASS_TYPE}/a%00b").status_code == 404


def test_nul_on_the_join_page_is_a_message_beside_the_field(program: dict[str, Any], client: FlaskClient) -> None:
    response = _post_form(client, f"/join/{program['slug']}", fields(name="Marta\x00Verdi"), headers=EN)
    assert response.status_code == 422
    assert "This contains a character that is not allowed (such as a NUL)." in error_beside(response.text, "name")
    assert db.session.scalar(select(func.count(Member.id))) == 0


def test_nul_in_the_design_form_is_a_message_beside_the_field(owner: Api, member: dict[str, Any],
                                                               client: FlaskClient) -> None:
    login(client, OWNER)
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    response = _post_form(client, f"/dashboard/programs/{program.id}/design", design_form(program, name="Caffè\x00"))
    assert response.status_code == 422
    assert "not allowed (such as a NUL)" in error_beside(response.get_data(as_text=True), "name")


def test_the_join_page_never_answers_5xx(app: Flask, program: dict[str, Any], client: FlaskClient) -> None:
    app.config["JOIN_RATE_LIMIT"] = "100000 per minute"

    @FUZZ
    @given(name=HOSTILE_TEXT, email=HOSTILE_TEXT, phone=HOSTILE_TEXT, birthday=HOSTILE_TEXT, referral=HOSTILE_TEXT)
    def join(name: str, email: str, phone: str, birthday: str, referral: str) -> None:
        data = fields(name=name, email=email, phone=phone, birthday=birthday, ref=referral)
        response = _post_form(client, f"/join/{program['slug']}", data, headers=EN)
        assert response.status_code < 500, response.status_code
        db.session.rollback()

    join()


def test_dashboard_forms_never_answer_5xx(owner: Api, member: dict[str, Any], client: FlaskClient) -> None:
    program = db.session.get(Program, member["program_id"])
    assert program is not None
    login(client, OWNER)
    base = design_form(program)

    @FUZZ
    @given(text=HOSTILE_TEXT, field=st.sampled_from(sorted(base)), query=HOSTILE_TEXT)
    def submit(text: str, field: str, query: str) -> None:
        design = _post_form(client, f"/dashboard/programs/{program.id}/design", {**base, field: text})
        search = client.get(f"/dashboard/programs/{program.id}/members?q={quote(query.encode('utf-8', 'surrogatepass'))}")
        key = _post_form(client, "/dashboard/api-keys", {"label": text, "role": "cashier"})
        till = client.get(f"/dashboard/programs/{program.id}/till/{quote(query.encode('utf-8', 'surrogatepass'), safe='')}")
        for response in (design, search, key, till):
            assert response.status_code < 500, (response.request.path, response.status_code)
        db.session.rollback()

    submit()


def test_the_login_form_never_answers_5xx(app: Flask, client: FlaskClient, owner: Api) -> None:
    @FUZZ
    @given(email=HOSTILE_TEXT, password=HOSTILE_TEXT)
    def sign_in(email: str, password: str) -> None:
        response = _post_form(client, "/dashboard/login", {"email": email, "password": password},
                              environ_base={"REMOTE_ADDR": f"198.51.100.{hash(email) % 250}"})
        assert response.status_code < 500, response.status_code

    sign_in()


@pytest.mark.parametrize("number", ["²", "٣", "9" * 5000, str(2**63)])
def test_numbers_in_queries_are_ascii_digits_in_range(owner: Api, program: dict[str, Any], client: FlaskClient,
                                                      number: str) -> None:
    listed = owner.get(f"/programs/{program['id']}/members?page={quote(number)}")
    assert listed.status_code == 400 and listed.get_json()["error"]["code"] == "invalid_query"
    assert owner.get(f"/programs/{program['id']}/stats?days={quote(number)}").status_code == 400
    tag = client.get(f"/passkit/v1/devices/d1/registrations/{PASS_TYPE}?passesUpdatedSince={quote(number)}")
    assert tag.status_code == 400
    login(client, OWNER)
    assert client.get(f"/dashboard/programs/{program['id']}/members?page={quote(number)}").status_code == 200


def test_a_message_for_a_member_id_past_the_integers_is_refused(owner: Api, program: dict[str, Any]) -> None:
    preview = owner.post(f"/programs/{program['id']}/messages/preview",
                         {"text": "Ciao", "segment": {"type": "member", "member_id": 14896640576}})
    assert preview.status_code == 422 and "member_id" in preview.get_json()["error"]["message"]
