"""Small HTML helpers shared by templates and by the Python renderers of hot lists: icons and money.

The icon files are the vendored Lucide SVGs under ``clientela/web/templates/web/icons`` (see VENDORED.md);
the ``{% icon %}`` and ``{% money %}`` template tags are thin wrappers over these functions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from babel.numbers import format_currency, get_currency_precision
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

ICONS = Path(__file__).resolve().parent.parent / "web" / "templates" / "web" / "icons"
_COMMENT = re.compile(r"<!--.*?-->", re.S)


T = TypeVar("T")


def per_language(build: Callable[[], T]) -> Callable[[], T]:
    """``build()`` once per active language: the fixed texts of a page part built in Python, translated
    once rather than on every page."""
    cached = lru_cache(maxsize=16)(lambda language: build())
    return lambda: cached(get_language() or "")


def local_date(value: Any, format_name: str) -> str:
    """``{{ value|date:format_name }}`` in the current time zone, escaped."""
    return esc(date_filter(timezone.localtime(value), format_name))


def count_text(singular: str, plural: str, n: Any) -> str:
    """``{% blocktranslate count n=n %}``: the message is trusted, the number localised and escaped."""
    return ngettext(singular, plural, n) % {"n": esc(localize(n))}


def esc(value: Any) -> str:
    """A value as HTML text, quotes included (what autoescaping does to a plain value) for the pages
    built in Python."""
    return html.escape(str(value), quote=True)


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


_PROBES = (Decimal("11111.11"), Decimal("1111.11"))


@lru_cache(maxsize=256)
def _money_format(locale: str, currency: str) -> tuple[int, str, str, str, str, bool] | None:
    """How Babel writes ``currency`` in ``locale``, learnt once from two probe amounts: decimals, group and
    decimal symbols, the text around a positive and a negative number, and whether four-digit amounts are
    grouped (CLDR's minimum grouping: Spanish writes 1234,56 € but 12.345,67 €). None when the pattern is
    not the usual one; ``money`` then asks Babel every time."""
    digits = get_currency_precision(currency)
    big = format_currency(_PROBES[0], currency, locale=locale)
    small = format_currency(_PROBES[1], currency, locale=locale)
    negative = format_currency(-_PROBES[0], currency, locale=locale)
    number = f"{_PROBES[0]:,.{digits}f}" if digits else f"{_PROBES[0]:,.0f}"
    for group in (".", ",", "\u00a0", "\u202f", "'", " "):
        for decimal in (",", "."):
            if group == decimal:
                continue
            local = number.replace(",", "\x00").replace(".", decimal).replace("\x00", group)
            if local in big and local in negative:
                before, _sep, after = big.partition(local)
                neg_before, _sep, neg_after = negative.partition(local)
                grouped_small = f"{_PROBES[1]:,.{digits}f}".replace(",", "\x00").replace(".", decimal)
                four_grouped = grouped_small.replace("\x00", group) in small
                return (
                    digits,
                    group,
                    decimal,
                    before + "{}" + after,
                    neg_before + "{}" + neg_after,
                    four_grouped,
                )
    return None


def money(amount: Any, currency: str = "") -> str:
    """Amount with its currency, in the active locale (es: 1.234,56 €; en: €1,234.56).

    Babel's formatter cost 16.7 µs a call against 3.9 µs for this (measured on a busy 2-CPU machine), and a
    board of a hundred cards calls it hundreds of times per page, so the locale's pattern is learnt once
    (``_money_format``) and applied with str.format."""
    if amount in (None, ""):
        return ""
    locale = (get_language() or "en").replace("-", "_")
    code = currency or settings.CLIENTELA_DEFAULT_CURRENCY
    value = Decimal(amount)
    try:
        pattern = _money_format(locale, code)
    except Exception:  # an unknown locale or currency: let Babel say it the slow way (or raise as before)
        pattern = None
    if pattern is None or not value.is_finite():
        return format_currency(value, code, locale=locale)
    digits, group, decimal, positive, negative, four_grouped = pattern
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    magnitude = abs(rounded)
    grouped = four_grouped or magnitude >= 10_000
    text = f"{magnitude:,.{digits}f}" if grouped else f"{magnitude:.{digits}f}"
    text = text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)
    return (negative if value < 0 else positive).format(text)
