"""Template filters of the sales pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from clientela.sales.render import cards_html

register = template.Library()


@register.simple_tag
def board_cards(cards: Iterable[Mapping[str, Any]]) -> SafeString:
    """The cards of a board column (rendered in Python: see ``clientela.sales.render``)."""
    return cards_html(cards)


@register.filter
def stage_duration(seconds: int | None) -> str:
    """A time spent in a stage, to the two largest units: "3 days 4 hours", "25 minutes"."""
    if seconds is None:
        return ""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours and len(parts) < 2:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days and len(parts) < 2:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts) or ngettext("%(n)d minute", "%(n)d minutes", 0) % {"n": 0}
