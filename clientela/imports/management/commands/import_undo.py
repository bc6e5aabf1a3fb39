"""``clientela import-undo JOB``: undo an import from the command line, as the import page's button does.

    clientela import-undo 42

Customers and records the import created go to the recycle bin; customers it updated get their
earlier values back, unless someone changed them since. Exits 1 with a message when the job cannot
be undone (unknown, a dry run, still running, already undone).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientela.core.actor import Actor, Source
from clientela.imports.models import ImportJob
from clientela.imports.undo import UndoRefused, import_undo


class Command(BaseCommand):
    help = "Undo an import job: what it created goes to the recycle bin, what it changed gets its earlier value back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "job", type=int, help="the import job's number (shown when it ran, and on the Imports page)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        job = ImportJob.objects.filter(pk=options["job"]).select_related("source").first()
        if job is None:
            raise CommandError(_("There is no import %(n)s.") % {"n": options["job"]})
        actor = Actor(user=None, source=Source.CLI, label=f"import-undo {job.pk}")
        try:
            counts = import_undo(actor=actor, job=job)
        except UndoRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "Import undone: %(removed)s records removed and %(restored)s customers restored to their earlier values."
            )
            % {"removed": counts["removed"], "restored": counts["restored"]}
        )
