"""Reads of the integrations pages and API: subscriptions, the delivery log (keyset pages), one delivery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from clientela.core.events import EVENT_TYPES
from clientela.core.pagination import Page, keyset_page
from clientela.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

LOG_ORDER = ("-created_at", "-id")
LOG_KINDS = ("datetime", "int")


def event_types() -> list[tuple[str, str]]:
    """Every declared event type with its description, sorted by name."""
    return sorted(EVENT_TYPES.items())


def subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("name", "id")


def delivery_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The log's filters from a query string; unknown values are ignored rather than failing the page."""
    out: dict[str, Any] = {}
    status = params.get("status") or ""
    if status in DeliveryStatus.values:
        out["status"] = status
    event_type = (params.get("event_type") or "").strip()
    if event_type:
        out["event_type"] = event_type[:100]
    subscription = str(params.get("subscription") or "")
    if subscription.isdigit() and len(subscription) < 19:
        out["subscription_id"] = int(subscription)
    return out


def deliveries_page(*, filters: Mapping[str, Any], cursor: str | None, size: int) -> Page:
    """One page of the delivery log, newest first (InvalidCursor for a cursor that is not ours)."""
    qs = WebhookDelivery.objects.filter(**filters).select_related("subscription")
    return keyset_page(qs, ordering=LOG_ORDER, kinds=LOG_KINDS, cursor=cursor, size=size)


def delivery_detail(pk: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_related("subscription")
        .prefetch_related("attempts")
        .filter(pk=pk)
        .first()
    )


def subscription_recent(sub: WebhookSubscription, limit: int = 10) -> list[WebhookDelivery]:
    return list(sub.deliveries.order_by(*LOG_ORDER)[:limit])
