"""Last demo step: refresh the customer search index once, after the bulk load (never row by row)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from clientela.demo.generator import DemoContext, DemoStep


class SearchIndexStep(DemoStep):
    """Rebuild the party search index so the new customers are searchable at once."""

    name = "search"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """No options: the index always follows the data."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> DemoStep | None:
        return cls()

    def run(self, ctx: DemoContext) -> None:
        from clientela.parties.search import party_index_rebuild

        started = time.perf_counter()
        count = party_index_rebuild()
        ctx.summaries.append(
            _("search index of %(n)s customers rebuilt in %(s).1f s")
            % {"n": f"{count:,}", "s": time.perf_counter() - started}
        )
