"""``clientela import-leads FILE``: create leads from a CSV, XLSX or JSON Lines file.

    clientela import-leads feria.csv --country ES
    clientela import-leads feria.xlsx --mapping feria.json --dry-run

Prints progress and a summary. Rows with errors are skipped, listed, and written to
``<file>.errors.csv`` beside the file. Exits 1, with a message, when the file or the mapping cannot be
used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientela.core.actor import Actor, Source
from clientela.core.countries import is_country
from clientela.imports.mapping import MappingError, parse_mapping
from clientela.imports.readers import ImportFileError
from clientela.sales.lead_import import (
    ENTITY,
    LeadImportError,
    LeadImportResult,
    error_report_path,
    leads_import,
    write_error_report,
)

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import leads from a CSV, XLSX or JSON Lines file (origin: import)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import (.csv, .xlsx or .jsonl)")
        parser.add_argument("--mapping", help="a JSON mapping file: columns -> lead fields, options")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--country", default="", help="country of rows without one (ISO code, e.g. ES)")
        parser.add_argument(
            "--source", default="", help="a name for where the file came from (kept per lead)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        mapping = None
        if options["mapping"]:
            try:
                mapping = parse_mapping(Path(options["mapping"]).read_bytes(), entity=ENTITY)
            except OSError as exc:
                raise CommandError(
                    _("Cannot read the mapping file: %(error)s") % {"error": exc.strerror}
                ) from exc
            except MappingError as exc:
                raise CommandError("\n".join([_("The mapping is not valid:"), *exc.messages])) from exc
        country = options["country"].strip().upper()
        if country and not is_country(country):
            raise CommandError(
                _("--country: %(value)s is not a two-letter ISO country code.") % {"value": country}
            )
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": options["file"]})
        actor = Actor(user=None, source=Source.IMPORT, label="clientela import-leads")
        try:
            result = leads_import(
                actor=actor, path=path, mapping=mapping, dry_run=options["dry_run"],
                source_name=options["source"], default_country=country, progress=self._progress,
            )  # fmt: skip
        except (ImportFileError, LeadImportError) as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # unreadable (permissions, a vanished mount): a message, not a traceback
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
            ) from exc
        finally:
            self.stderr.write("")  # end the progress line
        self._summary(result, path)

    def _summary(self, result: LeadImportResult, path: Path) -> None:
        for warning in result.warnings:
            self.stderr.write(warning)
        columns = ", ".join(f"{header} → {field}" for header, field in result.columns.items())
        self.stdout.write(_("Columns: %(columns)s") % {"columns": columns})
        self.stdout.write(
            _("%(what)s of %(file)s: %(read)s rows read; %(created)s leads created, %(duplicates)s duplicates "
              "skipped, %(errors)s rows with errors.")
            % {
                "what": _("Dry run") if result.dry_run else _("Import"), "file": path.name,
                "read": f"{result.read:,}", "created": f"{result.created:,}",
                "duplicates": f"{result.duplicates:,}", "errors": f"{result.errors:,}",
            }
        )  # fmt: skip
        if result.dry_run:
            self.stdout.write(_("Nothing was written (dry run)."))
        for error in result.row_errors[:SHOWN_ERRORS]:
            where = _("line %(line)s") % {"line": error.line}
            if error.field:
                where += f", {error.field}"
            self.stdout.write(f"  {where}: {error.message}" + (f" ({error.value!r})" if error.value else ""))
        report = error_report_path(path)
        if not result.row_errors:
            report.unlink(missing_ok=True)  # a report of an earlier run would now be misleading
            return
        try:
            write_error_report(result, report)
        except OSError as exc:
            self.stderr.write(
                _("Could not write the error report %(path)s: %(error)s")
                % {"path": report, "error": exc.strerror}
            )
            return
        self.stdout.write(_("All row errors are in %(path)s.") % {"path": report})

    def _progress(self, result: LeadImportResult) -> None:
        self.stderr.write(
            "\r"
            + _("%(read)s rows read, %(created)s created")
            % {"read": f"{result.read:,}", "created": f"{result.created:,}"},
            ending="",
        )
