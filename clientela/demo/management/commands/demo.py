"""`clientela demo`: generate realistic demo data (people, organisations, staff) fast and deterministically."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clientela.demo.generator import (
    DEFAULT_BATCH_SIZE,
    DemoContext,
    OptionError,
    count_option,
    demo_steps,
    run_steps,
    summary_line,
)


class Command(BaseCommand):
    # Plain text: argparse cannot format lazy translations (Django's own commands do the same).
    help = (
        "Generate demo data: --people N --orgs M --seed S [--users K] [--batch-size B]. "
        "The same seed gives the same data; runs add to what is already there."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        # Numbers are read as text and checked in handle(), so a bad value is one clear error line.
        parser.add_argument("--seed", default="1", metavar="S", help=_("Random seed; default 1."))
        parser.add_argument(
            "--batch-size",
            default=str(DEFAULT_BATCH_SIZE),
            metavar="B",
            help=_("Parties per transaction; default %(n)s.") % {"n": DEFAULT_BATCH_SIZE},
        )
        for step in demo_steps():
            step.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            seed = count_option(options["seed"], "--seed", maximum=2**63 - 1)
            batch_size = count_option(options["batch_size"], "--batch-size", minimum=1, maximum=100_000)
            steps = [s for s in (cls.from_options(options) for cls in demo_steps()) if s is not None]
        except OptionError as exc:
            raise CommandError(str(exc)) from None
        verbosity = int(options.get("verbosity", 1))
        ctx = DemoContext(
            seed=seed, batch_size=batch_size, write=self.stdout.write if verbosity >= 1 else None
        )
        run_steps(ctx, steps)
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(summary_line(ctx)))
