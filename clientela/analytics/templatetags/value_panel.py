"""``{% value_panel panel %}``: the customer page's value panel, built by ``clientela.analytics.render``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString

from clientela.analytics.render import value_html

register = template.Library()


@register.simple_tag
def value_panel(panel: Mapping[str, Any]) -> SafeString:
    return value_html(panel)
