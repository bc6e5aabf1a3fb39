"""Small HTML helpers shared by templates and by the Python renderers of hot lists: icons and money.

The icon files are the vendored Lucide SVGs under ``clientela/web/templates/web/icons`` (see VENDORED.md);
the ``{% icon %}`` and ``{% money %}`` template tags are thin wrappers over these functions.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_currency
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

ICONS = Path(__file__).resolve().parent.parent / "web" / "templates" / "web" / "icons"
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@lru_cache(maxsize=64)
def _svg(name: str) -> str:
    path = ICONS / f"{name}.svg"
    if not re.fullmatch(r"[a-z0-9-]+", name) or not path.exists():
        return ""
    return " ".join(_COMMENT.sub("", path.read_text()).split())


@lru_cache(maxsize=128)
def icon(name: str, size: int = 16) -> SafeString:
    """An inline Lucide icon, hidden from screen readers (the text next to it says what it means)."""
    svg = _svg(name)
    if not svg:
        return mark_safe("")
    svg = svg.replace('width="24"', f'width="{int(size)}"').replace('height="24"', f'height="{int(size)}"')
    return mark_safe(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def money(amount: Any, currency: str = "") -> str:
    """Amount with its currency, in the active locale (es: 1.234,56 €; en: €1,234.56)."""
    if amount in (None, ""):
        return ""
    locale = (get_language() or "en").replace("-", "_")
    return format_currency(Decimal(amount), currency or settings.CLIENTELA_DEFAULT_CURRENCY, locale=locale)
