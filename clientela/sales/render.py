"""The board's cards rendered in Python: a board shows over a hundred of them, and the template engine
(an include, three links, money and a date per card) cost more than all of the board's SQL.
``sales/_card.html`` stays the reference for the markup; the tests compare the two."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientela.core.html import money
from clientela.core.urls import fast_reverse as link

CARD = (
    '<li class="board-card" id="opp-{id}" tabindex="0" draggable="true" data-id="{id}" data-version="{version}" '
    'data-stage="{stage}"\n    data-move-url="{move}" aria-label="{name}, {amount}">\n'
    '  <a class="fw-semibold d-block" href="{url}">{name}</a>\n'
    '  <span class="small d-block"><a href="{party_url}">{party}</a></span>\n'
    '  <span class="small d-block">{amount} · {probability}%</span>\n'
    '  <span class="small muted d-block">{closes}{owner}</span>\n'
    "</li>\n"
)


def owner_name(card: Mapping[str, Any]) -> str:
    first, last = card.get("owner__first_name") or "", card.get("owner__last_name") or ""
    if first or last:
        return f"{first} {last}"
    return card.get("owner__username") or "—"


def _route(name: str) -> tuple[str, str]:
    """(before, after) the id in the route's URL, reversed once per call of ``cards_html``."""
    marker = 918_273_645
    before, _sep, after = link(name, marker).partition(str(marker))
    return before, after


def cards_html(cards: Iterable[Mapping[str, Any]]) -> SafeString:
    """Every card of a column; links, labels and dates are worked out once for all of them."""
    move, detail, party = (
        _route("sales:opportunity_move"),
        _route("sales:opportunity"),
        _route("parties:detail"),
    )
    closes_label = escape(_("Closes"))
    dates: dict[Any, str] = {}
    out = []
    for card in cards:
        close = card.get("expected_close_date")
        if close:
            if close not in dates:
                dates[close] = escape(date_format(close, "SHORT_DATE_FORMAT"))
            closes = f"{closes_label} {dates[close]} · "
        else:
            closes = ""
        amount = escape(money(card["amount"], card["currency"]))
        pk = card["id"]
        out.append(
            CARD.format(
                id=pk,
                version=int(card["version"]),
                stage=int(card["stage_id"]),
                move=f"{move[0]}{pk}{move[1]}",
                url=f"{detail[0]}{pk}{detail[1]}",
                party_url=f"{party[0]}{card['party_id']}{party[1]}",
                name=escape(card["name"]),
                party=escape(card["party__display_name"]),
                amount=amount,
                probability=int(card["probability"]),
                closes=closes,
                owner=escape(owner_name(card)),
            )
        )
    return mark_safe("".join(out))


def card_html(card: Mapping[str, Any]) -> SafeString:
    return cards_html([card])
