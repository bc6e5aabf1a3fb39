"""Template fragments rendered once per language, with their per-request values left as holes.

The top bar of every page (search box, buttons, account menu, language form) is some forty template
nodes of fixed text, icons, links and translations around four values that change per request: the
search text, the user name, the page address and the CSRF token. Rendering it cost about half a
millisecond a page. ``frozen_html`` renders such a template once per language and set of fixed values
with markers in place of the per-request values, keeps the text between the markers, and on each request
only joins that text with the values, escaped as ``{{ value }}`` would escape them.

A hole may only be printed (``{{ name }}``, or ``{% csrf_token %}`` for a ``csrf_token`` that is never
empty): the template is rendered with two kinds of marker, which must give the same text around them,
and with empty values, which must give what the kept text gives; so a hole that is tested, measured or
filtered is refused (``ImproperlyConfigured``) instead of being frozen with a marker's value.
Anything else that shapes the HTML goes in ``fixed`` (it is part of the key), and the template sees
nothing but ``fixed`` and the holes.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# Two kinds of marker, of different lengths and with letters, so that a filter, a length or a case change
# applied to a hole shows as a difference between the two renders or as a marker left in the text.
_MARKS = (("\x00", "x"), ("\x01", "yY"))


def _split(html: str, mark: tuple[str, str], holes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    edge, letters = (re.escape(m) for m in mark)
    pieces = re.split(f"{edge}(\\d+){letters}{edge}", html)
    return pieces[0::2], [holes[int(i)] for i in pieces[1::2]]


def _join(texts: tuple[str, ...], order: tuple[str, ...], holes: Mapping[str, Any]) -> str:
    out = [texts[0]]
    for name, text in zip(order, texts[1:], strict=True):
        out.append(conditional_escape(holes[name]))
        out.append(text)
    return "".join(out)


def _render(
    template_name: str, fixed: tuple[tuple[str, Hashable], ...], holes: tuple[str, ...], *_key: Any
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    splits = []
    for edge, letters in _MARKS:
        context = {**dict(fixed), **{name: f"{edge}{i}{letters}{edge}" for i, name in enumerate(holes)}}
        splits.append(_split(render_to_string(template_name, context), (edge, letters), holes))
    (texts, order), other = splits
    # empty values (but the CSRF token, which is never empty here) catch a hole tested for truth
    empty = {name: "" if name != "csrf_token" else "-" for name in holes}
    if (
        other != (texts, order)
        or any(edge in text for text in texts for edge, _ in _MARKS)
        or _join(tuple(texts), tuple(order), empty)
        != render_to_string(template_name, {**dict(fixed), **empty})
    ):
        raise ImproperlyConfigured(
            f"{template_name}: a per-request value is used other than printed; pass it in 'fixed' instead."
        )
    return tuple(texts), tuple(order)


_remembered = lru_cache(maxsize=256)(_render)


def frozen_html(template_name: str, *, fixed: Mapping[str, Hashable], holes: Mapping[str, Any]) -> SafeString:
    """``template_name`` rendered with ``fixed`` and ``holes`` as its context (nothing else)."""
    key = (
        template_name,
        tuple(sorted(fixed.items())),
        tuple(holes),
        get_language() or "",
        get_script_prefix(),
        get_urlconf(),
    )
    texts, order = (_render if settings.DEBUG else _remembered)(*key)
    return mark_safe(_join(texts, order, holes))
