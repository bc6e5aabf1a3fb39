"""Reads of the catalogue: product lists, price lists and the price of a product on a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _

from clientela.core.pagination import Page, keyset_page
from clientela.products.models import PriceList, PriceListItem, Product
from clientela.products.permissions import may_catalog


class NoPrice(ValidationError):
    """No valid price list in the currency has a price for the product on the date."""


def product_queryset(user: Any) -> QuerySet[Product]:
    """Every product when the role may read the catalogue, none otherwise."""
    return Product.objects.all() if may_catalog(user, "view") else Product.objects.none()


def product_list(
    *, user: Any, q: str = "", active: bool | None = None, cursor: str | None = None, size: int = 50
) -> Page:
    """One keyset page of products by code, searched by code or name and filtered by the active flag."""
    qs = product_queryset(user)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return keyset_page(qs, ordering=("code", "id"), kinds=("str", "int"), cursor=cursor, size=size)


def product_get(*, user: Any, pk: int) -> Product:
    product = product_queryset(user).filter(pk=pk).first()
    if product is None:
        raise Http404
    return product


def price_list_queryset(user: Any) -> QuerySet[PriceList]:
    qs = PriceList.objects.all() if may_catalog(user, "view") else PriceList.objects.none()
    return qs.annotate(item_count=Count("items"))


def price_list_get(*, user: Any, pk: int) -> PriceList:
    """One price list with its items and their products loaded (two queries)."""
    price_list = price_list_queryset(user).filter(pk=pk).first()
    if price_list is None:
        raise Http404
    price_list.loaded_items = list(  # type: ignore[attr-defined]
        PriceListItem.objects.filter(price_list=price_list).select_related("product")
    )
    return price_list


def valid_price_lists(currency: str, on_date: dt.date) -> QuerySet[PriceList]:
    """Active lists in ``currency`` valid on ``on_date``, the most recently started first."""
    return (
        PriceList.objects.filter(currency=currency.upper(), is_active=True, valid_from__lte=on_date)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on_date))
        .order_by("-valid_from", "-id")
    )


def _no_list(currency: str, on_date: dt.date) -> NoPrice:
    return NoPrice(
        _("No price list in %(currency)s is valid on %(date)s.")
        % {"currency": currency.upper(), "date": formats.date_format(on_date, "SHORT_DATE_FORMAT")}
    )


def prices_for(
    products: Iterable[Product],
    currency: str,
    on_date: dt.date,
    price_list: PriceList | None = None,
) -> dict[int, Decimal]:
    """Unit prices by product id (two queries for any number of products); missing products are absent.

    With ``price_list`` only that list is read; otherwise every valid list in the currency, the most
    recently started winning. Raises ``NoPrice`` when no list in the currency is valid on the date.
    """
    ids = {p.pk for p in products}
    if price_list is not None:
        lists = [price_list]
    else:
        lists = list(valid_price_lists(currency, on_date))
        if not lists:
            raise _no_list(currency, on_date)
    rank = {pl.pk: n for n, pl in enumerate(lists)}
    found: dict[int, tuple[int, Decimal]] = {}
    items = PriceListItem.objects.filter(price_list_id__in=list(rank), product_id__in=ids)
    for item in items.values("price_list_id", "product_id", "unit_price"):
        n = rank[item["price_list_id"]]
        current = found.get(item["product_id"])
        if current is None or n < current[0]:
            found[item["product_id"]] = (n, item["unit_price"])
    return {pk: price for pk, (_n, price) in found.items()}


def price_for(product: Product, currency: str, on_date: dt.date) -> Decimal:
    """The product's unit price in ``currency`` on ``on_date``; ``NoPrice`` with a clear message if none."""
    prices = prices_for([product], currency, on_date)
    if product.pk not in prices:
        raise NoPrice(
            _("%(product)s has no price in the %(currency)s price lists valid on %(date)s.")
            % {
                "product": product.code,
                "currency": currency.upper(),
                "date": formats.date_format(on_date, "SHORT_DATE_FORMAT"),
            }
        )
    return prices[product.pk]
