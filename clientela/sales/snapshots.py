"""Forecast snapshots: what the open pipeline forecast for each month, kept as it stood on a given day.

* ``forecast_snapshot_take(on=...)`` copies the current forecast (``StageTotal`` of the open stages, the
  historical forecast from ``ConversionRate`` as ``forecast.py`` computes it) into ``ForecastSnapshot``
  rows per pipeline, month of expected close, owner, team and currency; run daily, or at least on the
  first day of each month (``clientela forecast-snapshot``, or the task ``forecast_snapshot_task``).
* ``snapshot_per_period(...)`` answers, for each past period of the report, the forecast of the latest
  snapshot taken on or before the period's first day, in the user's scope, in one query.

The stage history keeps no past expected close dates, so a past forecast cannot be rebuilt later; these
rows are the only record of it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, Subquery, Sum
from django.utils import timezone

from clientela.sales.forecast import (
    CENT,
    FORECAST_CATEGORIES,
    MIN_CLOSED_HISTORY,
    ForecastFilters,
    _historical,
    _rates,
    period_shift,
    totals_scope_q,
)
from clientela.sales.models import ForecastSnapshot, Pipeline, Stage, StageTotal

__all__ = ["forecast_snapshot_take", "snapshot_per_period"]

_FIGURES = ("count", "amount_cents", "weighted_cents_pct", "commit_cents", "best_case_cents")


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def forecast_snapshot_take(*, on: dt.date | None = None) -> int:
    """Copy every pipeline's current forecast per month of expected close into ``ForecastSnapshot`` rows
    dated ``on`` (today by default); returns the number of rows written.

    One grouped query over ``StageTotal`` (the open stages, summed per pipeline, stage, owner, team,
    currency, category and month) and one ``ConversionRate`` query per pipeline; no opportunity is read.
    The weighted, commit and best-case figures go to the month of expected close (undated deals have no
    month and are left out); the historical forecast goes where the report puts it: to the month of
    expected close, or, when that month has passed or is missing, to ``on`` plus the stage's median days
    to close. Re-taking the same day replaces that day's rows in this transaction (idempotent)."""
    on = on or timezone.localdate()
    current = _month(on)
    stages: dict[int, list[Stage]] = defaultdict(list)
    for stage in Stage.objects.order_by("position", "pk"):
        if not stage.is_won and not stage.is_lost:
            stages[stage.pipeline_id].append(stage)
    rates: dict[int, Any] = {}
    for pipeline in Pipeline.objects.all():
        rates[pipeline.pk], _computed = _rates(pipeline, stages[pipeline.pk], MIN_CLOSED_HISTORY)
    open_ids = [s.pk for group in stages.values() for s in group]
    grouped = (
        StageTotal.objects.filter(stage_id__in=open_ids, forecast_category__in=FORECAST_CATEGORIES)
        .exclude(count=0)
        .values(
            "pipeline_id",
            "stage_id",
            "owner_id_value",
            "team_id_value",
            "currency",
            "forecast_category",
            "close_month",
        )
        .annotate(n=Sum("count"), a=Sum("amount_cents"), w=Sum("weighted_cents_pct"))
    )
    figures: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_FIGURES, 0))
    historical: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in grouped:
        who = (r["pipeline_id"], r["owner_id_value"], r["team_id_value"], r["currency"])
        month, category = r["close_month"], r["forecast_category"]
        if month is not None:
            row = figures[(*who, _month(month))]
            row["count"] += r["n"]
            row["amount_cents"] += r["a"]
            row["weighted_cents_pct"] += r["w"]
            if category == "commit":
                row["commit_cents"] += r["a"]
            if category in ("commit", "best_case"):
                row["best_case_cents"] += r["a"]
        rate = rates[r["pipeline_id"]].get(r["stage_id"])
        if rate is None:
            continue  # the report gives such a stage no historical figure either
        target = month
        if month is None or _month(month) < current:
            days = rate.median_days if rate.median_days is not None else 0
            target = on + dt.timedelta(days=round(days))
        historical[(*who, _month(target))] += _historical(r["a"], rate)
    keys = set(figures) | set(historical)
    rows = [
        ForecastSnapshot(
            taken_on=on,
            pipeline_id=key[0],
            owner_id_value=key[1],
            team_id_value=key[2],
            currency=key[3],
            period_start=key[4],
            historical_cents=int(historical.get(key, Decimal(0)).quantize(CENT) * 100),
            **figures.get(key, dict.fromkeys(_FIGURES, 0)),
        )
        for key in sorted(keys)
    ]
    ForecastSnapshot.objects.filter(taken_on=on).delete()
    ForecastSnapshot.objects.bulk_create(rows)
    return len(rows)


def snapshot_per_period(
    *,
    user: Any,
    pipeline: Pipeline,
    filters: ForecastFilters,
    action: str,
    currency: str,
    starts: list[dt.date],
) -> dict[dt.date, tuple[dt.date, Decimal, Decimal] | None]:
    """For each period starting at one of ``starts``: (the day of the snapshot used, weighted, historical)
    forecast for it by the latest snapshot of the pipeline taken on or before its first day, summed over
    the rows in the user's scope and the owner/team filters like ``StageTotal``; None without a snapshot.

    One query of conditional sums, whatever the number of periods or snapshots; the latest snapshot day of
    each period is an uncorrelated scalar subquery (computed once) on the index (pipeline, taken_on)."""
    out: dict[dt.date, tuple[dt.date, Decimal, Decimal] | None] = dict.fromkeys(starts)
    scope = totals_scope_q(user, action)
    if not starts or scope is None:
        return out
    rows = Q(currency=currency) & scope
    if filters.owner_id is not None:
        rows &= Q(owner_id_value=filters.owner_id)
    if filters.team_id is not None:
        rows &= Q(team_id_value=filters.team_id)
    step = 3 if filters.period == "quarter" else 1
    aggregates: dict[str, Any] = {}
    days = []
    for i, start in enumerate(starts):
        latest = Subquery(
            ForecastSnapshot.objects.filter(pipeline_id=pipeline.pk, taken_on__lte=start)
            .order_by("-taken_on")
            .values("taken_on")[:1]
        )
        day = Q(taken_on=latest)
        within = day & Q(period_start__gte=start, period_start__lt=period_shift(start, "month", step)) & rows
        days.append(day)
        aggregates[f"d{i}"] = Max("taken_on", filter=day)
        aggregates[f"w{i}"] = Sum("weighted_cents_pct", filter=within)
        aggregates[f"h{i}"] = Sum("historical_cents", filter=within)
    first_day = Q()
    for day in days:
        first_day |= day
    sums = (
        ForecastSnapshot.objects.filter(pipeline=pipeline, taken_on__lte=starts[-1])
        .filter(first_day)
        .aggregate(**aggregates)
    )
    for i, start in enumerate(starts):
        if sums[f"d{i}"] is None:
            continue
        weighted = (Decimal(sums[f"w{i}"] or 0) / 10000).quantize(CENT)
        out[start] = (sums[f"d{i}"], weighted, (Decimal(sums[f"h{i}"] or 0) / 100).quantize(CENT))
    return out
