"""The API root: docs and schema, operation ids and tags, the operation inventory, generic 500 problems."""

from __future__ import annotations

import pytest
from django.test import Client

from clientela.api import api_operations

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("GET", "/api/v1/parties", "parties_list"),
    ("POST", "/api/v1/parties", "parties_create"),
    ("POST", "/api/v1/parties/matches", "parties_matches"),
    ("GET", "/api/v1/parties/{party_id}", "parties_get"),
    ("PATCH", "/api/v1/parties/{party_id}", "parties_update"),
    ("DELETE", "/api/v1/parties/{party_id}", "parties_delete"),
    ("POST", "/api/v1/parties/{party_id}/restore", "parties_restore"),
    ("GET", "/api/v1/parties/{party_id}/history", "parties_history"),
    ("GET", "/api/v1/parties/{party_id}/contact-points", "contact_points_list"),
    ("POST", "/api/v1/parties/{party_id}/contact-points", "contact_points_create"),
    ("GET", "/api/v1/contact-points/{contact_point_id}", "contact_points_get"),
    ("PATCH", "/api/v1/contact-points/{contact_point_id}", "contact_points_update"),
    ("DELETE", "/api/v1/contact-points/{contact_point_id}", "contact_points_delete"),
    ("GET", "/api/v1/relationships", "relationships_list"),
    ("POST", "/api/v1/relationships", "relationships_create"),
    ("GET", "/api/v1/relationships/{relationship_id}", "relationships_get"),
    ("PATCH", "/api/v1/relationships/{relationship_id}", "relationships_update"),
    ("DELETE", "/api/v1/relationships/{relationship_id}", "relationships_delete"),
    ("GET", "/api/v1/interactions", "interactions_list"),
    ("POST", "/api/v1/interactions", "interactions_create"),
    ("POST", "/api/v1/interactions/batch", "interactions_batch"),
    ("GET", "/api/v1/interactions/{interaction_id}", "interactions_get"),
    ("GET", "/api/v1/search", "search"),
    ("POST", "/api/v1/imports", "imports_create"),
    ("GET", "/api/v1/imports", "imports_list"),
    ("GET", "/api/v1/imports/{import_id}", "imports_get"),
    ("GET", "/api/v1/imports/{import_id}/errors", "imports_errors"),
    ("POST", "/api/v1/imports/{import_id}/undo", "imports_undo"),
    ("GET", "/api/v1/me", "me_get"),
    ("GET", "/api/v1/tokens", "tokens_list"),
    ("POST", "/api/v1/tokens", "tokens_create"),
    ("DELETE", "/api/v1/tokens/{token_id}", "tokens_revoke"),
}


def test_docs_and_schema_respond():
    client = Client()
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Clientela API"


def test_api_operations_lists_every_operation_once():
    operations = api_operations()
    assert set(operations) == EXPECTED
    assert len(operations) == len(EXPECTED)


def test_openapi_operations_match_the_inventory_and_are_clean():
    schema = Client().get("/api/openapi.json").json()
    seen = set()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            seen.add((method.upper(), path, operation["operationId"]))
            assert operation["tags"], (method, path)
            assert operation.get("description") or operation.get("summary"), (method, path)
            assert operation.get("security"), (method, path)  # every operation needs authentication
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
            if method in ("patch", "delete") and "tokens" not in path:
                assert "If-Match" in {p["name"] for p in operation["parameters"]}, (method, path)
    assert seen == EXPECTED
    for path in ("/api/v1/interactions", "/api/v1/interactions/batch"):
        parameters = {p["name"] for p in schema["paths"][path]["post"]["parameters"]}
        assert "Idempotency-Key" in parameters, path
    batch = schema["paths"]["/api/v1/interactions/batch"]["post"]["responses"]
    assert {"200", "207", "422"} <= set(batch)
    security = schema["components"]["securitySchemes"]
    assert {s["type"] for s in security.values()} == {"http", "apiKey"}


def test_unhandled_errors_are_generic_problems(admin_api, monkeypatch):
    from clientela.parties import selectors

    def explode(**kwargs):
        raise RuntimeError("secret internals: /srv/clientela/settings.py line 12")

    monkeypatch.setattr(selectors, "party_list", explode)
    response = admin_api.get("/api/v1/parties")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 500 and body["request_id"] == response["X-Request-ID"]
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_unknown_method_is_not_a_crash(admin_api):
    assert admin_api.request("PUT", "/api/v1/parties", {"kind": "person"}).status_code == 405


def test_unknown_api_paths_are_404_problems(admin_api):
    for path in ("/api/v1/nothing", "/api/v1/parties/", "/api/v2/parties"):
        response = admin_api.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
