"""``clientela forecast-rates``: recompute the forecast's historical conversion rates and cycle times.

    clientela forecast-rates

Run it nightly (cron, or a scheduler that enqueues ``clientela.sales.tasks.forecast_rates_task``): the
forecast page reads the stored rates and shows when they were computed. Exits 0 and prints how many stage
rows were written; 1 with a message if the database cannot be read.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from clientela.sales.forecast_rates import forecast_rates_refresh


class Command(BaseCommand):
    help = "Recompute the forecast's historical stage-to-won conversion rates and cycle times."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            rows = forecast_rates_refresh()
        except DatabaseError as exc:
            raise CommandError(
                _("Could not compute the conversion rates: %(error)s") % {"error": exc}
            ) from exc
        self.stdout.write(
            _("Conversion rates computed for %(count)s stages in %(seconds).1f s.")
            % {"count": rows, "seconds": time.monotonic() - started}
        )
