"""Payloads of the domain events of quotes and orders (built after commit, from the committed rows)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from clientela.core.events import register_event_type
from clientela.orders.models import Order, Quote

EVENT_TYPES = {
    "quote.created": _("A quote (or a new version of one) was created."),
    "quote.sent": _("A quote was sent to the customer."),
    "quote.accepted": _("The customer accepted a quote."),
    "quote.rejected": _("The customer rejected a quote."),
    "order.created": _("An order was created (from a quote or recorded from the ERP)."),
    "order.status_changed": _("An order changed status."),
}


def register() -> None:
    for name, description in EVENT_TYPES.items():
        register_event_type(name, str(description))


def quote_event(pk: int) -> dict[str, Any]:
    quote = Quote.objects.filter(pk=pk).first()
    if quote is None:
        return {"id": pk}
    return {
        "id": quote.pk,
        "number": quote.number,
        "revision": quote.revision,
        "status": quote.status,
        "party": quote.party_id,
        "opportunity": quote.opportunity_id,
        "currency": quote.currency,
        "total": str(quote.total),
        "valid_until": quote.valid_until.isoformat(),
        "supersedes": quote.supersedes_id,
    }


def order_event(pk: int, **extra: Any) -> dict[str, Any]:
    order = Order.objects.select_related("source").filter(pk=pk).first()
    if order is None:
        return {"id": pk, **extra}
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "party": order.party_id,
        "quote": order.quote_id,
        "source": order.source.slug,
        "external_id": order.external_id,
        "currency": order.currency,
        "total": str(order.total),
        "ordered_at": order.ordered_at.isoformat(),
        **extra,
    }
