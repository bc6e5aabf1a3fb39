"""The opportunity page's quotes panel: the quotes made for the deal (current versions) and a new one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from clientela.core.permissions import Action, Scope, user_scope
from clientela.orders.selectors import quote_queryset


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
