"""``/v1/products`` and ``/v1/price-lists``: the catalogue over the API (reading needs the role's catalogue
"view" grant, writing its "add"/"change" grant; refusals are 403 since the catalogue is role-wide)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.products import PriceListDetail, PriceListOut, ProductIn, ProductOut, ProductPatch
from clientela.core.exceptions import NotPermitted
from clientela.products import selectors, services
from clientela.products.permissions import may_catalog

router = Router(tags=["products"])


def _require(request: HttpRequest, action: str) -> None:
    if not may_catalog(request.user, action):
        raise NotPermitted()


class ProductQuery(Schema):
    q: str = ""
    active: bool | None = None


@router.get(
    "/products",
    response={200: Paged[ProductOut], **WRITE_ERRORS},
    operation_id="products_list",
    summary="List products",
)
def products_list(
    request: HttpRequest,
    filters: Query[ProductQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Products by code, searched by code or name (``q``) and filtered by ``active``; keyset pages."""
    _require(request, "view")
    page = selectors.product_list(
        user=request.user, q=filters.q.strip(), active=filters.active, cursor=cursor, size=limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/products",
    response={201: ProductOut, **WRITE_ERRORS},
    operation_id="products_create",
    summary="Create a product",
)
def products_create(request: HttpRequest, response: HttpResponse, payload: ProductIn) -> Any:
    """Add a product or service; a taken ``code`` is a 422 on ``code``."""
    _require(request, "add")
    product = services.product_create(actor=request_actor(request), data=payload.model_dump())
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{product.pk}")
    with_etag(response, product)
    return Status(201, product)


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **WRITE_ERRORS},
    operation_id="products_get",
    summary="Get a product",
)
def products_get(request: HttpRequest, response: HttpResponse, product_id: int = id_path()) -> Any:
    """One product, with its ETag."""
    _require(request, "view")
    product = selectors.product_get(user=request.user, pk=product_id)
    with_etag(response, product)
    return product


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **VERSIONED_WRITE_ERRORS},
    operation_id="products_update",
    summary="Change a product",
)
def products_update(
    request: HttpRequest, response: HttpResponse, payload: ProductPatch, product_id: int = id_path()
) -> Any:
    """Change the fields sent; with ``If-Match``, a stale version is a 412."""
    _require(request, "change")
    product = selectors.product_get(user=request.user, pk=product_id)
    data = dict(payload.model_dump(exclude_unset=True).items())
    product = services.product_update(
        actor=request_actor(request),
        product=product,
        data=data,
        expected_version=expected_version(request, product),
    )
    with_etag(response, product)
    return product


@router.get(
    "/price-lists",
    response={200: list[PriceListOut], **WRITE_ERRORS},
    operation_id="price_lists_list",
    summary="List price lists",
)
def price_lists_list(request: HttpRequest, currency: str | None = None) -> Any:
    """Every price list (a handful per company), optionally of one currency."""
    _require(request, "view")
    qs = selectors.price_list_queryset(request.user)
    if currency:
        qs = qs.filter(currency=currency.upper())
    return list(qs)


@router.get(
    "/price-lists/{price_list_id}",
    response={200: PriceListDetail, **WRITE_ERRORS},
    operation_id="price_lists_get",
    summary="Get a price list with its prices",
)
def price_lists_get(request: HttpRequest, price_list_id: int = id_path()) -> Any:
    """One price list and the unit price of each product on it."""
    _require(request, "view")
    return selectors.price_list_get(user=request.user, pk=price_list_id)
