"""Reads of quotes and orders: restricted to the user's "quote" scope, related rows loaded up front."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action
from clientela.interactions.models import Interaction
from clientela.orders.choices import OrderStatus, QuoteStatus
from clientela.orders.models import Order, OrderLine, Quote, QuoteLine
from clientela.orders.totals import document_totals

LIST_ORDER = ("-created_at", "-id")
LIST_KINDS = ("datetime", "int")


def quote_queryset(user: Any, action: str = Action.VIEW) -> QuerySet[Quote]:
    """Quotes the user may ``action``, on customers that are not in the recycle bin."""
    return Quote.objects.restrict(user, action).filter(party__deleted_at__isnull=True)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def quote_list(*, user: Any, params: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> Page:
    """One keyset page of current quote versions, newest first; filters: status, owner, party (customer)."""
    qs = quote_queryset(user).filter(is_current=True)
    status = params.get("status") or ""
    if status in QuoteStatus.values:
        qs = qs.filter(status=status)
    if (owner := _int(params.get("owner"))) is not None:
        qs = qs.filter(owner_id=owner)
    if (party := _int(params.get("party"))) is not None:
        qs = qs.filter(party_id=party)
    if (opportunity := _int(params.get("opportunity"))) is not None:
        qs = qs.filter(opportunity_id=opportunity)
    qs = qs.select_related("party", "owner")
    return keyset_page(qs, ordering=LIST_ORDER, kinds=LIST_KINDS, cursor=cursor, size=size)


def quote_get(*, user: Any, pk: int, action: str = Action.VIEW) -> Quote:
    quote = quote_queryset(user, action).filter(pk=pk).first()
    if quote is None:
        raise Http404
    return quote


def quote_detail(*, user: Any, pk: int) -> Quote:
    """A quote with its lines, totals per rate, versions and order loaded (a fixed number of queries)."""
    quote = (
        quote_queryset(user)
        .select_related("party", "organisation", "opportunity", "price_list", "owner", "team", "supersedes")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product")))
        .filter(pk=pk)
        .first()
    )
    if quote is None:
        raise Http404
    quote.totals = document_totals(quote.lines.all())  # type: ignore[attr-defined]
    quote.newer = Quote.objects.filter(supersedes=quote).only("id", "number", "revision").first()  # type: ignore[attr-defined]
    quote.order_row = Order.objects.filter(quote=quote).only("id", "number").first()  # type: ignore[attr-defined]
    return quote


def order_queryset(user: Any, action: str = Action.VIEW) -> QuerySet[Order]:
    return Order.objects.restrict(user, action).filter(party__deleted_at__isnull=True)


def order_list(*, user: Any, params: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> Page:
    """One keyset page of orders, most recent first; filters: status, owner, party, source."""
    qs = order_queryset(user)
    status = params.get("status") or ""
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    if (owner := _int(params.get("owner"))) is not None:
        qs = qs.filter(owner_id=owner)
    if (party := _int(params.get("party"))) is not None:
        qs = qs.filter(party_id=party)
    if params.get("source"):
        qs = qs.filter(source__slug=params["source"])
    qs = qs.select_related("party", "owner", "source", "quote")
    return keyset_page(qs, ordering=("-ordered_at", "-id"), kinds=LIST_KINDS, cursor=cursor, size=size)


def order_get(*, user: Any, pk: int, action: str = Action.VIEW) -> Order:
    order = order_queryset(user, action).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order


def order_detail(*, user: Any, pk: int) -> Order:
    """An order with its lines, totals per rate, quote and the returns that name its number."""
    order = (
        order_queryset(user)
        .select_related("party", "organisation", "quote", "opportunity", "source", "owner", "team")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product")))
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    order.totals = document_totals(order.lines.all())  # type: ignore[attr-defined]
    order.returns = order_returns(order)  # type: ignore[attr-defined]
    order.returned_lines = returned_lines(order, order.returns)  # type: ignore[attr-defined]
    return order


def returned_lines(order: Order, returns: list[Interaction]) -> list[tuple[OrderLine, Decimal]]:
    """The order's lines that returns name, with the quantity returned of each.

    A return line names an order line by its ``order_line_ref``: the line's position ("2"), or the order
    number and the position ("PED-2026-0042/2"), as ERPs usually print them."""
    by_position = {line.position: line for line in order.lines.all()}
    returned: dict[int, Decimal] = {}
    for entry in returns:
        for item in entry.payload.get("lines") or []:
            ref = str(item.get("order_line_ref") or "").strip()
            if ref.startswith(f"{order.number}/"):
                ref = ref[len(order.number) + 1 :]
            if not ref.isdigit() or int(ref) not in by_position:
                continue
            try:
                quantity = Decimal(str(item.get("quantity", 1)))
            except ArithmeticError:
                continue
            returned[int(ref)] = returned.get(int(ref), Decimal(0)) + quantity
    return [(by_position[pos], qty) for pos, qty in sorted(returned.items())]


def order_returns(order: Order) -> list[Interaction]:
    """Current ``return`` entries of the order's customer whose reference is the order number.

    Read through the customer's timeline index (party, then kind), so it stays cheap: a customer has few
    returns; the reference sits in the payload and is compared in Python for portability.
    """
    rows = Interaction.objects.filter(party_id=order.party_id, kind="return", is_current=True).only(
        "id", "occurred_at", "summary", "payload", "amount", "currency"
    )[:500]
    return [row for row in rows if str(row.payload.get("reference", "")).strip() == order.number]


def opportunity_for_products(*, user: Any, pk: int, action: str = Action.VIEW) -> Any:
    """The opportunity whose products the user may ``action`` (404 when it is out of scope or binned)."""
    from clientela.sales.selectors import opportunities_for

    opp = opportunities_for(user, action).select_related("party").filter(pk=pk).first()
    if opp is None:
        raise Http404
    return opp


def opportunity_products(*, opportunity: Any) -> list[Any]:
    """The opportunity's product lines in order, with their products (one query)."""
    from clientela.orders.models import OpportunityProduct

    return list(
        OpportunityProduct.objects.filter(opportunity=opportunity)
        .select_related("product")
        .order_by("position", "id")
    )
