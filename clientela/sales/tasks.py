"""Background work of the sales app (django-tasks): the forecast's historical conversion rates and its
daily snapshot.

The tasks take no arguments and replace their rows in one transaction, so they are idempotent and safe
to run twice or at the same time as the commands (the later run wins with the same figures).
"""

from __future__ import annotations

from django_tasks import task

from clientela.sales.forecast_rates import forecast_rates_refresh
from clientela.sales.snapshots import forecast_snapshot_take


@task()
def forecast_rates_task() -> int:
    """Recompute ``ConversionRate`` for every pipeline; returns the number of stage rows written."""
    return forecast_rates_refresh()


@task()
def forecast_snapshot_task() -> int:
    """Take today's forecast snapshot (replacing today's rows if it was already taken); returns the rows."""
    return forecast_snapshot_take()
