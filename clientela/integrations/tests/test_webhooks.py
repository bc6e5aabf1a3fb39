"""Webhooks against a real HTTP receiver: signed deliveries, retries with backoff, giving up, re-sending."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from clientela.integrations import services
from clientela.integrations.models import DeliveryStatus, WebhookDelivery
from clientela.integrations.webhooks import sign
from clientela.parties.services import party_delete, party_update
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[3] / "docs" / "integrations.md"


def subscribe(admin_user, receiver, **data):
    fields = {"name": "ERP", "target_url": receiver.url, **data}
    return services.webhook_subscription_create(actor=actor_for(admin_user), data=fields)


def receiver_example() -> dict:
    """The example receiver of docs/integrations.md, run as written."""
    code = re.search(r"### Example receiver.*?```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace: dict = {"__name__": "example"}
    exec(compile(code, "integrations.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace


def due_now(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def sweep(admin_user):
    return services.webhook_deliveries_send_due(actor=actor_for(None))


def test_party_event_is_delivered_signed(admin_user, receiver, django_capture_on_commit_callbacks):
    sub = subscribe(admin_user, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        party = make_person(
            admin_user, given_names="Inés", contact_points=[{"kind": "email", "value": "ines@a.es"}]
        )
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = request.json()
    assert body["type"] == "party.created"
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["data"]["party"]["id"] == party.pk
    assert body["data"]["party"]["contact_points"][0]["value"] == "ines@a.es"
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-clientela-event"] == "party.created"
    assert headers["x-clientela-event-id"] == body["id"]
    delivery = WebhookDelivery.objects.get()
    assert headers["x-clientela-delivery"] == str(delivery.pk)
    assert headers["x-clientela-signature"] == sign(
        sub.secret, headers["x-clientela-timestamp"], request.body
    )
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 1
    assert delivery.last_response_code == 200 and delivery.delivered_at is not None
    sub.refresh_from_db()
    assert sub.success_count == 1 and sub.consecutive_failures == 0


def test_documented_receiver_verifies_real_deliveries(
    admin_user, receiver, django_capture_on_commit_callbacks
):
    sub = subscribe(admin_user, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_test_send(actor=actor_for(admin_user), subscription=sub)
    request = receiver.requests[0]
    verify = receiver_example()["verify"]
    assert verify(sub.secret, request.headers, request.body) is True
    assert verify("whsec_other", request.headers, request.body) is False
    assert (
        verify(sub.secret, request.headers, request.body.replace(b"webhook.test", b"webhook.tost")) is False
    )
    later = int(request.headers["x-clientela-timestamp"]) + 301
    assert verify(sub.secret, request.headers, request.body, now=later) is False  # a replay
    assert request.json()["data"]["subscription"]["id"] == sub.pk


def test_only_matching_active_subscriptions_get_events(
    admin_user, receiver, django_capture_on_commit_callbacks
):
    wants_deleted = subscribe(admin_user, receiver, name="Deleted only", event_types=["party.deleted"])
    paused = subscribe(admin_user, receiver, name="Paused", is_active=False)
    everything = subscribe(admin_user, receiver, name="All")
    with django_capture_on_commit_callbacks(execute=True):
        party = make_person(admin_user)
    assert set(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == {everything.pk}
    with django_capture_on_commit_callbacks(execute=True):
        party_update(actor=actor_for(admin_user), party=party, data={"given_names": "Eva"})
        party_delete(actor=actor_for(admin_user), party=party)
    rows = WebhookDelivery.objects.filter(subscription=wants_deleted)
    assert [r.event_type for r in rows] == ["party.deleted"]
    assert not WebhookDelivery.objects.filter(subscription=paused).exists()
    types = sorted(
        WebhookDelivery.objects.filter(subscription=everything).values_list("event_type", flat=True)
    )
    assert types == ["party.created", "party.deleted", "party.updated"]
    assert [
        r.json()["data"]["party"]["given_names"]
        for r in receiver.requests
        if r.json()["type"] != "party.created"
    ] == ["Eva", "Eva", "Eva"]  # updated to one, deleted to two


def test_rolled_back_changes_send_nothing(admin_user, receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    subscribe(admin_user, receiver)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        make_person(admin_user)
        raise RuntimeError
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_server_errors_are_retried_with_growing_backoff_then_given_up(
    admin_user, receiver, django_capture_on_commit_callbacks
):
    sub = subscribe(admin_user, receiver)
    receiver.plan(500, 503, 502, 500)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = services.webhook_deliveries_create(event_type="webhook.test", data={"n": 1})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_response_code == 500
    assert len(delivery.last_response_body) == 1024  # the first KB of the error page
    waits = [delivery.next_attempt_at - timezone.now()]
    # not due yet: the sweep leaves it alone
    assert sum(sweep(admin_user).values()) == 0
    for _ in range(2):
        due_now(delivery)
        sweep(admin_user)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED
        waits.append(delivery.next_attempt_at - timezone.now())
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 30]
    due_now(delivery)
    call_command("webhooks_retry")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP and delivery.attempt_count == 4
    assert delivery.next_attempt_at is None
    assert list(delivery.attempts.values_list("response_code", flat=True)) == [500, 503, 502, 500]
    assert len(receiver.requests) == 4
    sub.refresh_from_db()
    assert sub.failure_count == 4 and sub.consecutive_failures == 4 and sub.success_count == 0


def test_client_errors_are_not_retried_but_429_is(admin_user, receiver, django_capture_on_commit_callbacks):
    subscribe(admin_user, receiver)
    receiver.plan(400, 429)
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = services.webhook_deliveries_create(event_type="webhook.test", data={"n": 1})
        (second,) = services.webhook_deliveries_create(event_type="webhook.test", data={"n": 2})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempt_count, first.next_attempt_at) == (DeliveryStatus.GAVE_UP, 1, None)
    assert second.status == DeliveryStatus.FAILED and second.next_attempt_at is not None


def test_timeouts_and_refused_connections_are_retried(
    admin_user, receiver, django_capture_on_commit_callbacks
):
    subscribe(admin_user, receiver)
    receiver.plan(("sleep", 1.5))
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = services.webhook_deliveries_create(event_type="webhook.test", data={})
    assert time.monotonic() - started < 1.5  # the sender did not wait for the slow receiver
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_response_code is None
    assert "1 seconds" in delivery.last_error
    closed = subscribe(admin_user, receiver, name="Closed port", target_url="http://127.0.0.1:9/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        refused = services.webhook_test_send(actor=actor_for(admin_user), subscription=closed)
    refused.refresh_from_db()
    assert refused.status == DeliveryStatus.FAILED and refused.last_error.startswith("Could not connect")


def test_resend_sends_the_same_delivery_again(admin_user, receiver, django_capture_on_commit_callbacks):
    subscribe(admin_user, receiver)
    receiver.plan(404)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = services.webhook_deliveries_create(event_type="webhook.test", data={"n": 1})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_resend(actor=actor_for(admin_user), delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 2
    assert list(delivery.attempts.values_list("manual", flat=True)) == [False, True]
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["x-clientela-delivery"] == second.headers["x-clientela-delivery"]


def test_target_urls_must_be_https_unless_private_http_is_allowed(admin_user, settings):
    from django.core.exceptions import ValidationError

    def problem(url):
        with pytest.raises(ValidationError) as exc:
            services.webhook_subscription_create(
                actor=actor_for(admin_user), data={"name": "x", "target_url": url}
            )
        return exc.value.message_dict

    assert "target_url" in problem("http://example.com/hook")
    assert "target_url" in problem("ftp://example.com/hook")
    assert "target_url" in problem("https://user:pw@example.com/hook")
    assert "event_types.0" in services_error(admin_user, {"event_types": ["nope.nothing"]})
    settings.CLIENTELA_WEBHOOK_ALLOW_HTTP = False
    assert "target_url" in problem("http://127.0.0.1:8000/hook")
    ok = services.webhook_subscription_create(
        actor=actor_for(admin_user), data={"name": "x", "target_url": "https://erp.example.com/hook"}
    )
    assert ok.secret.startswith("whsec_") and len(ok.secret) > 30


def services_error(admin_user, data):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.webhook_subscription_create(
            actor=actor_for(admin_user), data={"name": "x", "target_url": "https://a.example/h", **data}
        )
    return exc.value.message_dict


def test_party_merge_publishes_an_event(admin_user, receiver, django_capture_on_commit_callbacks):
    from clientela.identity.services import party_merge

    subscribe(admin_user, receiver, event_types=["party.merged"])
    a = make_person(admin_user, given_names="Ana")
    b = make_person(admin_user, given_names="Ana")
    with django_capture_on_commit_callbacks(execute=True):
        merge = party_merge(actor=actor_for(admin_user), survivor=a, merged=b)
    (request,) = receiver.requests
    data = request.json()["data"]
    assert (data["party"]["id"], data["merged"]["id"], data["merge"]["id"]) == (a.pk, b.pk, merge.pk)


def test_any_declared_event_type_is_delivered_generically(
    admin_user, receiver, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from clientela.core.events import EVENT_TYPES, publish, register_event_type

    register_event_type("opportunity.won", EVENT_TYPES.get("opportunity.won", "An opportunity was won."))
    subscribe(admin_user, receiver, event_types=["opportunity.won"])
    with django_capture_on_commit_callbacks(execute=True):
        publish(
            "opportunity.won",
            lambda: {"opportunity": {"id": 7, "amount": Decimal("10.50"), "currency": "EUR"}},
        )
    (request,) = receiver.requests
    assert request.headers["x-clientela-event"] == "opportunity.won"
    assert request.json()["data"] == {"opportunity": {"id": 7, "amount": "10.50", "currency": "EUR"}}


def test_retries_are_scheduled_on_queues_that_can_defer(
    admin_user, receiver, settings, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    subscribe(admin_user, receiver)
    receiver.plan(503)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = services.webhook_deliveries_create(event_type="webhook.test", data={})
    (first,) = default_task_backend.results
    assert first.args == [delivery.pk, False] and first.task.run_after is None
    with django_capture_on_commit_callbacks(execute=True):
        row = services.webhook_delivery_attempt(actor=actor_for(None), delivery_id=delivery.pk)
    assert row.status == DeliveryStatus.FAILED
    retry = default_task_backend.results[-1]
    assert retry.args == [delivery.pk, False] and retry.task.run_after == row.next_attempt_at


def test_a_delivery_is_claimed_by_one_sender_only(admin_user, receiver):
    from clientela.integrations.services import _claim

    subscribe(admin_user, receiver)
    (delivery,) = services.webhook_deliveries_create(event_type="webhook.test", data={})
    assert _claim(delivery.pk, manual=False) is not None
    assert _claim(delivery.pk, manual=False) is None  # taken: a second worker or the sweep leaves it
    assert services.webhook_delivery_attempt(actor=actor_for(None), delivery_id=delivery.pk) is None
    assert receiver.requests == []
