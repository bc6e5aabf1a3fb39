"""``/v1/search``: the global customer search (the web header's), ranked and limited to what the user may see."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from clientela.api.errors import invalid
from clientela.api.schemas.common import READ_ERRORS
from clientela.api.schemas.search import SearchOut
from clientela.core.search import Hit, parse_query
from clientela.core.text import fold
from clientela.parties.normalize import format_phone
from clientela.parties.search import Card, party_search

router = Router(tags=["search"])

MAX_RESULTS = 20
MAX_QUERY = 200


def _key(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(value or ""))


def _match(card: Card, hit: Hit, query: Any) -> str:
    """Name, email, phone, tax id or an id in another system, from the index column that matched."""
    if hit.column == "contact":
        return "email" if query.email else "phone"
    if hit.column == "ids":
        tax = _key(card.tax_id)
        return "tax_id" if tax and query.ident and tax.startswith(_key(query.ident)) else "external_id"
    return "name"


def _subtitle(card: Card) -> str:
    """Primary email, phone and city: the second line of the web search's suggestions."""
    phone = format_phone(card.phone, settings.CLIENTELA_DEFAULT_REGION) if card.phone else ""
    return " · ".join(p for p in (card.email, phone, card.city) if p)


@router.get("", response={200: SearchOut, **READ_ERRORS}, operation_id="search")
def search(
    request: HttpRequest,
    q: str = Query(
        ...,
        min_length=1,
        max_length=MAX_QUERY,
        description="Name, email, phone or tax id; typos are forgiven",
    ),
    limit: int = Query(MAX_RESULTS, ge=1, le=MAX_RESULTS, description="How many (1-20)"),
) -> Any:
    """The best customers matching ``q`` (as the web header's search finds them), best first."""
    if not q.strip():
        raise invalid([{"field": "q", "message": _("Type what to search for.")}])
    query = parse_query(q, settings.CLIENTELA_DEFAULT_REGION)
    items = [
        {
            "id": card.pk,
            "kind": card.kind,
            "display_name": card.display_name,
            "match": _match(card, hit, query),
            "tier": hit.tier,
            "score": round(hit.score, 4),
            "subtitle": _subtitle(card),
        }
        for card, hit in party_search(user=request.user, q=q, limit=limit)
    ]
    return {"items": items}
