"""``/api/v1/webhooks...``: subscriptions CRUD with If-Match, the delivery log, re-delivery and test events."""

from __future__ import annotations

import pytest

from clientela.integrations import services
from clientela.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db


def test_create_shows_the_secret_once(admin_api, receiver):
    response = admin_api.post(
        "/api/v1/webhooks", {"name": "ERP", "target_url": receiver.url, "event_types": ["party.created"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    sub = WebhookSubscription.objects.get(pk=body["id"])
    assert body["secret"] == sub.secret and body["secret_hint"] == sub.secret_hint
    assert body["event_types"] == ["party.created"]
    listed = admin_api.get("/api/v1/webhooks")
    assert listed.status_code == 200
    assert sub.secret not in listed.content.decode()
    got = admin_api.get(f"/api/v1/webhooks/{sub.pk}")
    assert "secret" not in got.json() and got["ETag"] == sub.etag


def test_invalid_subscriptions_are_422_with_paths(admin_api):
    response = admin_api.post(
        "/api/v1/webhooks",
        {"name": "", "target_url": "http://example.com/h", "event_types": ["party.created", "nope"]},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "target_url", "event_types.1"}
    assert not WebhookSubscription.objects.exists()


def test_patch_with_if_match_and_delete(admin_api, admin_user, receiver):
    sub = services.webhook_subscription_create(
        actor=actor_for(admin_user), data={"name": "A", "target_url": receiver.url}
    )
    stale = sub.etag
    ok = admin_api.patch(f"/api/v1/webhooks/{sub.pk}", {"is_active": False}, headers={"If-Match": stale})
    assert ok.status_code == 200 and ok.json()["is_active"] is False
    assert (
        admin_api.patch(f"/api/v1/webhooks/{sub.pk}", {"name": "B"}, headers={"If-Match": stale}).status_code
        == 412
    )
    sub.refresh_from_db()
    assert sub.name == "A"
    assert admin_api.delete(f"/api/v1/webhooks/{sub.pk}", headers={"If-Match": stale}).status_code == 412
    assert admin_api.delete(f"/api/v1/webhooks/{sub.pk}").status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert admin_api.get(f"/api/v1/webhooks/{sub.pk}").status_code == 404


def test_deliveries_list_filters_and_redeliver(
    admin_api, admin_user, receiver, django_capture_on_commit_callbacks
):
    sub = services.webhook_subscription_create(
        actor=actor_for(admin_user), data={"name": "A", "target_url": receiver.url}
    )
    receiver.plan(410)
    with django_capture_on_commit_callbacks(execute=True):
        (failed,) = services.webhook_deliveries_create(event_type="webhook.test", data={"n": 1})
        (ok,) = services.webhook_deliveries_create(event_type="party.created", data={"party": {"id": 1}})
    listed = admin_api.get("/api/v1/webhooks/deliveries?status=gave_up")
    assert [d["id"] for d in listed.json()["items"]] == [failed.pk]
    listed = admin_api.get("/api/v1/webhooks/deliveries?event_type=party.created")
    assert [d["id"] for d in listed.json()["items"]] == [ok.pk]
    assert (
        len(admin_api.get(f"/api/v1/webhooks/deliveries?subscription={sub.pk}&limit=1").json()["items"]) == 1
    )
    assert admin_api.get("/api/v1/webhooks/deliveries?status=nope").status_code == 422
    detail = admin_api.get(f"/api/v1/webhooks/deliveries/{failed.pk}").json()
    assert detail["attempts"][0]["response_code"] == 410 and detail["payload"]["data"] == {"n": 1}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/webhooks/deliveries/{failed.pk}/redeliver")
    assert response.status_code == 202
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SUCCEEDED and failed.attempt_count == 2
    assert admin_api.post("/api/v1/webhooks/deliveries/999999/redeliver").status_code == 404


def test_test_event_reaches_a_paused_subscription(
    admin_api, admin_user, receiver, django_capture_on_commit_callbacks
):
    sub = services.webhook_subscription_create(
        actor=actor_for(admin_user), data={"name": "A", "target_url": receiver.url, "is_active": False}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/webhooks/{sub.pk}/test")
    assert response.status_code == 202
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED
    assert receiver.requests[0].json()["type"] == "webhook.test"
