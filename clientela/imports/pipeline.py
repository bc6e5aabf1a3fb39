"""The import pipeline, the same for the CLI, the web and the API: create a job, run it (dry run,
skip or atomic), resume it after a crash, undo it.

Skip mode commits every ``CHUNK`` rows together with the job's cursor and counts, so a job killed at
any moment resumes after its last commit with nothing written twice and nothing half-written. A bad
row is rolled back to its savepoint and reported (line, column, value, message). Atomic mode and dry
runs work in one transaction that is rolled back when any row is bad (or always, for a dry run).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.core.actor import Actor, Source
from clientela.core.events import publish
from clientela.imports.duplicates import DUPLICATE_FIELDS, DuplicateCheck
from clientela.imports.duplicates import enabled as check_enabled
from clientela.imports.jobs import ImportFailed, import_event
from clientela.imports.mapping import parse_mapping, resolve_columns
from clientela.imports.models import Effect, Entity, ImportJob, Mode, RowError, SourceRecord, Status
from clientela.imports.party_bulk import Item, draft_document, draft_snapshots, insert_effects
from clientela.imports.prepare import Prepared, ReaderStopped, batches, parallel_allowed, prepared_chunks
from clientela.imports.readers import ImportFileError, Limits, Row, open_table
from clientela.imports.users import UserDirectory
from clientela.parties.services import _set_tags

CHUNK = 2000
logger = logging.getLogger(__name__)
MAX_REPORTED_ERRORS = 100_000


@dataclass
class Progress:
    done: int
    total: int | None
    rate: float


def _record_digest(values: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


class _Runner:
    def __init__(self, job: ImportJob, actor: Actor, progress: Callable[[Progress], None] | None) -> None:
        self.job = job
        self.actor = actor
        self.progress = progress
        self.mapping = parse_mapping(job.mapping, entity=job.entity) if job.mapping else None
        options = self.mapping.options if self.mapping else None
        self.options = options
        self.default_country = (
            (options.default_country if options else None) or job.source.default_country or ""
        ).upper()
        self.date_format = options.date_format if options else None
        self.errors: list[RowError] = []
        self.effects: list[Any] = []  # Effect instances and bulk tuples (see insert_effects)
        self.touched: set[int] = set()  # customers to index again (or whose figures to refresh)
        self.created_docs: list[Any] = []  # search documents of customers the chunk created in bulk
        self.resolver: Any = None
        self.users = UserDirectory()
        self.created: list[tuple[int, int]] = []  # (line, customer id) the chunk created
        self.duplicates = DuplicateCheck(job) if job.entity == Entity.PARTIES and check_enabled() else None

    # --- one row ------------------------------------------------------------------------------------
    def _prepare(self, values: dict[str, object]) -> Any:
        from clientela.imports.interaction_rows import default_timezone, prepare_interaction
        from clientela.imports.party_rows import prepare_party

        job, opts = self.job, self.options
        if job.entity == Entity.PARTIES:
            return prepare_party(
                values, source=job.source, default_country=self.default_country, date_format=self.date_format,
                users=self.users,
            )  # fmt: skip
        return prepare_interaction(
            values, source=job.source, kind=opts.kind if opts else None,
            region=self.default_country or settings.CLIENTELA_DEFAULT_REGION,
            currency=(opts.default_currency if opts else None) or job.source.default_currency
            or settings.CLIENTELA_DEFAULT_CURRENCY,
            decimal=opts.decimal if opts else None, date_format=self.date_format,
            tz=default_timezone(job.source, opts.timezone if opts else None), resolver=self.resolver,
            users=self.users,
        )  # fmt: skip

    def _write(self, draft: Any, external_id: str) -> tuple[int, str, str]:
        """Write one prepared row; returns (target id, target field of SourceRecord, outcome)."""
        from clientela.imports.interaction_rows import write_interaction
        from clientela.imports.party_rows import write_party

        job = self.job
        if job.entity == Entity.PARTIES:
            party_id, outcome = write_party(draft, job=job, actor=self.actor, effects=self.effects)
            self.touched.add(party_id)
            return party_id, "party_id", outcome
        row, outcome, previous = write_interaction(
            draft, actor=self.actor, source=job.source, external_id=external_id
        )
        if outcome != "unchanged":
            self.effects.append(
                Effect(job=job, model="interactions.interaction", object_id=row.pk, action=Effect.Action.CREATE,
                       before={"supersedes": previous.pk} if previous is not None else None)
            )  # fmt: skip
            self.touched.update(p for p in (row.party_id, row.organisation_id) if p)
            if previous is not None:
                self.touched.update(p for p in (previous.party_id, previous.organisation_id) if p)
        return row.pk, "interaction_id", outcome

    def _item(self, row: Row, columns: dict[str, str]) -> Item | None:
        """The row prepared and validated, or None after reporting why it cannot be imported."""
        from clientela.imports.party_rows import RowInvalid

        if row.problem:
            self._error(row, "", "", row.problem)
            return None
        values = {field: row.values.get(header) for header, field in columns.items()}
        try:
            draft = self._prepare(values)
        except RowInvalid as exc:
            self._report(row, exc, columns)
            return None
        except (ValueError, TypeError) as exc:
            # a value no parser foresaw is this row's problem, not a reason to stop the import
            self._error(row, "", "", str(exc))
            return None
        digest = _record_digest(values)
        raw = _jsonable(row.values)
        item = Item(row=row, draft=draft, external_id=draft.external_id or "row:" + digest, digest=digest,
                    raw=raw, raw_json=json.dumps(raw))  # fmt: skip
        if self.job.entity == Entity.PARTIES:
            item.doc, item.snapshots = draft_document(draft), draft_snapshots(draft)
        return item

    def chunk(self, batch: list[Row], columns: dict[str, str]) -> None:
        """Import one chunk of rows: validated one by one, looked up and (new customers) written together."""
        self.write(self.prepare(batch, columns), columns)

    def prepare(self, batch: list[Row], columns: dict[str, str]) -> Prepared:
        """Validate one chunk. It writes nothing, so it may run in a reader process (see ``prepare.py``):
        the row errors found travel with the chunk instead of staying in this runner."""
        job = self.job
        errors, failed = self.errors, job.failed
        self.errors, job.failed = [], 0
        try:
            if job.entity == Entity.INTERACTIONS:
                from clientela.imports.interaction_bulk import PartyResolver

                rows = [{f: r.values.get(h) for h, f in columns.items()} for r in batch if not r.problem]
                self.resolver = PartyResolver(
                    rows, job.source_id, self.default_country or settings.CLIENTELA_DEFAULT_REGION
                )
            items = [item for row in batch if (item := self._item(row, columns)) is not None]
            found = [(e.row_index, e.line, e.column, e.value, e.message) for e in self.errors]
            return Prepared(last_index=batch[-1].index, items=items, errors=found, failed=job.failed)
        finally:
            self.errors, job.failed = errors, failed

    def write(self, prepared: Prepared, columns: dict[str, str]) -> None:
        """Write one prepared chunk: looked up and (new customers, new ledger rows) written together."""
        from clientela.imports.party_bulk import existing_matches, insert_new, split_new

        job = self.job
        job.failed += prepared.failed
        room = max(MAX_REPORTED_ERRORS - len(self.errors), 0)
        self.errors.extend(
            RowError(job=job, row_index=index, line=line, column=column, value=value, message=message)
            for index, line, column, value, message in prepared.errors[:room]
        )
        items = prepared.items
        records = {
            r.external_id: r
            for r in SourceRecord.objects.filter(
                source=job.source, entity=job.entity, external_id__in=[i.external_id for i in items]
            )
        }
        fresh = []
        for item in items:
            item.record = records.get(item.external_id)
            if (
                item.record is not None
                and item.record.digest == item.digest
                and (item.record.party_id or item.record.interaction_id)
            ):
                job.unchanged += 1
            else:
                fresh.append(item)
        if job.entity != Entity.PARTIES:
            self._interactions(fresh, columns)
            return
        found = existing_matches([i for i in fresh if i.record is None], job)
        candidates = [i for i in fresh if i.record is None]
        new, later = split_new(candidates, found)
        later += [i for i in fresh if i.record is not None]
        if new:
            mark = len(self.effects)
            try:
                with transaction.atomic():
                    docs = insert_new(new, job=job, actor=self.actor, effects=self.effects, tags=_set_tags)
            except DatabaseError:
                # someone wrote the same customer meanwhile: the row-by-row path sorts each row out
                del self.effects[mark:]
                later = new + later
            else:
                job.created += len(new)
                self.created_docs.extend(docs)
                self.created.extend((i.row.line, i.party_id) for i in new if i.party_id)
        later.sort(key=lambda i: i.row.index)
        for item in later:
            self._write_item(item, columns)

    def _interactions(self, fresh: list[Item], columns: dict[str, str]) -> None:
        """New ledger rows of the chunk validated one by one and inserted together; possible corrections
        (an id the ledger or the chunk already has) go row by row through ``interaction_log``."""
        from django.core.exceptions import ValidationError

        from clientela.imports.interaction_bulk import already_logged, employers, insert_new
        from clientela.imports.interaction_rows import ledger_problems
        from clientela.interactions.services import interaction_fields

        job = self.job
        later = [i for i in fresh if i.record is not None]
        candidates = [i for i in fresh if i.record is None]
        logged = already_logged(job, [i.external_id for i in candidates])
        new: list[Item] = []
        seen: set[str] = set()
        for item in candidates:
            if item.external_id in logged or item.external_id in seen:
                later.append(item)
            else:
                seen.add(item.external_id)
                new.append(item)
        works_at = employers({i.draft.party.pk for i in new if i.draft.party.kind == "person"})
        valid: list[Item] = []
        fields: list[dict[str, Any]] = []
        for item in new:
            d = item.draft
            try:
                fields.append(
                    interaction_fields(
                        actor=self.actor, party=d.party, kind=d.kind, occurred_at=d.occurred_at, payload=d.payload,
                        channel=d.channel, direction=d.direction, user=d.user, source=job.source,
                        external_id=item.external_id, filed=works_at.get(d.party.pk),
                    )
                )  # fmt: skip
            except ValidationError as exc:
                self._report(item.row, ledger_problems(exc), columns)
                continue
            valid.append(item)
        if valid:
            mark = len(self.effects)
            try:
                with transaction.atomic():
                    touched = insert_new(valid, fields, job=job, actor=self.actor, effects=self.effects)
            except DatabaseError:
                del self.effects[mark:]
                later += valid
            else:
                job.created += len(valid)
                self.touched |= touched
        later.sort(key=lambda i: i.row.index)
        for item in later:
            self._write_item(item, columns)

    def _write_item(self, item: Item, columns: dict[str, str]) -> None:
        from clientela.imports.party_rows import RowInvalid

        job, row, record = self.job, item.row, item.record
        try:
            with transaction.atomic():
                target, target_field, outcome = self._write(item.draft, item.external_id)
                if record is None:
                    record = SourceRecord.objects.create(
                        source=job.source, entity=job.entity, external_id=item.external_id, raw=item.raw,
                        digest=item.digest, first_job=job, last_job=job, **{target_field: target},
                    )  # fmt: skip
                    self.effects.append(
                        Effect(job=job, model="imports.sourcerecord", object_id=record.pk, action="create")
                    )
                else:
                    before = {"raw": record.raw, "digest": record.digest, "party_id": record.party_id,
                              "interaction_id": record.interaction_id}  # fmt: skip
                    self.effects.append(
                        Effect(job=job, model="imports.sourcerecord", object_id=record.pk, action="update",
                               before=before)
                    )  # fmt: skip
                    record.raw, record.digest, record.last_job = item.raw, item.digest, job
                    setattr(record, target_field, target)
                    record.save(
                        update_fields=[
                            "raw",
                            "digest",
                            target_field.removesuffix("_id"),
                            "last_job",
                            "updated_at",
                        ]
                    )
        except RowInvalid as exc:
            self._report(row, exc, columns)
            return
        except DatabaseError as exc:
            # a database refusal of one row is that row's error; the rest of the import goes on
            self._error(row, "", "", _("This row could not be saved: %(error)s") % {"error": exc})
            return
        setattr(job, outcome, getattr(job, outcome) + 1)
        if outcome == "created" and job.entity == Entity.PARTIES:
            self.created.append((row.line, target))

    def _report(self, row: Row, exc: Any, columns: dict[str, str]) -> None:
        header_of = {field: header for header, field in columns.items()}
        names = [f for f in ("full_name", "organisation_name", "given_name", "family_name") if f in header_of]
        for field, message in exc.problems:
            header = header_of.get(field, "")
            if (
                not header
                and field in ("given_name", "family_name", "organisation_name", "full_name")
                and names
            ):
                header = header_of[names[0]]
            self._error(row, header, row.values.get(header, "") if header else "", message)

    def _error(self, row: Row, column: str, value: object, message: str) -> None:
        if not self.errors or self.errors[-1].row_index != row.index:
            self.job.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(
                RowError(job=self.job, row_index=row.index, line=row.line, column=column[:255],
                         value=str(value if value is not None else "")[:200], message=str(message)[:500])
            )  # fmt: skip

    # --- chunks -------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what the chunk left to write: errors, undo effects, the search index, the cursor."""
        from clientela.interactions.stats import party_stats_refresh
        from clientela.parties.search import party_index_refresh, party_index_write

        RowError.objects.bulk_create(self.errors)
        insert_effects(self.effects)
        if self.duplicates is not None:
            self.duplicates.check(self.created)
        self.created = []
        if self.job.entity == Entity.PARTIES:
            # a customer created in bulk and then touched by a later row of the chunk is read back
            party_index_write([d for d in self.created_docs if d.id not in self.touched])
            if self.touched:
                party_index_refresh(self.touched)
        elif self.touched:
            party_stats_refresh(self.touched)
        self.errors, self.effects, self.touched, self.created_docs = [], [], set(), []
        self.job.save(
            update_fields=[
                "cursor",
                "created",
                "updated",
                "matched",
                "unchanged",
                "failed",
                "possible_duplicates",
                "duplicate_samples",
                "rows_total",
                "status",
            ]
        )

    def _open(self, limits: Limits | None = None) -> Any:
        opts = self.options
        return open_table(
            self.job.file_path, format=self.job.format, delimiter=opts.delimiter if opts else None,
            encoding=opts.encoding if opts else None, sheet=opts.sheet if opts else None,
            limits=limits or Limits.from_settings(),
        )  # fmt: skip

    def run(self) -> ImportJob:
        job = self.job
        with self._open() as table:
            columns, warnings = resolve_columns(table.headers, self.mapping, job.entity)
            if not columns:
                raise ImportFailed(" ".join(warnings) or _("No column of the file maps to a field."))
            job.rows_total = job.rows_total or table.total_rows_estimate
            job.message = "\n".join(warnings)[:2000]  # e.g. a column of the mapping missing from the file
            job.status, job.started_at = Status.RUNNING, job.started_at or timezone.now()
            job.save(update_fields=["status", "started_at", "rows_total", "message"])
            started = time.monotonic()
            first = job.cursor
            if job.mode == Mode.SKIP and not job.dry_run:
                self._run_chunked(table, columns, started, first)
            else:
                self._run_whole(table, columns, started)
        job.status = Status.DONE if not (job.mode == Mode.ATOMIC and job.failed) else Status.FAILED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at", "rows_total", "cursor"])
        if not job.dry_run:
            # one event per file, not one per row: a million-row import must not send a million webhooks;
            # receivers read the changed customers with GET /api/v1/parties?updated_after=...
            publish("import.completed", lambda: import_event(job.pk))
        return job

    def _tick(self, started: float, first: int) -> None:
        if self.progress:
            elapsed = max(time.monotonic() - started, 1e-6)
            self.progress(Progress(self.job.cursor, self.job.rows_total, (self.job.cursor - first) / elapsed))

    def _run_chunked(self, table: Any, columns: dict[str, str], started: float, first: int) -> None:
        with _fewer_collections():
            self._chunked(table, columns, started, first)

    def _chunked(self, table: Any, columns: dict[str, str], started: float, first: int) -> None:
        job = self.job
        start = job.cursor

        parallel = parallel_allowed(table.total_rows_estimate)

        @contextlib.contextmanager
        def open_rows() -> Iterator[Iterator[Row]]:
            # the reader process opens the file again: an inherited handle would share its offset
            with self._open() if parallel else contextlib.nullcontext(table) as source:
                yield (r for r in source.rows() if r.index >= start)

        chunks = prepared_chunks(
            lambda batch: self.prepare(batch, columns), open_rows, size=CHUNK, parallel=parallel
        )
        try:
            for prepared in chunks:
                with transaction.atomic():
                    self.write(prepared, columns)
                    job.cursor = prepared.last_index + 1
                    self.flush()
                self._tick(started, first)
        except ReaderStopped as exc:
            raise ImportFailed(
                _("The import stopped at row %(n)s because reading the file failed (%(error)s); run it again to "
                  "resume.") % {"n": job.cursor, "error": exc}
            ) from exc  # fmt: skip
        finally:
            chunks.close()
        job.rows_total = job.cursor

    def _run_whole(self, table: Any, columns: dict[str, str], started: float) -> None:
        job = self.job
        with transaction.atomic():
            for batch in batches(iter(table.rows()), CHUNK):
                self.chunk(batch, columns)
                job.cursor = batch[-1].index + 1
                self._tick(started, 0)
            errors = self.errors
            self.errors = []
            self.flush()
            transaction.set_rollback(job.dry_run or bool(job.failed))
        counted = ("created", "updated", "matched", "unchanged", "failed", "cursor", *DUPLICATE_FIELDS)
        counts = {f: getattr(job, f) for f in counted}
        job.refresh_from_db()
        for name, value in counts.items():
            setattr(job, name, value)
        if job.mode == Mode.ATOMIC and job.failed and not job.dry_run:
            job.message = _("Nothing was imported: %(n)s rows have errors.") % {"n": job.failed}
            job.save(update_fields=["message"])
        job.rows_total = job.cursor
        RowError.objects.bulk_create(errors)
        job.save(update_fields=[*counted, "rows_total"])


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while chunks are written: a chunk allocates hundreds
    of thousands of objects, almost none in cycles. 20,000 rows into a database of 500,000 customers
    took 9.0 s instead of 10.4 s."""
    before = gc.get_threshold()
    gc.freeze()  # Django's setup and the runner's state are not worth scanning again and again
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _jsonable(values: dict[str, object]) -> dict[str, Any]:
    """The row as JSON will give it back. Text files' rows already are (strings and empty cells): the
    same dict serves, which spares a round trip through JSON per row and a second copy in the chunk
    the reader process hands over."""
    if all(v is None or type(v) is str for v in values.values()):
        return values
    return json.loads(json.dumps(values, default=str))


def job_run(
    *, job: ImportJob, actor: Actor | None = None, progress: Callable[[Progress], None] | None = None
) -> ImportJob:
    """Run (or resume) ``job``; file-level problems mark it failed with a message and raise ImportFailed."""
    actor = actor or Actor(user=job.created_by, source=Source.IMPORT, label=f"import {job.pk}")
    with translation.override(job.language or None):
        try:
            return _Runner(job, actor, progress).run()
        except (ImportFileError, ImportFailed) as exc:
            job.status, job.message, job.finished_at = Status.FAILED, str(exc), timezone.now()
            job.save(update_fields=["status", "message", "finished_at"])
            raise ImportFailed(str(exc)) from exc
        except DatabaseError as exc:
            # the database went away or refused the chunk: the job stays resumable from its last commit
            logger.exception("import %s stopped", job.pk)
            raise ImportFailed(
                _(
                    "The import stopped at row %(n)s because the database refused a write (%(error)s); run it "
                    "again to resume."
                )
                % {"n": job.cursor, "error": exc}
            ) from exc
        except Exception as exc:
            logger.exception("import %s failed", job.pk)
            message = _("The import stopped at row %(n)s because of an internal error; nothing after the last "
                        "saved row was written. The error was logged.") % {"n": job.cursor}  # fmt: skip
            ImportJob.objects.filter(pk=job.pk).update(
                status=Status.FAILED, message=message, finished_at=timezone.now()
            )
            raise ImportFailed(message) from exc
