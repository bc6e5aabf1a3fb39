"""The demo data generator: a list of composable steps sharing one run context.

Each step declares its own command-line options and runs in order (staff, parties, interactions with
``--interactions N``, then the search index). A step draws its random numbers
from ``ctx.rng(step name)``, so adding a step never changes what the others generate for a seed.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _

DEFAULT_BATCH_SIZE = 5000


class OptionError(ValueError):
    """A bad demo option (negative count, not a number); the command shows it as a one-line error."""


def count_option(value: Any, name: str, *, minimum: int = 0, maximum: int = 100_000_000) -> int:
    """``value`` as a whole number in [minimum, maximum], else OptionError naming the option."""
    text = str(value).strip().replace("_", "")
    try:
        number = int(text)
    except ValueError:
        raise OptionError(
            _("%(option)s must be a whole number, not %(value)r.") % {"option": name, "value": str(value)}
        ) from None
    if number < minimum:
        if minimum == 0:
            raise OptionError(_("%(option)s cannot be negative.") % {"option": name})
        raise OptionError(_("%(option)s must be at least %(min)s.") % {"option": name, "min": minimum})
    if number > maximum:
        raise OptionError(_("%(option)s can be at most %(max)s.") % {"option": name, "max": f"{maximum:,}"})
    return number


@dataclass(frozen=True)
class StaffMember:
    """A demo user who can own parties, with the team the parties go to."""

    user_id: int
    team_id: int | None
    role: str


@dataclass
class DemoContext:
    """State shared by the steps of one run: seed, run id, clock, staff, created ids and counters."""

    seed: int
    batch_size: int = DEFAULT_BATCH_SIZE
    run_id: str = field(default_factory=lambda: f"demo-{uuid.uuid4().hex[:16]}")
    now: datetime = field(default_factory=timezone.now)
    write: Callable[[str], None] | None = None
    progress_every: float = 2.0
    staff: list[StaffMember] = field(default_factory=list)  # those who own customers (sales, managers)
    members: list[StaffMember] = field(default_factory=list)  # every demo user (support, marketing too)
    party_ids: array = field(default_factory=lambda: array("q"))
    counts: Counter[str] = field(default_factory=Counter)
    summaries: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    _last_report: float = 0.0

    def rng(self, name: str) -> random.Random:
        """A generator seeded by the run seed and ``name`` (string seeds hash the same in every process)."""
        return random.Random(f"{self.seed}:{name}")

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, message: str) -> None:
        if self.write is not None:
            self.write(message)

    def progress(
        self, label: str, done: int, total: int, *, final: bool = False, since: float | None = None
    ) -> None:
        """Print "label: done/total (pct) · rate/s" at most every ``progress_every`` seconds.

        The rate counts from ``since`` (a ``time.perf_counter()`` value; default: the start of the run),
        so a later step reports its own speed; the seconds shown are always those of the whole run.
        """
        now = time.perf_counter()
        if not final and now - self._last_report < self.progress_every:
            return
        self._last_report = now
        rate = done / max(now - (self.started if since is None else since), 1e-9)
        pct = 100 * done / total if total else 100
        self.say(
            _("%(label)s: %(done)s/%(total)s (%(pct).0f%%) · %(rate)s/s · %(seconds).1f s")
            % {
                "label": label,
                "done": f"{done:,}",
                "total": f"{total:,}",
                "pct": pct,
                "rate": f"{rate:,.0f}",
                "seconds": self.elapsed,
            }
        )


class DemoStep:
    """One part of the demo data. Subclasses add options, build themselves from them, and run."""

    name: ClassVar[str] = ""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Declare this step's options (as plain strings: ``from_options`` validates them)."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> DemoStep | None:
        """The configured step, or None when the options ask for nothing from it."""
        raise NotImplementedError

    def run(self, ctx: DemoContext) -> None:
        raise NotImplementedError


def demo_steps() -> list[type[DemoStep]]:
    """The steps in the order they run; later apps append theirs here."""
    from clientela.demo.analytics import AnalyticsStep
    from clientela.demo.interactions import InteractionsStep
    from clientela.demo.opportunities import OpportunitiesStep
    from clientela.demo.parties import PartiesStep
    from clientela.demo.search import SearchIndexStep
    from clientela.demo.staff import StaffStep

    return [StaffStep, PartiesStep, InteractionsStep, OpportunitiesStep, AnalyticsStep, SearchIndexStep]


def run_steps(ctx: DemoContext, steps: Sequence[DemoStep]) -> DemoContext:
    """Run ``steps`` in order on ``ctx`` and return it with its counters filled in."""
    for step in steps:
        step.run(ctx)
    return ctx


def summary_line(ctx: DemoContext) -> str:
    """ "Created 100,000 parties (70,000 people, 30,000 organisations), ...; 41.2 s in all (2,427 parties/s)"."""
    counts = ctx.counts
    seconds = ctx.elapsed
    parts = [
        _("%(parties)s parties (%(people)s people, %(orgs)s organisations)")
        % {
            "parties": f"{counts['parties']:,}",
            "people": f"{counts['people']:,}",
            "orgs": f"{counts['organisations']:,}",
        },
        _("%(n)s contact points") % {"n": f"{counts['contact_points']:,}"},
        _("%(n)s relationships") % {"n": f"{counts['relationships']:,}"},
        _("%(n)s history entries") % {"n": f"{counts['changes']:,}"},
        *ctx.summaries,
    ]
    return _("Created %(what)s; %(seconds).1f s in all (%(rate)s parties/s)") % {
        "what": ", ".join(parts),
        "seconds": seconds,
        "rate": f"{counts['parties'] / max(seconds, 1e-9):,.0f}",
    }


def generate(
    *,
    people: int,
    orgs: int,
    interactions: int = 0,
    opportunities: int = 0,
    seed: int = 1,
    users: int = 8,
    batch_size: int = DEFAULT_BATCH_SIZE,
    run_id: str | None = None,
    write: Callable[[str], None] | None = None,
) -> DemoContext:
    """Generate demo staff, parties, their interactions and sales opportunities (the API behind
    ``clientela bootstrap``)."""
    from clientela.demo.analytics import AnalyticsStep
    from clientela.demo.interactions import InteractionsStep
    from clientela.demo.opportunities import OpportunitiesStep
    from clientela.demo.parties import PartiesStep
    from clientela.demo.search import SearchIndexStep
    from clientela.demo.staff import StaffStep

    ctx = DemoContext(seed=seed, batch_size=batch_size, write=write)
    if run_id:
        ctx.run_id = run_id
    steps: list[DemoStep] = [StaffStep(users), PartiesStep(people=people, orgs=orgs)]
    if interactions:
        steps.append(InteractionsStep(interactions))
    if opportunities:
        steps.append(OpportunitiesStep(opportunities))
    if interactions:
        steps.append(AnalyticsStep())
    steps.append(SearchIndexStep())
    return run_steps(ctx, steps)
