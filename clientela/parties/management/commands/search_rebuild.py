"""``clientela search_rebuild``: rebuild the customer search index from the parties (after bulk loads)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from clientela.parties.search import party_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the customer search index from the parties (after a bulk load or a restore)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = party_index_rebuild()
        self.stdout.write(
            _("search index of %(n)s customers rebuilt in %(s).1f s")
            % {"n": f"{count:,}", "s": time.perf_counter() - started}
        )
