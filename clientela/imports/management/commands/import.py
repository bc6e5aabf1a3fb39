"""``clientela import FILE --source NAME``: bring a department's file into Clientela.

    clientela import clientes.csv --source Contabilidad --source-kind finance --mapping contabilidad.json
    clientela import clientes.csv --source Contabilidad --dry-run

Prints progress and a summary; exits 0 when the import ran (bad rows skipped and reported in skip
mode), 1 when it could not run or, in atomic mode, when a bad row stopped it. Running the same command
again after a crash resumes the unfinished job.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.actor import Actor, Source
from clientela.core.models import SourceKind
from clientela.imports.jobs import (
    ImportFailed,
    job_create,
    mapping_template,
    mapping_template_save,
    source_for,
)
from clientela.imports.mapping import MappingError, parse_mapping
from clientela.imports.models import Entity, Mode, RowError
from clientela.imports.pipeline import Progress, job_run
from clientela.imports.readers import ImportFileError


class Command(BaseCommand):
    help = "Import customers or interactions from a CSV, XLSX or JSON Lines file of a source system."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import (.csv, .xlsx or .jsonl)")
        parser.add_argument("--source", required=True, help="the source system (registered on first use)")
        parser.add_argument("--source-kind", choices=SourceKind.values, default=None)
        parser.add_argument("--entity", choices=Entity.values, default=Entity.PARTIES)
        parser.add_argument("--mapping", help="a JSON mapping file: columns -> canonical fields, options")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--mode", choices=Mode.values, default=Mode.SKIP)
        parser.add_argument(
            "--save-mapping", action="store_true",
            help="keep --mapping as this source's template: later imports of its files without --mapping use it",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        mapping = None
        if options["mapping"]:
            try:
                mapping = parse_mapping(Path(options["mapping"]).read_bytes(), entity=options["entity"])
            except OSError as exc:
                raise CommandError(
                    _("Cannot read the mapping file: %(error)s") % {"error": exc.strerror}
                ) from exc
            except MappingError as exc:
                raise CommandError("\n".join([_("The mapping is not valid:"), *exc.messages])) from exc
        if options["save_mapping"] and mapping is None:
            raise CommandError(_("--save-mapping needs --mapping."))
        if not Path(options["file"]).is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": options["file"]})
        source = source_for(options["source"], options["source_kind"])
        if options["save_mapping"] and mapping is not None:
            mapping_template_save(source=source, entity=options["entity"], mapping=mapping)
            self.stdout.write(_("Saved the mapping as the template of %(source)s.") % {"source": source.name})
        # without --mapping, the source's saved template (else the headers are guessed)
        mapping = mapping or mapping_template(source, options["entity"])
        actor = Actor(user=None, source=Source.IMPORT, label="clientela import")
        try:
            job = job_create(
                actor=actor, path=path, source=source, entity=options["entity"], mapping=mapping,
                mode=options["mode"], dry_run=options["dry_run"],
            )  # fmt: skip
            if job.cursor:
                self.stdout.write(
                    _("Resuming import %(id)s after row %(n)s.") % {"id": job.pk, "n": f"{job.cursor:,}"}
                )
            job = job_run(job=job, actor=actor, progress=self._progress)
        except (ImportFailed, ImportFileError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            self.stderr.write("")  # end the progress line
        self.stdout.write(
            _("%(what)s %(id)s of %(file)s from %(source)s: %(rows)s rows; %(created)s created, %(updated)s updated, "
              "%(matched)s matched to existing customers, %(unchanged)s unchanged, %(failed)s with errors.")
            % {
                "what": _("Dry run") if job.dry_run else _("Import"), "id": job.pk, "file": job.original_name,
                "source": source.name, "rows": f"{job.rows_total or 0:,}", "created": f"{job.created:,}",
                "updated": f"{job.updated:,}", "matched": f"{job.matched:,}",
                "unchanged": f"{job.unchanged:,}", "failed": f"{job.failed:,}",
            }
        )  # fmt: skip
        if job.possible_duplicates:
            self.stdout.write(
                ngettext(
                    "%(n)s new customer may already exist%(where)s:",
                    "%(n)s new customers may already exist%(where)s:",
                    job.possible_duplicates,
                )
                % {
                    "n": f"{job.possible_duplicates:,}",
                    "where": "" if job.dry_run else _(" (queued in the duplicates review)"),
                }
            )
            for sample in job.duplicate_samples[:10]:
                best = sample["matches"][0]
                self.stdout.write(
                    "  "
                    + _("line %(line)s: %(name)s may be %(other)s (#%(id)s, %(p)s%%)")
                    % {
                        "line": sample["line"],
                        "name": sample["display_name"],
                        "other": best["display_name"],
                        "id": best["party_id"],
                        "p": round(best["probability"] * 100),
                    }
                )
        for error in RowError.objects.filter(job=job).order_by("line", "id")[:20]:
            where = _("line %(line)s") % {"line": error.line}
            if error.column:
                where += f", {error.column}"
            self.stdout.write(f"  {where}: {error.message}" + (f" ({error.value!r})" if error.value else ""))
        if job.failed > 20:
            self.stdout.write(_("  … and more; see the import's error report."))
        if job.message:
            self.stderr.write(job.message)
        if job.mode == Mode.ATOMIC and job.failed and not job.dry_run:
            sys.exit(1)

    def _progress(self, p: Progress) -> None:
        total = f"/{p.total:,}" if p.total else ""
        eta = ""
        if p.total and p.rate > 0 and p.total > p.done:
            eta = " · " + _("%(s)s s left") % {"s": f"{(p.total - p.done) / p.rate:,.0f}"}
        self.stderr.write(f"\r{p.done:,}{total} · {p.rate:,.0f}/s{eta}", ending="")
