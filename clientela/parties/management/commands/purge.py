"""`clientela purge [--days N] [--dry-run]`: remove for good the customers kept in the recycle bin too long."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.actor import Actor, Source
from clientela.parties.models import Party
from clientela.parties.services import party_purge


def _days(value: Any) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        raise CommandError(_("--days must be a whole number of days.")) from None
    if days < 0:
        raise CommandError(_("--days cannot be negative."))
    return days


class Command(BaseCommand):
    # Plain text: argparse cannot format lazy translations (Django's own commands do the same).
    help = (
        "Delete for good the customers that have been in the recycle bin for more than N days "
        "(default CLIENTELA_RECYCLE_DAYS). The change log keeps a 'purged' entry for each."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        # Read as text and checked in handle(): a bad value is one error line, not argparse's usage dump.
        parser.add_argument("--days", default=None, metavar="N", help=_("Days in the bin before purging."))
        parser.add_argument("--dry-run", action="store_true", help=_("Only count what would be purged."))

    def handle(self, *args: Any, **options: Any) -> None:
        days = _days(options["days"]) if options["days"] is not None else settings.CLIENTELA_RECYCLE_DAYS
        if options["dry_run"]:
            cutoff = timezone.now() - dt.timedelta(days=days)
            count = Party.all_objects.filter(deleted_at__lt=cutoff).count()
            message = ngettext(
                "%(count)s customer has been in the recycle bin for more than %(days)s days and would be purged.",
                "%(count)s customers have been in the recycle bin for more than %(days)s days and would be purged.",
                count,
            )
        else:
            count = party_purge(actor=Actor.system("purge", source=Source.CLI), older_than_days=days)
            message = ngettext(
                "Purged %(count)s customer that had been in the recycle bin for more than %(days)s days.",
                "Purged %(count)s customers that had been in the recycle bin for more than %(days)s days.",
                count,
            )
        self.stdout.write(message % {"count": f"{count:,}", "days": days})
