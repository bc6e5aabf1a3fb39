"""``{% timeline_entries items party %}``: timeline entries rendered by ``clientela.interactions.render``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from clientela.interactions.models import Interaction
from clientela.interactions.render import entries_html

register = template.Library()


@register.simple_tag
def timeline_entries(items: Iterable[Interaction], party: Any, headings: bool = True) -> SafeString:
    """The entries with a heading per day (``headings=False`` for short lists such as upcoming ones)."""
    return entries_html(items, party.pk, day_headings=headings)
