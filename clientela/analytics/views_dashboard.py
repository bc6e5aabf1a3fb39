"""Dashboard pages: ``/analytics/`` (tiles loaded one by one with htmx, each failing on its own), one URL
per tile (``?format=csv`` downloads the same table), the churn-risk list and the "what to correct" page.

The page follows the user's analytics *view* scope, the CSV files the *export* scope; the figures are always
computed over the customers the user may see (``dashboard_scope.party_q``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clientela.analytics import cohorts, dashboard, dashboard_sales, dashboard_scores, rates
from clientela.analytics.dashboard_scope import (
    PRESETS,
    Filters,
    cached,
    dashboard_scope,
    parse_filters,
    segment_choices,
    team_choices,
)
from clientela.analytics.dashboard_table import Table
from clientela.analytics.models import ChurnRisk
from clientela.core.permissions import Action, Scope

log = logging.getLogger(__name__)

Builder = Callable[[Any, Filters, str], Table | None]


def _cohorts(user: Any, filters: Filters, action: str) -> list[cohorts.Cohort]:
    """The cohorts behind two tiles (retention and revenue), computed once for both."""
    return cached("cohort-list", user, action, filters, lambda: cohorts.cohorts(user, filters, action))


# tile -> (builder, cached?): every tile that scans the period's ledger rows or all scores is cached
# (see dashboard_scope.cached; the measured timings are in dashboard_scope's docstring)
TILES: dict[str, tuple[Builder, bool]] = {
    "revenue": (dashboard.revenue_by_month, True),
    "customers": (dashboard.new_vs_returning, True),
    "rfm": (dashboard_scores.rfm_segments, True),
    "rfm_grid": (dashboard_scores.rfm_grid, True),
    "clv": (dashboard_scores.clv_histogram, True),
    "alive": (dashboard_scores.alive_vs_recency, True),
    "cohorts": (lambda u, f, a: cohorts.retention_table(_cohorts(u, f, a), f), False),
    "cohort_revenue": (lambda u, f, a: cohorts.revenue_table(_cohorts(u, f, a), f), False),
    "complaints": (dashboard.complaints_by_category, True),
    "funnel": (dashboard_sales.pipeline_funnel, False),
    "rates_product": (rates.rates_by_product, True),
    "rates_segment": (rates.rates_by_segment, True),
    "rates_month": (rates.rates_by_month, True),
}
DASHBOARD_TILES = [
    "revenue",
    "customers",
    "rfm",
    "rfm_grid",
    "clv",
    "alive",
    "cohorts",
    "cohort_revenue",
    "complaints",
    "funnel",
]
RATES_TILES = ["rates_product", "rates_segment", "rates_month"]
MORE_LINKS = {
    "alive": ("analytics:churn", gettext_lazy("Customers at high risk of churning")),
    "rfm": ("analytics:churn", gettext_lazy("Customers at high risk of churning")),
    "complaints": ("analytics:rates", gettext_lazy("What to correct: rates by product, segment and month")),
}
FILTER_LABELS = {
    "preset": gettext_lazy("Period"),
    "period": gettext_lazy("Period"),
    "team": gettext_lazy("Team"),
    "segment": gettext_lazy("Segment"),
    "currency": gettext_lazy("Currency"),
}


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/403.html", {"message": message}, status=403)


def _gate(request: HttpRequest, action: str) -> HttpResponse | None:
    if dashboard_scope(request.user, action) != Scope.NONE:
        return None
    if action == Action.EXPORT:
        return _refused(request, _("Your role does not let you download analytics figures."))
    return _refused(request, _("Your role does not let you see the dashboards."))


def _page_context(request: HttpRequest, nav: str) -> dict[str, Any]:
    filters, errors = parse_filters(request.GET, request.user)
    return {
        "filters": filters,
        "query": urlencode(filters.params()),
        "filter_errors": [(str(FILTER_LABELS.get(k, k)), v) for k, v in errors.items()],
        "presets": [(k, str(v)) for k, v in PRESETS.items()],
        "teams": team_choices(request.user),
        "segments": segment_choices(request.user),
        "can_export": dashboard_scope(request.user, Action.EXPORT) != Scope.NONE,
        "nav": nav,
    }


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The dashboard shell: filters and one placeholder per tile (each loads itself)."""
    refused = _gate(request, Action.VIEW)
    if refused:
        return refused
    context = _page_context(request, "dashboards")
    context["tiles"] = DASHBOARD_TILES
    return render(request, "analytics/dashboard.html", context)


@login_required
@require_GET
def rates_page(request: HttpRequest) -> HttpResponse:
    """What to correct: complaint, return and suggestion rates by product, RFM segment and month."""
    refused = _gate(request, Action.VIEW)
    if refused:
        return refused
    context = _page_context(request, "dashboards")
    context["tiles"] = RATES_TILES
    return render(request, "analytics/dashboard_rates.html", context)


def build_tile(user: Any, name: str, filters: Filters, action: str) -> Table | None:
    builder, heavy = TILES[name]
    if heavy:
        return cached(name, user, action, filters, lambda: builder(user, filters, action))
    return builder(user, filters, action)


@login_required
@require_GET
def dashboard_tile(request: HttpRequest, tile: str) -> HttpResponse:
    """One tile as an HTML fragment, or its table as CSV (``?format=csv``)."""
    if tile not in TILES and tile != "kpis":
        raise Http404
    csv_wanted = request.GET.get("format") == "csv"
    action = Action.EXPORT if csv_wanted else Action.VIEW
    refused = _gate(request, action)
    if refused:
        return refused
    filters, _errors = parse_filters(request.GET, request.user)
    try:
        if tile == "kpis":
            items = cached(
                "kpis", request.user, action, filters, lambda: dashboard.kpis(request.user, filters, action)
            )
            table: Table | None = dashboard.kpi_table(items, filters)
        else:
            items, table = [], build_tile(request.user, tile, filters, action)
    except Exception:  # one failing tile must not take the dashboard down; the error is logged
        log.exception("dashboard tile %s failed", tile)
        if csv_wanted:
            return HttpResponse(
                _("This figure could not be computed."), status=500, content_type="text/plain"
            )
        return render(request, "analytics/dashboard_tile_error.html", {"tile": tile}, status=200)
    if csv_wanted:
        if table is None:
            raise Http404
        return table.csv_response(f"{tile}-{filters.date_from}-{filters.date_to}-{filters.currency}")
    query = urlencode(filters.params())
    context = {
        "filters": filters,
        "tile": tile,
        "table": table,
        "rows": table.display() if table is not None else [],
        "csv_url": f"{reverse('analytics:dashboard_tile', args=[tile])}?{query}&format=csv",
        "can_export": dashboard_scope(request.user, Action.EXPORT) != Scope.NONE,
        "more": MORE_LINKS.get(tile),
        "query": query,
        "spec_id": f"tile-{tile}-data",
    }
    if tile == "kpis":
        context["kpis"] = items
        return render(request, "analytics/dashboard_kpis.html", context)
    return render(request, "analytics/dashboard_tile.html", context)


@login_required
@require_GET
def churn_page(request: HttpRequest) -> HttpResponse:
    """Customers at high (or ``?risk=medium``) churn risk, most valuable first, with the reason."""
    refused = _gate(request, Action.VIEW)
    if refused:
        return refused
    context = _page_context(request, "dashboards")
    filters = context["filters"]
    risk = request.GET.get("risk") or ChurnRisk.HIGH
    if risk not in ChurnRisk.values:
        risk = ChurnRisk.HIGH
    qs = dashboard_scores.churn_list(request.user, filters, Action.VIEW, risk=risk)
    page = Paginator(qs, 50, allow_empty_first_page=True).get_page(request.GET.get("page"))
    counts = dashboard_scores.churn_counts(request.user, filters, Action.VIEW)
    context.update(
        {
            "page": page,
            "risk": risk,
            "risks": [(value, label, counts.get(value, 0)) for value, label in ChurnRisk.choices],
        }
    )
    return render(request, "analytics/dashboard_churn.html", context)
