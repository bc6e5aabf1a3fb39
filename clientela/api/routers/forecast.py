"""``/v1/forecast`` (mounted at /api/v1): the sales forecast as JSON, the same figures as the page.

Read-only; restricted to the opportunities the caller may see (``StageTotal`` rows filtered by the
caller's opportunity scope, see ``clientela.sales.forecast.totals_scope_q``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from clientela.api.errors import invalid
from clientela.api.schemas.common import READ_ERRORS, Problem
from clientela.api.schemas.forecast import ForecastOut, ForecastQuery
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, Scope, user_scope
from clientela.sales.forecast import ForecastReport, forecast_filters, forecast_report
from clientela.sales.models import Pipeline

router = Router(tags=["forecast"])


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _totals(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": str(row.label),
        "count": row.count,
        "amount": str(row.amount),
        "weighted": str(row.weighted),
        "commit": str(row.commit),
        "best_case": str(row.best_case),
    }


def _period(p: Any) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "start": p.start,
        "label": p.label,
        "count": p.count,
        "amount": str(p.amount),
        "weighted": str(p.weighted),
        "commit": str(p.commit),
        "best_case": str(p.best_case),
        "weighted_by_category": {k: str(v) for k, v in p.weighted_by_category.items()},
        "historical": str(p.historical),
        "won": _s(p.won),
        "won_count": p.won_count,
        "forecast_on": p.forecast_on,
        "forecast_weighted": _s(p.forecast_weighted),
        "forecast_historical": _s(p.forecast_historical),
    }


def forecast_out(report: ForecastReport) -> dict[str, Any]:
    """The report as the API answers it (decimals as strings)."""
    return {
        "pipeline": {"id": report.pipeline.pk, "name": report.pipeline.name},
        "period": report.period,
        "currency": report.currency,
        "today": report.today,
        "total": _totals(report.total),
        "historical_total": str(report.historical_total),
        "periods": [_period(p) for p in report.periods],
        "past": [_period(p) for p in report.past],
        "stages": [
            {
                "stage_id": s.stage_id,
                "name": s.name,
                "probability": s.probability,
                "count": s.count,
                "amount": str(s.amount),
                "weighted": str(s.weighted),
                "historical": str(s.historical),
                "uses_history": s.uses_history,
                "win_rate": s.win_rate,
                "won": s.won,
                "closed": s.closed,
                "median_days_to_close": s.median_days,
            }
            for s in report.stages
        ],
        "categories": [_totals(c) for c in report.categories],
        "owners": [{**_totals(o), "owner_id": int(o.key) or None} for o in report.owners],
        "other_currencies": [_totals(o) for o in report.other_currencies],
        "rates_computed_at": report.rates_computed_at,
        "min_history": report.min_history,
    }


@router.get(
    "/forecast",
    response={200: ForecastOut, 403: Problem, **READ_ERRORS},
    operation_id="forecast_get",
    summary="Sales forecast",
)
def forecast_get(request: HttpRequest, filters: Query[ForecastQuery]) -> Any:
    """Weighted and unweighted open pipeline per period (month or quarter of expected close), by forecast
    category (commit, best case = commit + best case), stage and owner; the historical forecast (stage
    conversion rates); won amounts of past periods beside what the latest forecast snapshot taken on or
    before each period's first day forecast for it (``forecast_*``, null without a snapshot). One currency at a time: opportunities in other
    currencies are summed apart in ``other_currencies``, never converted."""
    user = request.user
    if user_scope(user, "opportunity", Action.VIEW) == Scope.NONE:
        raise NotPermitted(_("Your role does not let you see the sales forecast."))
    params = {k: v for k, v in filters.dict().items() if v is not None}
    parsed, errors = forecast_filters({k: str(v) for k, v in params.items()})
    if errors:
        raise invalid([{"field": name, "message": message} for name, message in errors.items()])
    try:
        report = forecast_report(user=user, filters=parsed)
    except Pipeline.DoesNotExist as exc:
        raise invalid([{"field": "pipeline", "message": _("There is no pipeline yet.")}]) from exc
    return forecast_out(report)
