"""The opportunity page's panels: its products (with their net total) and its quotes (current versions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from clientela.core.permissions import Action, Scope, can_loaded, user_scope
from clientela.orders.selectors import opportunity_products, quote_queryset
from clientela.orders.services.opportunity_products import products_total
from clientela.orders.totals import plain


def opportunity_quotes_context(
    request: HttpRequest, opportunity: Any, state: Mapping[str, Any]
) -> dict[str, Any]:
    user = request.user
    if user_scope(user, "quote", Action.VIEW) == Scope.NONE:
        return {"quotes": None}
    quotes = list(
        quote_queryset(user)
        .filter(opportunity=opportunity, is_current=True)
        .order_by("-created_at", "-pk")[:20]
    )
    return {"quotes": quotes, "can_add_quote": user_scope(user, "quote", Action.ADD) != Scope.NONE}


def opportunity_products_context(
    request: HttpRequest, opportunity: Any, state: Mapping[str, Any]
) -> dict[str, Any]:
    """The opportunity's products with their net total; who may change the deal gets the edit link."""
    lines = opportunity_products(opportunity=opportunity)
    for line in lines:
        line.quantity_shown = plain(line.quantity)
        line.discount_shown = plain(line.discount_percent)
    user = request.user
    return {
        "lines": lines,
        "total": products_total(lines),
        "can_change": can_loaded(user, Action.CHANGE, opportunity),
        "can_add_quote": bool(lines) and user_scope(user, "quote", Action.ADD) != Scope.NONE,
    }
