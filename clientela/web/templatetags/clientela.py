"""Template helpers: inline icons, phone and money formatting, relative times."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from clientela.core import html
from clientela.core.choices import choice_label
from clientela.core.countries import country_name
from clientela.core.urls import fast_reverse
from clientela.parties.normalize import format_phone

register = template.Library()
ICONS = Path(__file__).resolve().parent.parent / "templates" / "web" / "icons"
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@register.simple_tag
def icon(name: str, size: int = 16) -> SafeString:
    """An inline Lucide icon, hidden from screen readers (the text next to it says what it means)."""
    return html.icon(name, int(size))


@register.filter
def phone(e164: str) -> str:
    """National format for numbers of the default region, international otherwise."""
    return format_phone(e164, settings.CLIENTELA_DEFAULT_REGION) if e164 else ""


@register.filter
def email_wrap(address: str) -> SafeString:
    """An email address that may wrap before the "@" (never inside a word) in narrow table columns."""
    local, at, domain = (address or "").rpartition("@")
    if not at:
        return format_html("{}", address or "")
    return format_html("{}<wbr>@{}", local, domain)


@register.filter
def country(code: str) -> str:
    return country_name(code)


@register.filter
def language_name(code: str) -> str:
    """A language code by its name in the active language ("es" reads "Spanish" in English, "español" in Spanish)."""
    if not code:
        return ""
    return _language_name(code, get_language() or "en")


@lru_cache(maxsize=1024)
def _language_name(code: str, viewer_code: str) -> str:
    # Babel parses both locales on every call (about 70 µs, on every customer page)
    try:
        viewer = Locale.parse(viewer_code.replace("-", "_"))
        name = Locale.parse(code.replace("-", "_")).get_display_name(viewer)
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:] if name else code


@register.simple_tag
def money(amount: Any, currency: str = "") -> str:
    """Amount with its currency, in the active locale (es: 1.234,56 €; en: €1,234.56)."""
    return html.money(amount, currency)


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one); keeps filters in links."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def field_label(change: Any) -> str:
    """The translated label of the field a change row names."""
    model = change.object_type.model_class() if change.object_type_id else None
    if model is None or not change.field:
        return change.field
    try:
        return str(model._meta.get_field(change.field).verbose_name)
    except Exception:
        return change.field


@register.simple_tag
def badge(text: str, kind: str = "secondary") -> SafeString:
    return format_html('<span class="badge text-bg-{}">{}</span>', kind, text)


@register.simple_tag
def link(name: str, *args: Any) -> str:
    """``{% url %}`` for the hot pages, remembered per process: the routes never change while it runs,
    and reversing each of a page's twenty links again cost about a tenth of the customer page. Routes
    taking only integer ids are reversed once per route (a board shows hundreds of different cards)."""
    return fast_reverse(name, *args)


@register.simple_tag(takes_context=True)
def main_nav(context: Any, nav: str = "") -> SafeString:
    """The sidebar's entries the signed-in user may see (``clientela.web.nav``)."""
    from clientela.web.nav import nav_html

    return nav_html(context.get("user"), nav or "")


@register.simple_tag(takes_context=True)
def topbar(context: Any) -> SafeString:
    """The page's top bar (``web/_topbar.html``), rendered once per language and signed-in state; the
    search text, user name, page address and CSRF token are filled in per request (``clientela.web.frozen``).
    """
    from clientela.web.frozen import frozen_html

    request = context.get("request")
    user = context.get("user")
    authenticated = bool(user is not None and user.is_authenticated)
    holes = {
        "q": request.GET.get("q", "") if request is not None else "",
        "username": user.get_username() if authenticated else "",
        "next_path": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
    if not holes["csrf_token"]:  # rendered without a request: {% csrf_token %} draws nothing then
        return mark_safe(render_to_string("web/_topbar.html", {"authenticated": authenticated, **holes}))
    return frozen_html("web/_topbar.html", fixed={"authenticated": authenticated}, holes=holes)


@register.filter
def label(obj: Any, field_name: str) -> Any:
    """``{{ cp|label:"kind" }}`` is ``{{ cp.get_kind_display }}``, translated once per field and language."""
    return choice_label(obj, field_name)
