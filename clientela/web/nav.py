"""The main navigation: which entries a user sees, and its HTML, kept per language, page and entries.

Every page draws the sidebar. Through the template engine its sixteen entries, each with a permission
test, a link and an icon, cost about a millisecond a page; the HTML only depends on the language, the
page it marks as current and the entries the user may see, so it is rendered once per such combination
and process. Who sees what is decided by the same permission functions the pages themselves use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import Action, Scope, user_scope
from clientela.identity.permissions import may_merge
from clientela.imports.permissions import may_import
from clientela.integrations.services import may_manage


def _views(object_type: str) -> Callable[[Any], bool]:
    def check(user: Any) -> bool:
        return user_scope(user, object_type, Action.VIEW) != Scope.NONE

    return check


@dataclass(frozen=True)
class NavItem:
    """One entry of the sidebar: where it leads, how it reads, when it is current and who sees it."""

    key: str
    route: str
    icon: str
    label: Promise
    current: tuple[str, ...] = ()  # the pages' ``nav`` values that mark this entry as the current page
    visible: Callable[[Any], bool] | None = None  # None: every signed-in user
    path: str = ""  # a fixed address instead of a route


NAV: tuple[NavItem, ...] = (
    NavItem("customers", "parties:list", "users", _("Customers"), ("customers",)),
    NavItem("tasks", "activities:my_day", "pencil", _("My day"), ("tasks",)),
    NavItem("sales", "sales:home", "star", _("Pipeline"), ("sales",), _views("opportunity")),
    NavItem(
        "opportunities",
        "sales:opportunities",
        "star",
        _("Opportunities"),
        ("opportunities",),
        _views("opportunity"),
    ),
    NavItem(
        "forecast",
        "sales:forecast",
        "chart-column",
        _("Sales forecast"),
        ("forecast",),
        _views("opportunity"),
    ),
    NavItem("leads", "sales:leads", "user", _("Leads"), ("leads",), _views("lead")),
    NavItem(
        "quotes",
        "orders:quote_list",
        "printer",
        _("Quotes and orders"),
        ("quotes", "orders"),
        _views("quote"),
    ),
    NavItem(
        "products", "products:list", "star", _("Products"), ("products", "price_lists"), _views("catalog")
    ),
    NavItem(
        "dashboards",
        "analytics:dashboard",
        "chart-column",
        _("Dashboards"),
        ("dashboards",),
        _views("analytics"),
    ),
    NavItem("segments", "segments:list", "users", _("Segments"), ("segments",), _views("segment")),
    NavItem("bin", "parties:bin", "trash-2", _("Recycle bin"), ("bin",)),
    NavItem("imports", "imports:list", "history", _("Imports"), ("imports",), may_import),
    NavItem("duplicates", "identity:queue", "users", _("Possible duplicates"), ("duplicates",), may_merge),
    NavItem(
        "sales_settings",
        "sales:pipelines",
        "pencil",
        _("Sales settings"),
        ("sales_settings",),
        _views("catalog"),
    ),
    NavItem(
        "webhooks", "integrations:webhooks", "link", _("Webhooks"), ("webhooks", "deliveries"), may_manage
    ),
    NavItem("api", "", "link", _("API"), path="/api/docs"),
)
_BY_KEY = {item.key: item for item in NAV}


def visible_entries(user: Any) -> tuple[str, ...]:
    """The keys of the entries ``user`` may see, in menu order."""
    return tuple(item.key for item in NAV if item.visible is None or item.visible(user))


def nav_html(user: Any, nav: str) -> SafeString:
    """The sidebar's list of entries for ``user``, with the entry of page ``nav`` marked as current."""
    key = (get_language() or "", nav or "", visible_entries(user), get_script_prefix(), get_urlconf())
    if settings.DEBUG:  # templates may change while the development server runs
        return _render(*key)
    return _remembered(*key)


def _render(language: str, nav: str, keys: tuple[str, ...], prefix: str, urlconf: str | None) -> SafeString:
    entries = [
        {
            "item": _BY_KEY[key],
            "href": _BY_KEY[key].path or reverse(_BY_KEY[key].route, urlconf=urlconf),
            "current": nav in _BY_KEY[key].current,
        }
        for key in keys
    ]
    return mark_safe(render_to_string("web/_nav.html", {"entries": entries}))


_remembered = lru_cache(maxsize=512)(_render)
