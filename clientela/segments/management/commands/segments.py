"""``clientela segments refresh [--segment ID]``: re-evaluate saved segments (run it from cron, e.g. hourly
or after the nightly analytics refit). Prints one line per segment with the entries and exits; exits 1
with a message on an unknown segment or a database error."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from clientela.segments.evaluation import segment_evaluate, segments_refresh
from clientela.segments.models import Segment


class Command(BaseCommand):
    help = "Re-evaluate customer segments: clientela segments refresh [--segment ID]."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"], help="What to do (refresh).")
        parser.add_argument("--segment", type=int, default=None, help="Only this segment (its id).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if options["segment"] is not None:
                segment = Segment.objects.filter(pk=options["segment"], is_active=True).first()
                if segment is None:
                    raise CommandError(
                        _("There is no active segment with id %(id)s.") % {"id": options["segment"]}
                    )
                results = [segment_evaluate(segment=segment)]
            else:
                results = segments_refresh()
        except DatabaseError as exc:
            raise CommandError(_("Could not refresh the segments: %(error)s") % {"error": exc}) from exc
        names = dict(Segment.objects.filter(pk__in=[r.segment_id for r in results]).values_list("pk", "name"))
        for r in results:
            self.stdout.write(
                _("%(name)s (#%(id)s): %(entered)s entered, %(left)s left, %(members)s members.")
                % {
                    "name": names.get(r.segment_id, "?"),
                    "id": r.segment_id,
                    "entered": r.entered,
                    "left": r.left,
                    "members": r.members,
                }
            )
        self.stdout.write(
            _("%(count)s segments refreshed in %(seconds).1f s.")
            % {"count": len(results), "seconds": time.monotonic() - started}
        )
