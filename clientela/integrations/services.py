"""Services of the webhooks: subscriptions (administrators), deliveries (the event listener), attempts.

An event becomes one delivery row per matching active subscription, after the commit that published it;
a task POSTs it. Failed attempts are retried on a schedule (``webhooks.backoff``) until one succeeds or
the attempts run out ("gave up"). An administrator may re-send any delivery by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.events import EVENT_TYPES
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, Scope, user_scope
from clientela.integrations import webhooks
from clientela.integrations.models import (
    DUE_STATUSES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from clientela.parties.validation import Errors

logger = logging.getLogger("clientela.integrations")

SUBSCRIPTION_FIELDS = ("name", "target_url", "event_types", "is_active")
TEST_EVENT = "webhook.test"
# While one worker sends a delivery, others leave it alone for this long (longer than any timeout).
CLAIM_SECONDS = 120


def may_manage(user: Any, action: str = Action.VIEW) -> bool:
    """Whether ``user``'s role grants the "integration" object type (administrators by default)."""
    return user_scope(user, "integration", action) != Scope.NONE


def _check(actor: Actor, action: str) -> None:
    if actor.user is not None and not may_manage(actor.user, action):
        raise NotPermitted()


def _clean(sub: WebhookSubscription, data: Mapping[str, Any], errors: Errors) -> None:
    for name in data:
        if name not in SUBSCRIPTION_FIELDS:
            errors.add(name, _("Unknown field."))
    if "name" in data:
        sub.name = str(data["name"] or "").strip()
    if "target_url" in data:
        sub.target_url = str(data["target_url"] or "").strip()
    if "event_types" in data:
        types = data["event_types"]
        if not isinstance(types, list | tuple) or not all(isinstance(t, str) for t in types):
            errors.add("event_types", _("Enter a list of event types."))
        else:
            for n, name in enumerate(types):
                if name not in EVENT_TYPES:
                    errors.add(f"event_types.{n}", _("Unknown event type “%(name)s”.") % {"name": name})
            sub.event_types = sorted(set(types))
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.add("is_active", _("Enter true or false."))
        else:
            sub.is_active = data["is_active"]
    if not sub.name:
        errors.add("name", _("Give the subscription a name."))
    elif len(sub.name) > 100:
        errors.add("name", _("Enter at most %(limit)s characters.") % {"limit": 100})
    if not sub.target_url:
        errors.add("target_url", _("Enter the URL that receives the events."))
    elif len(sub.target_url) > 500:
        errors.add("target_url", _("Enter at most %(limit)s characters.") % {"limit": 500})
    elif problem := webhooks.url_problem(sub.target_url):
        errors.add("target_url", problem)


def _snapshot(sub: WebhookSubscription) -> dict[str, Any]:
    # never the secret: the change log is readable by more people than the subscription
    return field_values(sub, SUBSCRIPTION_FIELDS)


@transaction.atomic
def webhook_subscription_create(*, actor: Actor, data: Mapping[str, Any]) -> WebhookSubscription:
    """Create a subscription with a new signing secret; ValidationError lists every problem by field."""
    _check(actor, Action.ADD)
    sub = WebhookSubscription(created_by=actor.user, secret=webhooks.new_secret())
    errors = Errors()
    _clean(sub, data, errors)
    errors.raise_if_any()
    sub.save()
    record_snapshot(actor=actor, obj=sub, aggregate=sub, action=ChangeAction.CREATE, snapshot=_snapshot(sub))
    return sub


def _lock(sub: WebhookSubscription) -> WebhookSubscription:
    return WebhookSubscription.objects.select_for_update().get(pk=sub.pk)


@transaction.atomic
def webhook_subscription_update(
    *,
    actor: Actor,
    subscription: WebhookSubscription,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> WebhookSubscription:
    """Change the given fields (deactivate with ``{"is_active": false}``); a stale version changes nothing."""
    _check(actor, Action.CHANGE)
    sub = _lock(subscription)
    if expected_version is not None and expected_version != sub.version:
        raise ConcurrencyConflict(expected=expected_version, current=sub.version)
    before = _snapshot(sub)
    errors = Errors()
    _clean(sub, data, errors)
    errors.raise_if_any()
    sub.version += 1
    sub.save(update_fields=[*SUBSCRIPTION_FIELDS, "version", "updated_at"])
    record_update(actor=actor, obj=sub, aggregate=sub, before=before, after=_snapshot(sub))
    return sub


@transaction.atomic
def webhook_secret_rotate(*, actor: Actor, subscription: WebhookSubscription) -> WebhookSubscription:
    """Replace the signing secret; deliveries sent from now on are signed with the new one."""
    _check(actor, Action.CHANGE)
    sub = _lock(subscription)
    sub.secret = webhooks.new_secret()
    sub.version += 1
    sub.save(update_fields=["secret", "version", "updated_at"])
    record_update(actor=actor, obj=sub, aggregate=sub, before={"secret": "…"}, after={"secret": "rotated"})
    return sub


@transaction.atomic
def webhook_subscription_delete(
    *, actor: Actor, subscription: WebhookSubscription, expected_version: int | None = None
) -> None:
    """Delete a subscription and its delivery log (deactivate it instead to keep the log)."""
    _check(actor, Action.DELETE)
    sub = _lock(subscription)
    if expected_version is not None and expected_version != sub.version:
        raise ConcurrencyConflict(expected=expected_version, current=sub.version)
    record_snapshot(actor=actor, obj=sub, aggregate=sub, action=ChangeAction.DELETE, snapshot=_snapshot(sub))
    sub.delete()


# --- deliveries -------------------------------------------------------------------------------------------


def _json_safe(data: Mapping[str, Any]) -> Any:
    return json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))


def _enqueue(delivery_id: int, *, manual: bool = False, run_after: dt.datetime | None = None) -> None:
    from clientela.integrations.tasks import deliver_webhook

    task = deliver_webhook
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the retry sweep (``clientela webhooks-retry``) sends it when it is due
        task = task.using(run_after=run_after)
    try:
        task.enqueue(delivery_id, manual)
    except Exception:
        # the row is saved and due: the retry sweep sends it if the queue is down now
        logger.exception("could not enqueue webhook delivery %s", delivery_id)


@transaction.atomic
def webhook_deliveries_create(
    *,
    event_type: str,
    data: Mapping[str, Any],
    subscriptions: list[WebhookSubscription] | None = None,
    manual: bool = False,
) -> list[WebhookDelivery]:
    """One delivery per active subscription wanting ``event_type``, each sent by a task after commit.

    Called by the event listener once the publishing transaction has committed; all deliveries of one
    event share its id (receivers use it to ignore repeats). ``subscriptions`` names the receivers
    outright (a test event), ``manual`` sends even to a paused one."""
    if subscriptions is None:
        wanted = [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event_type)]
    else:
        wanted = list(subscriptions)
    if not wanted:
        return []
    event_id = uuid.uuid4()
    now = timezone.now()
    body = {
        "id": str(event_id),
        "type": event_type,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "data": _json_safe(data),
    }
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=sub, event_type=event_type, event_id=event_id, payload=body, next_attempt_at=now
            )
            for sub in wanted
        ]
    )
    if any(row.pk is None for row in rows):  # backends that do not return ids from bulk inserts
        rows = list(WebhookDelivery.objects.filter(event_id=event_id))
    for row in rows:
        transaction.on_commit(partial(_enqueue, row.pk, manual=manual))
    return rows


def on_event(event_type: str, data: Mapping[str, Any]) -> None:
    """The event listener (registered in ``IntegrationsConfig.ready``): never lets a failure escape into
    the service that published the event, whose transaction has already committed."""
    try:
        webhook_deliveries_create(event_type=event_type, data=data)
    except Exception:
        logger.exception("could not record webhook deliveries for %s", event_type)


def _claim(delivery_id: int, *, manual: bool) -> WebhookDelivery | None:
    """Take a due delivery for this worker (an atomic update), or None when it is not due or taken."""
    now = timezone.now()
    qs = WebhookDelivery.objects.filter(pk=delivery_id, status__in=DUE_STATUSES, next_attempt_at__lte=now)
    if not manual:
        qs = qs.filter(subscription__is_active=True)
    if not qs.update(next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS)):
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def webhook_delivery_attempt(
    *, actor: Actor, delivery_id: int, manual: bool = False
) -> WebhookDelivery | None:
    """Send one due delivery and record the attempt; returns it, or None when it was not due.

    2xx: succeeded. No answer, 5xx, 408 or 429: retried after the next backoff step until the attempts run
    out. Any other answer: gave up at once (sending the same request again would fail again).
    The POST happens outside any transaction so no database lock is held while a receiver is slow."""
    delivery = _claim(delivery_id, manual=manual)
    if delivery is None:
        return None
    sub = delivery.subscription
    outcome = webhooks.post(
        sub.target_url,
        webhooks.encode(delivery.payload),
        secret=sub.secret,
        event_type=delivery.event_type,
        delivery_id=delivery.pk,
        event_id=str(delivery.event_id),
    )
    return _record(actor=actor, delivery_id=delivery.pk, outcome=outcome, manual=manual)


@transaction.atomic
def _record(*, actor: Actor, delivery_id: int, outcome: webhooks.Outcome, manual: bool) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    now = timezone.now()
    delivery.attempt_count += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count,
        started_at=now - dt.timedelta(milliseconds=outcome.duration_ms),
        response_code=outcome.code,
        response_body=outcome.body,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        manual=manual,
    )
    delivery.last_response_code = outcome.code
    delivery.last_response_body = outcome.body
    delivery.last_error = outcome.error
    delivery.duration_ms = outcome.duration_ms
    counters: dict[str, Any]
    if outcome.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        counters = {
            "success_count": F("success_count") + 1,
            "consecutive_failures": 0,
            "last_success_at": now,
        }
    else:
        if outcome.retryable and delivery.attempt_count < webhooks.max_attempts():
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = now + dt.timedelta(
                seconds=webhooks.retry_delay(delivery.attempt_count)
            )
        else:
            delivery.status = DeliveryStatus.GAVE_UP
            delivery.next_attempt_at = None
        counters = {
            "failure_count": F("failure_count") + 1,
            "consecutive_failures": F("consecutive_failures") + 1,
            "last_failure_at": now,
        }
    delivery.save(
        update_fields=[
            "attempt_count",
            "status",
            "next_attempt_at",
            "delivered_at",
            "last_response_code",
            "last_response_body",
            "last_error",
            "duration_ms",
        ]
    )
    WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(**counters)
    if delivery.status == DeliveryStatus.FAILED:
        run_after = delivery.next_attempt_at
        transaction.on_commit(lambda: _enqueue(delivery_id, run_after=run_after))
    return delivery


@transaction.atomic
def webhook_delivery_resend(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (same body, event id and delivery id), whatever its status; the attempt
    is marked as sent by hand. A failed re-send is not retried if the automatic attempts are used up."""
    _check(actor, Action.CHANGE)
    row = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    row.status = DeliveryStatus.PENDING
    row.next_attempt_at = timezone.now()
    row.save(update_fields=["status", "next_attempt_at"])
    record_update(
        actor=actor,
        obj=row,
        aggregate=row.subscription,
        before={"status": delivery.status},
        after={"status": row.status, "resent": True},
    )
    row_id = row.pk
    transaction.on_commit(lambda: _enqueue(row_id, manual=True))
    return row


@transaction.atomic
def webhook_test_send(*, actor: Actor, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``webhook.test`` event for this one subscription (active or not), to check the receiver."""
    _check(actor, Action.CHANGE)
    sub = WebhookSubscription.objects.get(pk=subscription.pk)
    data = {"subscription": {"id": sub.pk, "name": sub.name}, "sent_by": actor.display}
    # the test goes to this subscription only, even if it is paused or filters the type out
    (row,) = webhook_deliveries_create(event_type=TEST_EVENT, data=data, subscriptions=[sub], manual=True)
    return row


def webhook_deliveries_send_due(*, actor: Actor, limit: int = 1000) -> dict[str, int]:
    """Send every delivery whose next attempt is due (the sweep behind ``clientela webhooks-retry``);
    returns how many ended in each status."""
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=DUE_STATUSES, next_attempt_at__lte=timezone.now(), subscription__is_active=True
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    for delivery_id in ids:
        row = webhook_delivery_attempt(actor=actor, delivery_id=delivery_id)
        if row is not None:
            counts[row.status] += 1
    return counts
