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
    ("GET", "/api/v1/pipelines", "pipelines_list"),
    ("GET", "/api/v1/pipelines/{pipeline_id}/board", "pipelines_board"),
    ("GET", "/api/v1/opportunities", "opportunities_list"),
    ("POST", "/api/v1/opportunities", "opportunities_create"),
    ("GET", "/api/v1/opportunities/{opportunity_id}", "opportunities_get"),
    ("PATCH", "/api/v1/opportunities/{opportunity_id}", "opportunities_update"),
    ("DELETE", "/api/v1/opportunities/{opportunity_id}", "opportunities_delete"),
    ("POST", "/api/v1/opportunities/{opportunity_id}/move", "opportunities_move"),
    ("GET", "/api/v1/opportunities/{opportunity_id}/stage-changes", "opportunities_stage_changes"),
    ("GET", "/api/v1/me", "me_get"),
    ("GET", "/api/v1/tokens", "tokens_list"),
    ("POST", "/api/v1/tokens", "tokens_create"),
    ("DELETE", "/api/v1/tokens/{token_id}", "tokens_revoke"),
    ("GET", "/api/v1/tasks", "tasks_list"),
    ("POST", "/api/v1/tasks", "tasks_create"),
    ("GET", "/api/v1/tasks/{task_id}", "tasks_get"),
    ("PATCH", "/api/v1/tasks/{task_id}", "tasks_update"),
    ("POST", "/api/v1/tasks/{task_id}/complete", "tasks_complete"),
    ("GET", "/api/v1/notifications", "notifications_list"),
    ("POST", "/api/v1/notifications/{notification_id}/read", "notifications_read"),
    ("POST", "/api/v1/notifications/read-all", "notifications_read_all"),
    ("GET", "/api/v1/leads", "leads_list"),
    ("POST", "/api/v1/leads", "leads_create"),
    ("GET", "/api/v1/leads/{lead_id}", "leads_get"),
    ("PATCH", "/api/v1/leads/{lead_id}", "leads_update"),
    ("POST", "/api/v1/leads/{lead_id}/convert", "leads_convert"),
    ("GET", "/api/v1/forecast", "forecast_get"),
    ("GET", "/api/v1/analytics/fits", "analytics_fits_list"),
    ("POST", "/api/v1/analytics/refit", "analytics_refit"),
    ("GET", "/api/v1/parties/{party_id}/score", "parties_score_get"),
    ("PUT", "/api/v1/erp/{documents}", "erp_documents_put"),
    ("GET", "/api/v1/webhooks", "webhooks_list"),
    ("POST", "/api/v1/webhooks", "webhooks_create"),
    ("GET", "/api/v1/webhooks/deliveries", "webhook_deliveries_list"),
    ("GET", "/api/v1/webhooks/deliveries/{delivery_id}", "webhook_deliveries_get"),
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver", "webhook_deliveries_redeliver"),
    ("GET", "/api/v1/webhooks/{subscription_id}", "webhooks_get"),
    ("PATCH", "/api/v1/webhooks/{subscription_id}", "webhooks_update"),
    ("DELETE", "/api/v1/webhooks/{subscription_id}", "webhooks_delete"),
    ("POST", "/api/v1/webhooks/{subscription_id}/test", "webhooks_test"),
    ("GET", "/api/v1/products", "products_list"),
    ("POST", "/api/v1/products", "products_create"),
    ("GET", "/api/v1/products/{product_id}", "products_get"),
    ("PATCH", "/api/v1/products/{product_id}", "products_update"),
    ("GET", "/api/v1/price-lists", "price_lists_list"),
    ("GET", "/api/v1/price-lists/{price_list_id}", "price_lists_get"),
    ("GET", "/api/v1/quotes", "quotes_list"),
    ("POST", "/api/v1/quotes", "quotes_create"),
    ("GET", "/api/v1/quotes/{quote_id}", "quotes_get"),
    ("PATCH", "/api/v1/quotes/{quote_id}", "quotes_update"),
    ("POST", "/api/v1/quotes/{quote_id}/send", "quotes_send"),
    ("POST", "/api/v1/quotes/{quote_id}/accept", "quotes_accept"),
    ("POST", "/api/v1/quotes/{quote_id}/reject", "quotes_reject"),
    ("GET", "/api/v1/orders", "orders_list"),
    ("POST", "/api/v1/orders", "orders_create"),
    ("GET", "/api/v1/orders/{order_id}", "orders_get"),
    ("POST", "/api/v1/orders/{order_id}/status", "orders_status"),
    ("GET", "/api/v1/opportunities/{opportunity_id}/products", "opportunity_products_list"),
    ("PUT", "/api/v1/opportunities/{opportunity_id}/products", "opportunity_products_set"),
    ("GET", "/api/v1/segment-fields", "segment_fields"),
    ("GET", "/api/v1/segments", "segments_list"),
    ("POST", "/api/v1/segments", "segments_create"),
    ("POST", "/api/v1/segments/preview", "segments_preview"),
    ("GET", "/api/v1/segments/{segment_id}", "segments_get"),
    ("PATCH", "/api/v1/segments/{segment_id}", "segments_update"),
    ("DELETE", "/api/v1/segments/{segment_id}", "segments_delete"),
    ("GET", "/api/v1/segments/{segment_id}/members", "segments_members"),
    ("GET", "/api/v1/segments/{segment_id}/history", "segments_history"),
    ("GET", "/api/v1/segments/{segment_id}/versions", "segments_versions"),
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
