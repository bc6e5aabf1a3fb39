"""``forecast_rates_refresh``: historical stage-to-won conversion rates and cycle times from ``StageChange``."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from clientela.sales.choices import OpportunityStatus
from clientela.sales.models import ConversionRate


def _days_sql() -> str:
    """Whole days from entering a stage to closing, in the database's own date arithmetic."""
    if connection.vendor == "postgresql":
        return "FLOOR(EXTRACT(EPOCH FROM (o.closed_at - e.entered_at)) / 86400)::bigint"
    return "CAST(julianday(o.closed_at) - julianday(e.entered_at) AS INTEGER)"


_RATES_SQL = """
WITH e AS (
    SELECT pipeline_id, to_stage_id AS stage_id, opportunity_id, MIN(changed_at) AS entered_at
    FROM sales_stagechange
    GROUP BY pipeline_id, to_stage_id, opportunity_id
)
SELECT e.pipeline_id, e.stage_id, o.status,
       CASE WHEN o.status = 'open' OR o.closed_at IS NULL THEN NULL ELSE {days} END AS days,
       COUNT(*)
FROM e JOIN sales_opportunity o ON o.id = e.opportunity_id
GROUP BY e.pipeline_id, e.stage_id, o.status, days
"""


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}."""
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram.items())

    def nth(index: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if index < seen:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


@transaction.atomic
def forecast_rates_refresh() -> int:
    """Recompute the conversion rate and cycle time of every stage of every pipeline; returns the rows.

    One grouped query over ``StageChange``: each opportunity counts once per stage it ever entered (its
    first entry), and its outcome is where it stands now (won, lost or still open). The median days
    from entering the stage to closing come from a per-day histogram, so no row per opportunity reaches
    Python. Safe to run again at any time (the rows are replaced in this transaction)."""
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: {"open": 0, "won": 0, "lost": 0})
    days: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(_RATES_SQL.format(days=_days_sql()))
        for pipeline_id, stage_id, status, day, n in cursor.fetchall():
            key = (pipeline_id, stage_id)
            counts[key][status] = counts[key].get(status, 0) + n
            if day is not None and status != OpportunityStatus.OPEN:
                days[key][max(int(day), 0)] = days[key].get(max(int(day), 0), 0) + n
    now = timezone.now()
    rows = [
        ConversionRate(
            pipeline_id=pipeline_id,
            stage_id=stage_id,
            entered=sum(c.values()),
            won=c["won"],
            lost=c["lost"],
            median_days_to_close=_median(days.get((pipeline_id, stage_id), {})),
            computed_at=now,
        )
        for (pipeline_id, stage_id), c in counts.items()
    ]
    ConversionRate.objects.all().delete()
    ConversionRate.objects.bulk_create(rows)
    return len(rows)
