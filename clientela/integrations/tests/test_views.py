"""The integration pages: subscription form with errors, edit, deactivate, delivery log filters and re-send."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.integrations import services
from clientela.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


def test_create_with_errors_then_valid(admin_client, receiver):
    url = reverse("integrations:webhook_create")
    page = admin_client.get(url)
    assert page.status_code == 200 and b"party.created" in page.content
    bad = admin_client.post(url, {"name": "ERP", "target_url": "http://example.com/h"})
    assert bad.status_code == 422
    assert b"There is a problem" in bad.content and b"https://" in bad.content
    assert not WebhookSubscription.objects.exists()
    good = admin_client.post(
        url, {"name": "ERP", "target_url": receiver.url, "event_types": ["party.deleted"], "is_active": "on"}
    )
    sub = WebhookSubscription.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse(
        "integrations:webhook_detail", args=[sub.pk]
    )
    assert sub.event_types == ["party.deleted"] and sub.is_active
    detail = admin_client.get(good["Location"])
    assert sub.secret.encode() in detail.content  # administrators can reveal it


def test_edit_and_deactivate(admin_client, admin_user, receiver):
    sub = services.webhook_subscription_create(
        actor=actor_for(admin_user), data={"name": "A", "target_url": receiver.url}
    )
    response = admin_client.post(
        reverse("integrations:webhook_edit", args=[sub.pk]), {"name": "B", "target_url": receiver.url}
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.name, sub.is_active, sub.version) == ("B", False, 2)  # an unticked box is "inactive"
    admin_client.post(reverse("integrations:webhook_toggle", args=[sub.pk]))
    sub.refresh_from_db()
    assert sub.is_active is True
    old = sub.secret
    admin_client.post(reverse("integrations:webhook_rotate", args=[sub.pk]))
    sub.refresh_from_db()
    assert sub.secret != old


def test_delivery_log_filters_detail_and_resend(
    admin_client, admin_user, receiver, django_capture_on_commit_callbacks
):
    services.webhook_subscription_create(
        actor=actor_for(admin_user), data={"name": "A", "target_url": receiver.url}
    )
    receiver.plan(500)
    with django_capture_on_commit_callbacks(execute=True):
        (failed,) = services.webhook_deliveries_create(event_type="webhook.test", data={"n": 1})
        services.webhook_deliveries_create(event_type="party.created", data={"party": {"id": 1}})
    log = admin_client.get(reverse("integrations:deliveries"), {"status": "failed"})
    assert log.status_code == 200
    assert reverse("integrations:delivery_detail", args=[failed.pk]).encode() in log.content
    assert b"party.created</code>" not in log.content
    none = admin_client.get(reverse("integrations:deliveries"), {"event_type": "party.deleted"})
    assert b"No deliveries match these filters." in none.content
    detail = admin_client.get(reverse("integrations:delivery_detail", args=[failed.pk]))
    assert b"500" in detail.content and b"Re-send" in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("integrations:delivery_resend", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SUCCEEDED
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("integrations:webhook_test", args=[failed.subscription_id]))
    assert response.status_code == 302
    assert WebhookDelivery.objects.filter(event_type="webhook.test").count() == 2


@pytest.mark.parametrize("pages", [1, 3])
def test_delivery_log_query_count_does_not_grow_with_rows(admin_client, admin_user, pages):
    subs = [
        services.webhook_subscription_create(
            actor=actor_for(admin_user), data={"name": f"S{i}", "target_url": f"https://h{i}.example/h"}
        )
        for i in range(pages)
    ]
    for _ in range(5 * pages):
        services.webhook_deliveries_create(event_type="webhook.test", data={}, subscriptions=subs)
    with CaptureQueriesContext(connection) as ctx:
        assert admin_client.get(reverse("integrations:deliveries")).status_code == 200
    assert len(ctx.captured_queries) <= 12, [q["sql"] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as ctx:
        assert admin_client.get(reverse("integrations:webhooks")).status_code == 200
    assert len(ctx.captured_queries) <= 10
