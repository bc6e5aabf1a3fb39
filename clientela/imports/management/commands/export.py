"""``clientela export parties|links --out FILE [--user USERNAME]``: customers or their ids in other systems;
``clientela export analytics [--format parquet|csv] [--out DIR] [--user USERNAME]``: the warehouse export.

``parties`` writes the live customers (main fields, primary email and phones, city, owner, tags);
``links`` writes one row per id a customer has in another system (``source, external_id, party_id``).
The format follows the file name: ``.csv`` (UTF-8 with BOM, opens in Excel) or ``.xlsx``. Without
``--user`` everything is exported (the command line runs as an administrator); with it, only the customers
that user may view and export, and only their links.

The file is written next to its destination under a temporary name and renamed when complete, so a failed
export never leaves a half-written file (nor replaces a previous good one).

``analytics`` writes a folder of tables for BI tools (customers, interactions, value scores, model fits,
segments and their members, ``manifest.json``): see ``clientela.analytics.warehouse`` and
``docs/analytics-export.md``. ``--out`` names a new folder (default ``var/exports/analytics-<UTC time>/``),
written whole or not at all.
"""

from __future__ import annotations

import os
import tempfile
from argparse import ArgumentParser
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.accounts.models import User
from clientela.analytics.warehouse import FORMATS as WAREHOUSE_FORMATS
from clientela.analytics.warehouse import WarehouseError, default_out_dir, warehouse_export
from clientela.imports.exports import (
    XLSX_MAX_ROWS,
    ExportError,
    link_export_rows,
    party_export_queryset,
    party_export_rows,
    write_csv,
    write_xlsx,
)
from clientela.parties.models import SourceLink

ENTITIES = ("parties", "links", "analytics")
FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


class Command(BaseCommand):
    """Export customers or their ids in other systems to a CSV or Excel file, or the analytics tables."""

    help = (
        "Export customers (parties) or their ids in other systems (links) to a .csv or .xlsx file, or the "
        "analytics tables (customers, interactions, scores, segments) to a folder of Parquet or CSV files."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("entity", choices=ENTITIES, help="What to export.")
        parser.add_argument(
            "--out",
            metavar="FILE|DIR",
            help=(
                "parties, links: file to write, ending in .csv or .xlsx (replaced if it exists). analytics: "
                "new folder to write (default var/exports/analytics-<UTC time>/)."
            ),
        )
        parser.add_argument(
            "--format",
            metavar="parquet|csv",
            help="analytics only: file format of the tables (default parquet).",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Export only what this user may view and export (default: everything).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["user"]) if options.get("user") else None
        if options["entity"] == "analytics":
            self._analytics(options, user)
            return
        if options.get("format"):
            raise CommandError(
                _(
                    "--format is for analytics; the format of %(entity)s follows the file name (.csv or .xlsx)."
                )
                % {"entity": options["entity"]}
            )
        out = options["out"]
        if not out:
            raise CommandError(_("Name the file to write with --out FILE (.csv or .xlsx)."))
        fmt = self._format(out)
        parties = party_export_queryset(user=user)
        if options["entity"] == "parties":
            counted: QuerySet = parties
            headers, rows = party_export_rows(parties)
        else:
            scope = parties if user is not None else None
            counted = SourceLink.objects.all()
            if scope is not None:
                counted = counted.filter(party_id__in=scope.order_by().values("pk"))
            headers, rows = link_export_rows(parties=scope)
        if fmt == "xlsx":
            self._check_fits(counted)
        count = self._write(out, fmt, headers, rows)
        self.stdout.write(
            ngettext("Wrote %(count)s row to %(path)s.", "Wrote %(count)s rows to %(path)s.", count)
            % {"count": f"{count:,}", "path": out}
        )

    def _analytics(self, options: dict[str, Any], user: User | None) -> None:
        fmt = (options.get("format") or "parquet").lower()
        if fmt not in WAREHOUSE_FORMATS:
            raise CommandError(
                _("Unknown format %(format)s: choose %(choices)s.")
                % {"format": options["format"], "choices": " or ".join(WAREHOUSE_FORMATS)}
            )
        out = Path(options["out"]) if options.get("out") else default_out_dir()
        try:
            manifest = warehouse_export(out=out, fmt=fmt, user=user)
        except WarehouseError as exc:
            raise CommandError(str(exc)) from exc
        for name, table in manifest["tables"].items():
            rows = table["rows"]
            self.stdout.write(
                ngettext("%(table)s: %(count)s row", "%(table)s: %(count)s rows", rows)
                % {"table": name, "count": f"{rows:,}"}
            )
        self.stdout.write(_("Wrote the analytics export to %(path)s.") % {"path": out.absolute()})

    def _format(self, out: str) -> str:
        fmt = FORMATS.get(Path(out).suffix.lower())
        if fmt is None:
            raise CommandError(
                _("Cannot tell the format of %(path)s: name the file .csv or .xlsx.") % {"path": out}
            )
        return fmt

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Unknown user: %(username)s") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User %(username)s is inactive.") % {"username": username})
        return user

    def _check_fits(self, queryset: QuerySet) -> None:
        """Refuse before writing when the rows cannot fit in one sheet (counting stops at the limit)."""
        if queryset.order_by().values("pk")[:XLSX_MAX_ROWS].count() >= XLSX_MAX_ROWS:
            raise CommandError(
                _(
                    "An Excel sheet holds at most %(max)s rows and this export has more. Export to CSV instead."
                )
                % {"max": f"{XLSX_MAX_ROWS - 1:,}"}
            )

    def _write(self, out: str, fmt: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
        target = Path(out)
        if target.is_dir():
            raise CommandError(_("%(path)s is a folder: name the file to write.") % {"path": out})
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        except OSError as exc:
            raise CommandError(self._cannot_write(out, exc)) from exc
        done = False
        try:
            if fmt == "csv":
                with os.fdopen(fd, "wb") as fh:
                    count = write_csv(fh, headers, rows)
            else:
                os.close(fd)
                count = write_xlsx(tmp, headers, rows)
            os.replace(tmp, target)
            done = True
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(self._cannot_write(out, exc)) from exc
        finally:
            if not done:
                with suppress(OSError):
                    os.unlink(tmp)
        return count

    @staticmethod
    def _cannot_write(out: str, exc: OSError) -> str:
        return _("Cannot write %(path)s: %(reason)s.") % {"path": out, "reason": exc.strerror or exc}
