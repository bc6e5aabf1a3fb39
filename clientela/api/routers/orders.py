"""``/v1/quotes`` and ``/v1/orders``: quotes (list, create with lines, read, change, send, accept, reject)
and orders (list, read, create from an accepted quote, change status), plus an opportunity's products
(``/v1/opportunities/{id}/products``, read and replaced under the opportunity's own scope). Records
outside the user's scope are 404; lines are validated all together (422 with paths like
``lines.1.quantity``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from clientela.accounts.models import User
from clientela.api.auth import request_actor
from clientela.api.concurrency import check_version, expected_version, with_etag
from clientela.api.errors import invalid
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.orders import (
    OpportunityProductsIn,
    OpportunityProductsOut,
    OrderCreateIn,
    OrderOut,
    OrderStatusIn,
    OrderSummary,
    QuoteIn,
    QuoteOut,
    QuotePatch,
    QuoteSummary,
    SendIn,
)
from clientela.core.permissions import Action
from clientela.orders import selectors, services
from clientela.orders.choices import OrderStatus, QuoteStatus
from clientela.parties.models import Party
from clientela.products.models import PriceList
from clientela.sales.models import Opportunity

router = Router(tags=["orders"])


def _quote(request: HttpRequest, response: HttpResponse, pk: int) -> Any:
    quote = selectors.quote_detail(user=request.user, pk=pk)
    with_etag(response, quote)
    return quote


def _order(request: HttpRequest, response: HttpResponse, pk: int) -> Any:
    order = selectors.order_detail(user=request.user, pk=pk)
    with_etag(response, order)
    return order


def _refs(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in the body as the records the services take; unknown or invisible ones are a 422 on their field."""
    errors, out = [], dict(data)
    user = request.user
    lookups = {
        "party": Party.objects.restrict(user, Action.VIEW),
        "organisation": Party.objects.restrict(user, Action.VIEW),
        "opportunity": Opportunity.objects.restrict(user, Action.VIEW),
        "price_list": PriceList.objects.all(),
        "owner": User.objects.filter(is_active=True),
    }
    messages = {
        "party": _("Unknown customer."),
        "organisation": _("Unknown organisation."),
        "opportunity": _("Unknown opportunity."),
        "price_list": _("Unknown price list."),
        "owner": _("Unknown user."),
    }
    for name, qs in lookups.items():
        if out.get(name) is not None:
            out[name] = qs.filter(pk=out[name]).first()
            if out[name] is None:
                errors.append({"field": name, "message": messages[name]})
    if errors:
        raise invalid(errors)
    return out


def _lines(lines: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    return [{k: v for k, v in line.items() if v is not None and v != ""} for line in lines]


class QuoteQuery(Schema):
    status: QuoteStatus | None = None
    owner: int | None = None
    party: int | None = None
    opportunity: int | None = None


@router.get(
    "/quotes",
    response={200: Paged[QuoteSummary], **READ_ERRORS},
    operation_id="quotes_list",
    summary="List quotes",
)
def quotes_list(
    request: HttpRequest,
    filters: Query[QuoteQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Current quote versions the user may see, newest first; filters status, owner, party, opportunity."""
    params = {k: v for k, v in filters.model_dump().items() if v is not None}
    page = selectors.quote_list(user=request.user, params=params, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/quotes",
    response={201: QuoteOut, **WRITE_ERRORS},
    operation_id="quotes_create",
    summary="Create a quote with its lines",
)
def quotes_create(request: HttpRequest, response: HttpResponse, payload: QuoteIn) -> Any:
    """A draft quote numbered Q-<year>-<n>; product lines without a price are priced from the price list."""
    data = _refs(request, payload.model_dump(exclude_unset=True))
    lines = _lines(data.pop("lines"))
    if data.get("valid_until") is None:
        data.pop("valid_until", None)
    quote = services.quote_create(actor=request_actor(request), data=data, lines=lines or [])
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{quote.pk}")
    return Status(201, _quote(request, response, quote.pk))


@router.get(
    "/quotes/{quote_id}",
    response={200: QuoteOut, **READ_ERRORS},
    operation_id="quotes_get",
    summary="Get a quote",
)
def quotes_get(request: HttpRequest, response: HttpResponse, quote_id: int = id_path()) -> Any:
    """One quote (any version) with its lines and taxes per rate, and its ETag."""
    return _quote(request, response, quote_id)


@router.patch(
    "/quotes/{quote_id}",
    response={200: QuoteOut, **VERSIONED_WRITE_ERRORS},
    operation_id="quotes_update",
    summary="Change a draft quote",
)
def quotes_update(
    request: HttpRequest, response: HttpResponse, payload: QuotePatch, quote_id: int = id_path()
) -> Any:
    """Change a draft (``If-Match``: a stale version is a 412). A sent quote is kept and its next version,
    with these changes, is returned; accepted, rejected and expired quotes are a 422."""
    quote = selectors.quote_get(user=request.user, pk=quote_id)
    version = expected_version(request, quote)
    data = _refs(request, payload.model_dump(exclude_unset=True))
    lines = _lines(data.pop("lines", None))
    saved = services.quote_update(
        actor=request_actor(request), quote=quote, data=data, lines=lines, expected_version=version
    )
    return _quote(request, response, saved.pk)


def _action(request: HttpRequest, response: HttpResponse, quote_id: int, run: Any) -> Any:
    quote = selectors.quote_get(user=request.user, pk=quote_id)
    check_version(request, quote)
    saved = run(request_actor(request), quote)
    return _quote(request, response, saved.pk)


@router.post(
    "/quotes/{quote_id}/send",
    response={200: QuoteOut, **VERSIONED_WRITE_ERRORS},
    operation_id="quotes_send",
    summary="Send a quote by email",
)
def quotes_send(
    request: HttpRequest, response: HttpResponse, payload: SendIn, quote_id: int = id_path()
) -> Any:
    """Email the PDF to ``to`` (default: the customer's main email), log it on the customer's timeline and
    mark the quote sent. Only drafts can be sent."""
    return _action(
        request,
        response,
        quote_id,
        lambda actor, q: services.quote_send(
            actor=actor, quote=q, to=payload.to or None, message=payload.message
        ),
    )


@router.post(
    "/quotes/{quote_id}/accept",
    response={200: QuoteOut, **VERSIONED_WRITE_ERRORS},
    operation_id="quotes_accept",
    summary="Mark a quote accepted",
)
def quotes_accept(request: HttpRequest, response: HttpResponse, quote_id: int = id_path()) -> Any:
    """The customer accepted the sent quote."""
    return _action(request, response, quote_id, lambda actor, q: services.quote_accept(actor=actor, quote=q))


@router.post(
    "/quotes/{quote_id}/reject",
    response={200: QuoteOut, **VERSIONED_WRITE_ERRORS},
    operation_id="quotes_reject",
    summary="Mark a quote rejected",
)
def quotes_reject(request: HttpRequest, response: HttpResponse, quote_id: int = id_path()) -> Any:
    """The customer rejected the sent quote."""
    return _action(request, response, quote_id, lambda actor, q: services.quote_reject(actor=actor, quote=q))


class OrderQuery(Schema):
    status: OrderStatus | None = None
    owner: int | None = None
    party: int | None = None
    source: str | None = None


@router.get(
    "/orders",
    response={200: Paged[OrderSummary], **READ_ERRORS},
    operation_id="orders_list",
    summary="List orders",
)
def orders_list(
    request: HttpRequest,
    filters: Query[OrderQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Orders the user may see, most recent first; filters status, owner, party, source (slug)."""
    params = {k: v for k, v in filters.model_dump().items() if v is not None}
    page = selectors.order_list(user=request.user, params=params, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/orders",
    response={201: OrderOut, **WRITE_ERRORS},
    operation_id="orders_create",
    summary="Create an order from an accepted quote",
)
def orders_create(request: HttpRequest, response: HttpResponse, payload: OrderCreateIn) -> Any:
    """The accepted quote becomes a confirmed order with its lines (one order per quote), and a purchase on
    the customer's timeline."""
    quote = selectors.quote_queryset(request.user, Action.CHANGE).filter(pk=payload.quote).first()
    if quote is None:
        raise invalid([{"field": "quote", "message": _("Unknown quote.")}])
    order = services.order_create_from_quote(actor=request_actor(request), quote=quote)
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{order.pk}")
    return Status(201, _order(request, response, order.pk))


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, **READ_ERRORS},
    operation_id="orders_get",
    summary="Get an order",
)
def orders_get(request: HttpRequest, response: HttpResponse, order_id: int = id_path()) -> Any:
    """One order with its lines and taxes per rate."""
    return _order(request, response, order_id)


@router.post(
    "/orders/{order_id}/status",
    response={200: OrderOut, **VERSIONED_WRITE_ERRORS},
    operation_id="orders_status",
    summary="Change an order's status",
)
def orders_status(
    request: HttpRequest, response: HttpResponse, payload: OrderStatusIn, order_id: int = id_path()
) -> Any:
    """Move the order along draft → confirmed → shipped → invoiced (or cancelled early); others are a 422."""
    order = selectors.order_get(user=request.user, pk=order_id)
    services.order_change_status(
        actor=request_actor(request),
        order=order,
        status=payload.status.value,
        expected_version=expected_version(request, order),
    )
    return _order(request, response, order.pk)


def _opportunity_products(opportunity: Any) -> dict[str, Any]:
    from clientela.orders.services.opportunity_products import products_total

    lines = selectors.opportunity_products(opportunity=opportunity)
    return {
        "opportunity": opportunity.pk,
        "currency": opportunity.currency,
        "amount": opportunity.amount,
        "total": products_total(lines),
        "lines": lines,
    }


@router.get(
    "/opportunities/{opportunity_id}/products",
    response={200: OpportunityProductsOut, **READ_ERRORS},
    operation_id="opportunity_products_list",
    summary="List an opportunity's products",
)
def opportunity_products_list(request: HttpRequest, opportunity_id: int = id_path()) -> Any:
    """The opportunity's product lines in order, with their net total and the opportunity's amount."""
    opportunity = selectors.opportunity_for_products(user=request.user, pk=opportunity_id)
    return _opportunity_products(opportunity)


@router.put(
    "/opportunities/{opportunity_id}/products",
    response={200: OpportunityProductsOut, **WRITE_ERRORS},
    operation_id="opportunity_products_set",
    summary="Replace an opportunity's products",
)
def opportunity_products_set(
    request: HttpRequest, payload: OpportunityProductsIn, opportunity_id: int = id_path()
) -> Any:
    """Replace every product line (needs "change" on the opportunity); prices left out come from today's
    price lists in its currency. With ``update_amount`` its amount becomes the lines' net total."""
    opportunity = selectors.opportunity_for_products(user=request.user, pk=opportunity_id)
    services.opportunity_products_set(
        actor=request_actor(request),
        opportunity=opportunity,
        lines=[line.model_dump(exclude_none=True) for line in payload.lines],
        update_amount=payload.update_amount,
    )
    opportunity.refresh_from_db(fields=["amount", "currency", "version"])
    return _opportunity_products(opportunity)
