"""Reads of imports for the pages and the API: job lists and pages, row errors, progress figures, and
samples of an uploaded file (headers, first values, rows as a mapping would read them).

Job reads are not restricted record by record: every user who may import sees every job (see
permissions.py); the views and endpoints check that first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from clientela.core.pagination import Page, keyset_page
from clientela.imports.mapping import Mapping, resolve_columns
from clientela.imports.models import ImportJob, RowError, Status
from clientela.imports.readers import Limits, open_table

PAGE_SIZE = 50
SAMPLE_VALUES = 3
PREVIEW_ROWS = 10
# Dry runs of files estimated below this many rows run while the user waits; larger ones in the worker.
SYNC_DRY_RUN_ROWS = 5_000
FINISHED = (Status.DONE, Status.FAILED, Status.UNDONE)
JOB_ORDER = ("-created_at", "-id")
ERROR_ORDER = ("line", "id")
_MAX_SHOWN_CHARS = 120


def is_draft(job: ImportJob) -> bool:
    """An uploaded file whose columns were never confirmed: nothing is queued or running for it."""
    return job.is_draft


def jobs() -> QuerySet[ImportJob]:
    """Import jobs with what lists show of them (source, who) in the same query."""
    return ImportJob.objects.select_related("source", "created_by")


def job_list(*, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One keyset page of jobs, newest first; one query whatever the number of jobs."""
    page = keyset_page(jobs(), ordering=JOB_ORDER, kinds=("datetime", "int"), cursor=cursor, size=size)
    return page


def job_get(pk: int) -> ImportJob:
    """One job (Http404 when there is none)."""
    job = jobs().filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def job_errors(job: ImportJob, *, limit: int) -> list[RowError]:
    """The first ``limit`` row errors of ``job``, in file order."""
    return list(RowError.objects.filter(job=job).order_by(*ERROR_ORDER)[:limit])


def error_page(job: ImportJob, *, cursor: str | None, size: int) -> Page:
    """One keyset page of the job's row errors, in file order."""
    qs = RowError.objects.filter(job=job)
    return keyset_page(qs, ordering=ERROR_ORDER, kinds=("int", "int"), cursor=cursor, size=size)


def error_rows(job: ImportJob) -> Iterator[tuple[object, ...]]:
    """Every row error of ``job`` as (line, column, value, message), streamed in file order."""
    qs = (
        RowError.objects.filter(job=job)
        .order_by(*ERROR_ORDER)
        .values_list("line", "column", "value", "message")
    )
    return qs.iterator(chunk_size=2000)


def original_of(job: ImportJob) -> ImportJob | None:
    """For a dry run: the import of the same upload it was tried for (None if there is none)."""
    if not job.dry_run:
        return job
    return (
        ImportJob.objects.filter(file_path=job.file_path, dry_run=False, created_at__lte=job.created_at)
        .order_by("-id")
        .first()
    )


def latest_dry_run(job: ImportJob) -> ImportJob | None:
    """The newest dry run of the upload ``job`` imports, to prefill its mapping page."""
    return (
        ImportJob.objects.filter(file_path=job.file_path, dry_run=True, id__gt=job.pk).order_by("-id").first()
    )


@dataclass(frozen=True)
class JobProgress:
    """What a progress bar shows: rows done of (estimated) total, rows per second and seconds left."""

    done: int
    total: int | None
    percent: int | None
    rate: float | None
    eta_seconds: int | None
    finished: bool

    @property
    def eta_minutes(self) -> int | None:
        return None if self.eta_seconds is None else max(1, round(self.eta_seconds / 60))


def job_progress(job: ImportJob, *, now: dt.datetime | None = None) -> JobProgress:
    """Progress of ``job``; the rate is the average since it started, the ETA follows from it."""
    finished = job.status in FINISHED
    total = job.rows_total
    done = job.cursor
    percent = None
    if total:
        percent = 100 if finished else min(99, int(done * 100 / total))
    rate = eta = None
    if job.started_at and done:
        end = job.finished_at if finished and job.finished_at else (now or timezone.now())
        seconds = (end - job.started_at).total_seconds()
        if seconds > 0:
            rate = done / seconds
            if not finished and total and total > done:
                eta = max(1, round((total - done) / rate))
    return JobProgress(done, total, percent, rate, eta, finished)


# --- the uploaded file ------------------------------------------------------------------------------------


def shown(value: object) -> str:
    """A cell as a page shows it: text, shortened when long."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    return text if len(text) <= _MAX_SHOWN_CHARS else text[: _MAX_SHOWN_CHARS - 1] + "…"


@dataclass
class FileSample:
    """The headers of a file, the first values of each column and how the reader read it."""

    headers: list[str]
    samples: dict[str, list[str]] = field(default_factory=dict)
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    rows_estimate: int | None = None


def file_sample(
    path: str | Path,
    *,
    format: str,
    delimiter: str | None = None,
    encoding: str | None = None,
    values: int = SAMPLE_VALUES,
) -> FileSample:
    """Open the file as an import would; raises ``ImportFileError`` (with a message for the user) if unusable."""
    with open_table(
        path, format=format, delimiter=delimiter, encoding=encoding, limits=Limits.from_settings()
    ) as table:
        sample = FileSample(
            headers=list(table.headers),
            format=table.format or format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            rows_estimate=table.total_rows_estimate,
        )
        sample.samples = {header: [] for header in sample.headers}
        if values:
            for row in table.rows():
                for header in sample.headers:
                    sample.samples[header].append(shown(row.values.get(header)))
                if row.index + 1 >= values:
                    break
    return sample


def mapped_preview(
    job: ImportJob, mapping: Mapping, *, rows: int = PREVIEW_ROWS
) -> list[list[tuple[str, str]]]:
    """The first ``rows`` rows of the job's file as the mapping reads them: (field, value) pairs."""
    options = mapping.options
    out: list[list[tuple[str, str]]] = []
    with open_table(
        job.file_path, format=job.format, delimiter=options.delimiter, encoding=options.encoding,
        sheet=options.sheet, limits=Limits.from_settings(),
    ) as table:  # fmt: skip
        columns, _warnings = resolve_columns(table.headers, mapping, job.entity)
        for row in table.rows():
            out.append([(name, shown(row.values.get(header))) for header, name in columns.items()])
            if len(out) >= rows:
                break
    return out
