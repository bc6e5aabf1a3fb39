"""Background work of the sales app (django-tasks): the forecast's historical conversion rates.

The task takes no arguments and replaces every rate in one transaction, so it is idempotent and safe to
run twice or at the same time as the command (the later run wins with the same figures).
"""

from __future__ import annotations

from django_tasks import task

from clientela.sales.forecast_rates import forecast_rates_refresh


@task()
def forecast_rates_task() -> int:
    """Recompute ``ConversionRate`` for every pipeline; returns the number of stage rows written."""
    return forecast_rates_refresh()
