"""Demo step after the ledger: fit the customer value models and seed a few example segments.

Without it a fresh demo would show "no value figures yet" on every customer page and an empty segment
list. The example segments are created once (by name), owned by the first demo manager, and evaluated
right away so their member lists and histories have something to show.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from clientela.demo.generator import DemoContext, DemoStep

# name -> rules, written with the segment rule fields (clientela.segments.rules)
EXAMPLE_SEGMENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "Champions and loyal customers",
        {"all": [{"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}]},
    ),
    (
        "Valuable customers slipping away",
        {
            "all": [
                {"field": "churn_risk", "op": "in", "value": ["medium", "high"]},
                {"field": "m_score", "op": "gte", "value": 4},
            ]
        },
    ),
    (
        "Regular buyers without complaints",
        {
            "all": [
                {"field": "interactions", "kind": "purchase", "days": 365, "op": "gte", "value": 3},
                {"field": "interactions", "kind": "complaint", "days": 90, "op": "eq", "value": 0},
            ]
        },
    ),
)


class AnalyticsStep(DemoStep):
    """Refit RFM, BG/NBD and Gamma-Gamma on the demo ledger, then create and evaluate example segments."""

    name = "analytics"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--no-analytics",
            action="store_true",
            help=_("Skip fitting the value models and the example segments."),
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> DemoStep | None:
        return None if options.get("no_analytics") else cls()

    def run(self, ctx: DemoContext) -> None:
        from clientela.analytics.services import analytics_refit
        from clientela.core.actor import Actor

        started = time.perf_counter()
        fits = analytics_refit(actor=Actor.system("demo"))
        ctx.counts["model_fits"] += len(fits)
        if fits:
            ctx.summaries.append(
                _("value models fitted for %(currencies)s in %(s).1f s")
                % {"currencies": ", ".join(f.currency for f in fits), "s": time.perf_counter() - started}
            )
        self.example_segments(ctx)

    def example_segments(self, ctx: DemoContext) -> None:
        from clientela.core.actor import Actor
        from clientela.segments.models import Segment
        from clientela.segments.services import segment_create, segment_evaluate

        managers = [m for m in ctx.staff if m.role == "manager"] or ctx.staff
        owner = managers[0].user_id if managers else None
        started = time.perf_counter()
        made = 0
        for name, definition in EXAMPLE_SEGMENTS:
            if Segment.objects.filter(name=name).exists():
                continue
            segment = segment_create(
                actor=Actor.system("demo"),
                data={"name": name, "definition": definition, "owner": owner},
            )
            segment_evaluate(segment=segment)
            made += 1
        if made:
            ctx.summaries.append(
                _("%(n)s example segments evaluated in %(s).1f s")
                % {"n": made, "s": time.perf_counter() - started}
            )
