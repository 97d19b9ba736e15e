from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tests.support.openapi_check import openapi_path

HTTP_METHODS = {"get", "post", "patch", "put", "delete"}


def test_document_is_valid_openapi(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["servers"] == [{"url": "http://tessera.test/api/v1"}]


def test_every_route_is_documented_and_every_operation_exists(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_document"
        for method in rule.methods or ()
        if method.lower() in HTTP_METHODS
    }
    documented = {
        (path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS
    }
    assert routes == documented


def test_every_operation_documents_its_errors(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "401" in responses, (method, path)
            assert any(code.startswith("2") for code in responses), (method, path)
            if "requestBody" in operation:
                assert {"400", "422"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)


def test_recorder_catches_an_undocumented_answer(app: Flask) -> None:
    from tests.support.openapi_check import OpenApiRecorder

    recorder = OpenApiRecorder(Flask("probe"))
    recorder._against("probe", "/programs", "post", 418, {})
    recorder._against("probe", "/programs/{program_id}", "get", 200, {"id": "not-an-int"})
    assert len(recorder.problems) >= 2
