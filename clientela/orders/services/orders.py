"""Order services: an accepted quote becomes an order; the ERP records its orders idempotently; status moves.

Every order is a ``purchase`` on the customer's timeline, logged through ``interaction_log`` with the
order's source and external id (our own orders: source "clientela", the order number), so the customer's
lifetime purchases count it once, and a changed ERP order is a correction of the same ledger entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import record_snapshot, record_update
from clientela.core.events import publish
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction, SourceSystem
from clientela.core.permissions import Action, can, can_assign
from clientela.interactions.services import interaction_log, manual_source, may_log, source_get_or_create
from clientela.orders.choices import ORDER_TRANSITIONS, OrderStatus, QuoteStatus
from clientela.orders.events import order_event
from clientela.orders.models import Order, OrderLine, Quote
from clientela.orders.numbering import next_number
from clientela.orders.services.common import (
    TOTAL_FIELDS,
    apply_totals,
    build_lines,
    party_visible,
    snapshot,
)
from clientela.orders.totals import cents
from clientela.orders.validation import check_organisation, clean_lines, currency_or_error
from clientela.parties.models import Party
from clientela.parties.validation import Errors

ORDER_FIELDS = ("number", "party", "organisation", "ordered_at", "currency", "status", *TOTAL_FIELDS)
CLOCK_SKEW = dt.timedelta(minutes=5)


def _log_purchase(actor: Actor, order: Order, lines: Sequence[OrderLine]) -> None:
    """The order on the customer's timeline (idempotent by source and external id)."""
    payload = {
        "document_number": order.number[:300],
        "lines": [
            {
                "product": line.product.code if line.product_id and line.product is not None else "",
                "description": line.description[:300],
                "quantity": str(line.quantity.normalize()),
                "unit_price": str(cents(line.unit_price)),
                "total": str(line.net),
            }
            for line in lines
        ],
        # a cancelled order stays on the timeline but no longer adds to the customer's purchases
        "total": "0.00" if order.status == OrderStatus.CANCELLED else str(order.total),
        "currency": order.currency,
    }
    try:
        interaction_log(
            actor=actor,
            party=order.party,
            kind="purchase",
            occurred_at=order.ordered_at,
            payload=payload,
            organisation=order.organisation,
            source=order.source,
            external_id=order.external_id or order.number,
        )
    except ValidationError as exc:  # the order was validated; say where, should the ledger still refuse
        raise ValidationError(
            {
                "__all__": [
                    _("The purchase could not be put on the timeline: %(why)s")
                    % {"why": "; ".join(exc.messages)}
                ]
            }
        ) from exc


@transaction.atomic
def order_create_from_quote(*, actor: Actor, quote: Quote) -> Order:
    """Turn an accepted quote into a confirmed order with the same lines, owner and team."""
    quote = (
        Quote.objects.select_for_update(of=("self",)).select_related("party", "organisation").get(pk=quote.pk)
    )
    if actor.user is not None and not can(actor.user, Action.CHANGE, quote):
        raise NotPermitted()
    if quote.status != QuoteStatus.ACCEPTED:
        raise ValidationError({"__all__": [_("Only an accepted quote can become an order.")]})
    existing = Order.objects.filter(quote=quote).first()
    if existing is not None:
        raise ValidationError(
            {"__all__": [_("This quote is already order %(number)s.") % {"number": existing.number}]}
        )
    if actor.user is not None and not may_log(actor.user, quote.party):
        raise NotPermitted(_("You may not record purchases for this customer."))
    order = Order(
        number=next_number("O"),
        party=quote.party,
        organisation=quote.organisation,
        quote=quote,
        opportunity_id=quote.opportunity_id,
        source=manual_source(),
        ordered_at=timezone.now(),
        currency=quote.currency,
        status=OrderStatus.CONFIRMED,
        owner_id=quote.owner_id,
        team_id=quote.team_id,
        created_by=actor.user,
    )
    copied = [
        {
            name: getattr(line, name)
            for name in (
                "position",
                "product",
                "description",
                "quantity",
                "unit",
                "unit_price",
                "discount_percent",
                "tax_rate",
            )
        }
        for line in quote.lines.select_related("product")
    ]
    rows = build_lines(OrderLine, "order", order, copied)
    apply_totals(order, rows)
    order.save()
    OrderLine.objects.bulk_create(rows)
    record_snapshot(
        actor=actor,
        obj=order,
        aggregate=order,
        action=ChangeAction.CREATE,
        snapshot={**snapshot(order, ORDER_FIELDS, rows), "quote": quote.pk},
    )
    _log_purchase(actor, order, rows)
    publish("order.created", lambda: order_event(order.pk))
    return order


def _when(value: Any, errors: Errors) -> dt.datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value.strip())
    if not isinstance(value, dt.datetime):
        errors.add("ordered_at", _("Enter a valid date and time (ISO 8601)."))
        return None
    if timezone.is_naive(value):
        errors.add("ordered_at", _("Give the time zone (for example +01:00 or Z)."))
        return None
    if value > timezone.now() + CLOCK_SKEW:
        errors.add("ordered_at", _("An order cannot be dated in the future."))
        return None
    return value.astimezone(dt.UTC)


@transaction.atomic
def order_record_external(
    *,
    actor: Actor,
    source: SourceSystem | str,
    external_id: str,
    party: Party,
    number: str,
    ordered_at: dt.datetime | str,
    currency: str,
    lines: Sequence[Mapping[str, Any]],
    status: str = OrderStatus.CONFIRMED,
    organisation: Party | None = None,
) -> tuple[Order, bool]:
    """Record an order of another system (the ERP): created once per (source, external id), updated after.

    Returns ``(order, created)``. Posting the same data again writes nothing; changed data updates the
    order and its lines (change log rows per field, the lines as one value) and corrects the purchase on
    the timeline. Lines: ``product_code`` (optional), ``description``, ``quantity``, ``unit_price``,
    ``discount_percent``, ``tax_rate``.
    """
    errors = Errors()
    external_id = (external_id or "").strip()
    number = (number or "").strip()
    if not external_id:
        errors.add("external_id", _("Enter the order's id in the source system."))
    elif len(external_id) > 200:
        errors.add("external_id", _("Enter at most %(limit)s characters.") % {"limit": 200})
    if not number:
        errors.add("number", _("Enter the order number."))
    elif len(number) > 64:
        errors.add("number", _("Enter at most %(limit)s characters.") % {"limit": 64})
    when = _when(ordered_at, errors)
    currency = currency_or_error(currency, errors)
    if status not in OrderStatus.values:
        errors.add("status", _("Choose one of: %(choices)s.") % {"choices": ", ".join(OrderStatus.values)})
    party_visible(actor, party, errors, "party", required=True)
    check_organisation(organisation, errors)
    cleaned = clean_lines(
        lines,
        currency=currency,
        on_date=(when or timezone.now()).date(),
        price_list=None,
        errors=errors,
        require_lines=False,
    )
    if (
        not errors
        and actor.user is not None
        and not (
            can_assign(actor.user, Action.ADD, "quote", owner_id=party.owner_id, team_id=party.team_id)
            and may_log(actor.user, party)
        )
    ):
        raise NotPermitted(_("You may not record orders for this customer."))
    source = source if isinstance(source, SourceSystem) else source_get_or_create(str(source))
    existing = (
        Order.objects.select_for_update().filter(source=source, external_id=external_id).first()
        if external_id
        else None
    )
    clash = Order.objects.filter(source=source, number=number)
    if existing is not None:
        clash = clash.exclude(pk=existing.pk)
    if number and clash.exists():
        errors.add("number", _("Another order from this source has this number."))
    errors.raise_if_any()
    header = {
        "number": number,
        "party": party,
        "organisation": organisation,
        "ordered_at": when,
        "currency": currency,
        "status": status,
    }
    if existing is None:
        order = Order(
            source=source,
            external_id=external_id,
            owner_id=party.owner_id,
            team_id=party.team_id,
            created_by=actor.user,
            **header,
        )
        rows = build_lines(OrderLine, "order", order, cleaned)
        apply_totals(order, rows)
        order.save()
        OrderLine.objects.bulk_create(rows)
        record_snapshot(
            actor=actor,
            obj=order,
            aggregate=order,
            action=ChangeAction.CREATE,
            snapshot=snapshot(order, ORDER_FIELDS, rows),
        )
        _log_purchase(actor, order, rows)
        publish("order.created", lambda: order_event(order.pk))
        return order, True
    order = existing
    if actor.user is not None and not can(actor.user, Action.CHANGE, order):
        raise NotPermitted()
    old_lines = list(order.lines.select_related("product"))
    before = snapshot(order, ORDER_FIELDS, old_lines)
    old_status = order.status
    for name, value in header.items():
        setattr(order, name, value)
    rows = build_lines(OrderLine, "order", order, cleaned)
    apply_totals(order, rows)
    after = snapshot(order, ORDER_FIELDS, rows)
    if after == before:
        return order, False
    order.version += 1
    order.save(update_fields=[*ORDER_FIELDS, "version", "updated_at"])
    if after["lines"] != before["lines"]:
        order.lines.all().delete()
        OrderLine.objects.bulk_create(rows)
    else:
        rows = old_lines
    record_update(actor=actor, obj=order, aggregate=order, before=before, after=after)
    _log_purchase(actor, order, rows)
    if old_status != order.status:
        publish("order.status_changed", lambda: order_event(order.pk, previous_status=old_status))
    return order, False


@transaction.atomic
def order_change_status(
    *, actor: Actor, order: Order, status: str, expected_version: int | None = None
) -> Order:
    """Move an order along its allowed transitions (draft → confirmed → shipped → invoiced; cancel early)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if actor.user is not None and not can(actor.user, Action.CHANGE, order):
        raise NotPermitted()
    if expected_version is not None and expected_version != order.version:
        raise ConcurrencyConflict(expected=expected_version, current=order.version)
    if status not in OrderStatus.values:
        raise ValidationError(
            {"status": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(OrderStatus.values)}]}
        )
    if status == order.status:
        return order
    if status not in ORDER_TRANSITIONS[order.status]:
        raise ValidationError(
            {
                "status": [
                    _("An order that is %(current)s cannot become %(new)s.")
                    % {"current": OrderStatus(order.status).label, "new": OrderStatus(status).label}
                ]
            }
        )
    before = snapshot(order, ("status",), None)
    old_status = order.status
    order.status = status
    order.version += 1
    order.save(update_fields=["status", "version", "updated_at"])
    record_update(
        actor=actor, obj=order, aggregate=order, before=before, after=snapshot(order, ("status",), None)
    )
    if OrderStatus.CANCELLED in (old_status, status):
        _log_purchase(actor, order, list(order.lines.select_related("product")))
    publish("order.status_changed", lambda: order_event(order.pk, previous_status=old_status))
    return order
