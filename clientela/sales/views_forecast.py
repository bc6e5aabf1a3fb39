"""The forecast page ``/sales/forecast/``: filters, key figures and four charts, each with its table and CSV.

The numbers come from one selector call (``clientela.sales.forecast.forecast_report``); this module only
lays them out as tables. One table per chart feeds the chart's JSON, the ``<details>`` table view and the
``?format=csv&table=<name>`` download, so the three always show the same figures. The CSV follows the
user's export scope (as every export does); the page follows the view scope.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clientela.accounts.models import Team, User
from clientela.core import html
from clientela.core.permissions import Action, Scope, user_scope, user_team_ids
from clientela.sales.forecast import ZERO, ForecastReport, forecast_filters, forecast_report
from clientela.sales.models import Pipeline

TABLES = ("periods", "forecast", "stages", "owners")
FILTER_LABELS = {
    "pipeline": gettext_lazy("Pipeline"),
    "period": gettext_lazy("Period"),
    "owner": gettext_lazy("Owner"),
    "team": gettext_lazy("Team"),
    "currency": gettext_lazy("Currency"),
    "horizon": gettext_lazy("Periods ahead"),
}


@dataclass
class Table:
    """One chart's data: columns (label, kind: text|int|money|pct|days|date), rows of raw values, and the
    chart spec for ``web/charts.js``."""

    name: str
    title: str
    summary: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]
    spec: dict[str, Any] = field(default_factory=dict)

    def display(self, currency: str) -> list[list[tuple[str, bool]]]:
        """Rows as (text, numeric) cells in the active language."""
        out = []
        for row in self.rows:
            cells = []
            for (_label, kind), value in zip(self.columns, row, strict=True):
                cells.append((_cell(value, kind, currency), kind not in ("text", "date")))
            out.append(cells)
        return out


def _cell(value: Any, kind: str, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == "money":
        return html.money(value, currency)
    if kind == "pct":
        return f"{formats.number_format(value, 1, use_l10n=True)} %"
    if kind == "days":
        return formats.number_format(round(value), 0, use_l10n=True, force_grouping=True)
    if kind == "int":
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "date":
        return value.isoformat() if value else ""
    return str(value)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def forecast_tables(report: ForecastReport) -> list[Table]:
    """The four tables (and charts) of the page, in page order."""
    money, cur = "money", report.currency
    horizon = [p for p in report.periods if p.kind == "period"]
    categories = {c.key: str(c.label) for c in report.categories}
    periods = Table(
        "periods",
        _("How much weighted pipeline is expected to close in each period?"),
        _("Amount × probability of the open opportunities, by expected close date and forecast category."),
        [
            (_("Period"), "text"),
            (_("Opportunities"), "int"),
            (_("Amount"), money),
            (_("Commit"), money),
            (_("Best case"), money),
            (_("Weighted: commit"), money),
            (_("Weighted: best case"), money),
            (_("Weighted: pipeline"), money),
            (_("Weighted total"), money),
        ],
        [
            [
                p.label,
                p.count,
                p.amount,
                p.commit,
                p.best_case,
                p.weighted_by_category.get("commit", ZERO),
                p.weighted_by_category.get("best_case", ZERO),
                p.weighted_by_category.get("pipeline", ZERO),
                p.weighted,
            ]
            for p in report.periods
        ],
        {
            "type": "stacked-bar",
            "currency": cur,
            "labels": [p.label for p in report.periods],
            "datasets": [
                {
                    "label": categories[key],
                    "data": [_num(p.weighted_by_category.get(key, ZERO)) for p in report.periods],
                }
                for key in ("commit", "best_case", "pipeline")
            ],
        },
    )
    timeline = [*report.past, *horizon]
    forecast = Table(
        "forecast",
        _("Won so far, and what the pipeline and history forecast for each period"),
        _(
            "Past periods show what was won beside the weighted forecast at the start of the period (the "
            "latest forecast snapshot taken on or before its first day; — when none was taken). Current and "
            "future periods show the weighted pipeline (stage probabilities) and the historical forecast "
            "(conversion rates of each stage)."
        ),
        [
            (_("Period"), "text"),
            (_("Won"), money),
            (_("Weighted forecast at period start"), money),
            (_("Historical forecast at period start"), money),
            (_("Weighted pipeline"), money),
            (_("Historical forecast"), money),
        ],
        [
            [
                p.label,
                p.won,
                p.forecast_weighted,
                p.forecast_historical,
                p.weighted if p.kind == "period" else None,
                p.historical if p.kind == "period" and p.historical else None,
            ]
            for p in timeline
        ],
        {
            "type": "bar",
            "currency": cur,
            "labels": [p.label for p in timeline],
            "datasets": [
                {"label": _("Won"), "data": [_num(p.won) for p in timeline]},
                {
                    "label": _("Weighted forecast at period start"),
                    "type": "line",
                    "data": [_num(p.forecast_weighted) for p in timeline],
                },
                {
                    "label": _("Weighted pipeline"),
                    "type": "line",
                    "data": [_num(p.weighted) if p.kind == "period" else None for p in timeline],
                },
                {
                    "label": _("Historical forecast"),
                    "type": "line",
                    "data": [_num(p.historical) if p.kind == "period" else None for p in timeline],
                },
            ],
        },
    )
    stages = Table(
        "stages",
        _("How much is open in each stage?"),
        _("Open amount and weighted amount per stage, first stage on top."),
        [
            (_("Stage"), "text"),
            (_("Opportunities"), "int"),
            (_("Amount"), money),
            (_("Stage probability (%)"), "int"),
            (_("Weighted amount"), money),
            (_("Historical win rate (%)"), "pct"),
            (_("Closed opportunities in history"), "int"),
            (_("Median days to close"), "days"),
            (_("Historical forecast"), money),
        ],
        [
            [
                s.name,
                s.count,
                s.amount,
                s.probability,
                s.weighted,
                s.win_rate * 100 if s.win_rate is not None else None,
                s.closed,
                s.median_days,
                s.historical,
            ]
            for s in report.stages
        ],
        {
            "type": "bar",
            "horizontal": True,
            "currency": cur,
            "labels": [s.name for s in report.stages],
            "datasets": [
                {"label": _("Amount"), "data": [_num(s.amount) for s in report.stages]},
                {"label": _("Weighted amount"), "data": [_num(s.weighted) for s in report.stages]},
            ],
        },
    )
    owners = Table(
        "owners",
        _("Whose pipeline is it?"),
        _("Open opportunities per owner, with what each one commits."),
        [
            (_("Owner"), "text"),
            (_("Opportunities"), "int"),
            (_("Amount"), money),
            (_("Commit"), money),
            (_("Best case"), money),
            (_("Weighted amount"), money),
        ],
        [[o.label, o.count, o.amount, o.commit, o.best_case, o.weighted] for o in report.owners],
        {
            "type": "bar",
            "horizontal": True,
            "currency": cur,
            "labels": [o.label for o in report.owners],
            "datasets": [{"label": _("Weighted amount"), "data": [_num(o.weighted) for o in report.owners]}],
        },
    )
    return [periods, forecast, stages, owners]


def _csv(report: ForecastReport, table: Table) -> HttpResponse:
    name = slugify(f"forecast-{report.pipeline.name}-{table.name}-{report.currency}-{report.today}")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.write("\ufeff")  # spreadsheet programs read UTF-8 only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow([label for label, _kind in table.columns] + [_("Currency")])
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in row] + [report.currency])
    return response


def _choices(user: Any) -> dict[str, Any]:
    """Pipelines, owners and teams for the filters, limited to what the user's scope can show."""
    scope = user_scope(user, "opportunity", Action.VIEW)
    users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    teams = Team.objects.order_by("name")
    if scope == Scope.OWN:
        users, teams = users.filter(pk=user.pk), teams.none()
    elif scope == Scope.TEAM:
        ids = user_team_ids(user)
        users = users.filter(Q(pk=user.pk) | Q(pk__in=User.objects.filter(teams__in=ids).values("pk")))
        teams = teams.filter(pk__in=ids)
    return {
        "pipelines": list(Pipeline.objects.filter(is_active=True).order_by("position", "pk")),
        "owners": [
            (u.pk, u.get_full_name() or u.username)
            for u in users.only("pk", "username", "first_name", "last_name")
        ],
        "teams": list(teams.only("pk", "name")),
    }


@login_required
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    """The forecast of one pipeline in one currency; ``?format=csv&table=...`` downloads one table."""
    user = request.user
    csv_wanted = request.GET.get("format") == "csv"
    action = Action.EXPORT if csv_wanted else Action.VIEW
    if user_scope(user, "opportunity", action) == Scope.NONE:
        return render(
            request,
            "web/403.html",
            {"message": _("Your role does not let you see the sales forecast.")},
            status=403,
        )
    filters, errors = forecast_filters(request.GET)
    try:
        report = forecast_report(user=user, filters=filters, action=action)
    except Pipeline.DoesNotExist:
        return render(request, "sales/forecast/empty.html", {"nav": "forecast"})
    tables = forecast_tables(report)
    if csv_wanted:
        wanted = request.GET.get("table", "periods")
        table = next((t for t in tables if t.name == wanted), None)
        if table is None:
            return HttpResponse(_("Unknown table."), status=400, content_type="text/plain; charset=utf-8")
        return _csv(report, table)
    context = {
        "report": report,
        "tables": [(t, t.display(report.currency)) for t in tables],
        "filters": filters,
        "filter_errors": [(str(FILTER_LABELS.get(name, name)), message) for name, message in errors.items()],
        "horizon": filters.horizon or len([p for p in report.periods if p.kind == "period"]),
        "can_export": user_scope(user, "opportunity", Action.EXPORT) != Scope.NONE,
        "current": next((p for p in report.periods if p.kind == "period"), None),
        "nav": "forecast",
        **_choices(user),
    }
    return render(request, "sales/forecast/page.html", context)
