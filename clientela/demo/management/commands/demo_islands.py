"""`clientela demo_islands --out DIR`: write demo export files of three departments ("islands").

Finance (CSV, cp1252), sales (Excel) and support (JSON Lines) files describing the same customers in
different ways, with a mapping file for each and a README listing the `clientela import` commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clientela.demo.generator import OptionError, count_option
from clientela.demo.islands import write_islands

DEFAULT_CUSTOMERS = 200
DEFAULT_SEED = 7
MAX_CUSTOMERS = 50_000


class Command(BaseCommand):
    # Plain text: argparse cannot format lazy translations (Django's own commands do the same).
    help = (
        "Write demo files of three departments (finance CSV, sales Excel, support JSON Lines) about the "
        "same customers, with mapping files and a README: --out DIR [--customers N] [--seed S]. "
        "The same seed gives the same files."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        # Numbers are read as text and checked in handle(), so a bad value is one clear error line.
        parser.add_argument(
            "--out",
            required=True,
            metavar="DIR",
            help=_("Directory to write the files to; created when missing."),
        )
        parser.add_argument(
            "--customers",
            default=str(DEFAULT_CUSTOMERS),
            metavar="N",
            help=_("Customers in the population; default %(n)s.") % {"n": DEFAULT_CUSTOMERS},
        )
        parser.add_argument(
            "--seed",
            default=str(DEFAULT_SEED),
            metavar="S",
            help=_("Random seed; default %(n)s.") % {"n": DEFAULT_SEED},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            customers = count_option(options["customers"], "--customers", minimum=1, maximum=MAX_CUSTOMERS)
            seed = count_option(options["seed"], "--seed", maximum=2**63 - 1)
        except OptionError as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(_("%(path)s exists and is not a directory.") % {"path": out})
        try:
            written = write_islands(out, customers=customers, seed=seed)
        except OSError as exc:
            raise CommandError(_("Could not write the files: %(error)s") % {"error": exc}) from exc
        if int(options.get("verbosity", 1)) < 1:
            return
        self.stdout.write(_("Wrote %(count)s files to %(dir)s:") % {"count": len(written), "dir": out})
        for name in written:
            self.stdout.write(f"  {name}")
        readme = written.get("README.md", out / "README.md")
        self.stdout.write(
            self.style.SUCCESS(
                _("To load them, run the commands in %(readme)s in that order.") % {"readme": readme}
            )
        )
