"""``clientela forecast-snapshot``: keep today's sales forecast, so that past periods can show it later.

    clientela forecast-snapshot [--date YYYY-MM-DD]

Run it daily, or at least on the first day of each month, from cron beside ``forecast-rates`` (or a
scheduler that enqueues ``clientela.sales.tasks.forecast_snapshot_task``): the forecast page compares
each past period's won amount with the latest snapshot taken on or before its first day. Running it
twice on a day replaces that day's rows. Exits 0 and prints how many rows were written; 1 with a message
on a bad date or if the database cannot be written.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from clientela.sales.snapshots import forecast_snapshot_take


class Command(BaseCommand):
    help = "Keep a snapshot of the sales forecast per month of expected close (run daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", default="", help="Day the snapshot is dated (YYYY-MM-DD); default today."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options["date"]:
            try:
                on = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(_("Enter a date as YYYY-MM-DD, e.g. 2026-03-01.")) from exc
        started = time.monotonic()
        try:
            rows = forecast_snapshot_take(on=on)
        except DatabaseError as exc:
            raise CommandError(_("Could not take the forecast snapshot: %(error)s") % {"error": exc}) from exc
        self.stdout.write(
            _("Forecast snapshot taken: %(count)s rows in %(seconds).1f s.")
            % {"count": rows, "seconds": time.monotonic() - started}
        )
