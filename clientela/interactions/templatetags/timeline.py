"""Timeline and activity panel tags: HTML built by ``clientela.interactions.render`` and ``render_panel``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from clientela.interactions.models import Interaction
from clientela.interactions.render import entries_html
from clientela.interactions.render_panel import (
    activity_html,
    figures_html,
    quick_form_html,
    timeline_page_html,
)

register = template.Library()


@register.simple_tag
def timeline_entries(items: Iterable[Interaction], party: Any, headings: bool = True) -> SafeString:
    """The entries with a heading per day (``headings=False`` for short lists such as upcoming ones)."""
    return entries_html(items, party.pk, day_headings=headings)


@register.simple_tag(takes_context=True)
def activity_panel(context: Any, panel: Mapping[str, Any]) -> SafeString:
    """The customer page's activity panel: composer, upcoming activities, filters, first timeline page."""
    return activity_html(panel, context.get("csrf_token"))


@register.simple_tag
def figures_panel(panel: Mapping[str, Any]) -> SafeString:
    """The key figures under the customer's header."""
    return figures_html(panel)


@register.simple_tag(takes_context=True)
def quick_form(context: Any, form: Any, party: Any, kind: str) -> SafeString:
    return mark_safe(quick_form_html(form, party.pk, kind, context.get("csrf_token")))


@register.simple_tag
def timeline_page(timeline: Any, party: Any, timeline_query: str) -> SafeString:
    return mark_safe(timeline_page_html(timeline, party.pk, timeline_query))
