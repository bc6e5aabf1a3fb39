"""Import pages: the list of jobs, the wizard (upload → map columns → dry run or import), the job page with
its live progress, the error report as CSV, and undo.

Only users who may import (``may_import``) reach any of them; every job is visible to those users.
Views stay thin: the pipeline creates and runs jobs, ``import_undo`` undoes them, selectors read.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clientela.core.actor import Actor
from clientela.core.pagination import InvalidCursor
from clientela.imports import selectors
from clientela.imports.exports import iter_csv
from clientela.imports.forms import (
    OPTION_FIELDS,
    MappingForm,
    UploadForm,
    discard_upload,
    posted_headers,
    store_upload,
)
from clientela.imports.jobs import ImportFailed, job_create, mapping_template, mapping_template_save
from clientela.imports.mapping import Mapping, MappingError, parse_mapping
from clientela.imports.models import ImportJob, Status
from clientela.imports.permissions import IMPORT_REFUSED, may_import
from clientela.imports.pipeline import job_run
from clientela.imports.readers import ImportFileError, detect_format
from clientela.imports.suggest import suggest_mapping
from clientela.imports.tasks import enqueue_import
from clientela.imports.undo import UndoRefused, import_undo

ERRORS_SHOWN = 50
DRY_RUN_ERRORS_SHOWN = 20
ERROR_HEADERS = ("line", "column", "value", "message")


def refused(request: HttpRequest, message: object = IMPORT_REFUSED) -> HttpResponse:
    return render(request, "web/403.html", {"message": str(message)}, status=403)


def import_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required (redirect), then the import permission (403 page)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_import(request.user):
            return refused(request)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@import_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.job_list(cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        return redirect("imports:list")
    return render(request, "imports/list.html", {"page": page, "nav": "imports"})


@import_required
@require_http_methods(["GET", "POST"])
def job_new(request: HttpRequest) -> HttpResponse:
    """Step 1: upload. The file is read before any job exists: an unreadable one is a form error."""
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        path = store_upload(form.cleaned_data["file"])
        try:
            selectors.file_sample(path, format=detect_format(path), values=0)
            job = job_create(
                actor=Actor.from_request(request), path=path, source=form.source_system(),
                entity=form.cleaned_data["entity"], mode=form.cleaned_data["mode"],
            )  # fmt: skip
        except (ImportFileError, ImportFailed) as exc:
            discard_upload(path)
            form.add_error("file", str(exc))
        else:
            if Path(job.file_path) != path.resolve():  # the same file of the same source was uploaded before
                discard_upload(path)
                if not selectors.is_draft(job):
                    messages.info(request, _("This file is already being imported from this source."))
                    return redirect("imports:detail", pk=job.pk)
            return redirect("imports:mapping", pk=job.pk)
    return render(request, "imports/new.html", {"form": form, "nav": "imports"})


def _initial(job: ImportJob, sample: selectors.FileSample, stored: dict[str, Any]) -> dict[str, Any]:
    """The mapping form's starting values: what was chosen before, else suggestions and detected options."""
    columns = stored.get("columns") or {}
    options = stored.get("options") or {}
    suggested = suggest_mapping(sample.headers, job.entity)
    initial: dict[str, Any] = {}
    for index, header in enumerate(sample.headers):
        initial[f"col_{index}"] = columns[header] if header in columns else (suggested.get(header) or "")
    delimiter = options.get("delimiter") or sample.delimiter or ","
    source = job.source
    initial.update(
        kind=options.get("kind", ""),
        delimiter="tab" if delimiter == "\t" else delimiter,
        encoding=options.get("encoding") or sample.encoding or "utf-8",
        decimal=options.get("decimal", ""),
        date_format=options.get("date_format", ""),
        default_country=options.get("default_country") or source.default_country,
        default_currency=options.get("default_currency") or source.default_currency,
        timezone=options.get("timezone") or source.timezone or settings.TIME_ZONE,
    )
    return initial


def _reading_options(data: Any) -> tuple[str | None, str | None]:
    delimiter = data.get("delimiter") or None
    return ("\t" if delimiter == "tab" else delimiter), (data.get("encoding") or None)


def _mapping_page(request: HttpRequest, job: ImportJob, **context: Any) -> HttpResponse:
    form, sample = context.get("form"), context.get("sample")
    if form is not None:
        context["columns"] = form.columns(sample.samples if sample else None)
    return render(request, "imports/mapping.html", {"job": job, "nav": "imports", **context})


@import_required
@require_http_methods(["GET", "POST"])
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: one select per column (suggested from the headers), the reading options, then a dry run
    or the import itself."""
    job = selectors.job_get(pk)
    if not job.is_draft:
        return redirect("imports:detail", pk=job.pk)
    kwargs = {"entity": job.entity, "file_format": job.format}
    if request.method == "GET":
        previous = selectors.latest_dry_run(job)
        template = mapping_template(job.source, job.entity)
        stored = (previous.mapping if previous else None) or (template.to_json() if template else {})
        delimiter, encoding = _reading_options(stored.get("options") or {})
        try:
            sample = selectors.file_sample(
                job.file_path, format=job.format, delimiter=delimiter, encoding=encoding
            )
        except ImportFileError as exc:
            return _mapping_page(request, job, file_error=exc.message)
        initial = _initial(job, sample, stored)
        form = MappingForm(initial=initial, headers=sample.headers, **kwargs)
        return _mapping_page(request, job, form=form, sample=sample)

    delimiter, encoding = _reading_options(request.POST)
    try:
        sample = selectors.file_sample(
            job.file_path, format=job.format, delimiter=delimiter, encoding=encoding
        )
    except ImportFileError as exc:
        shown = MappingForm(request.POST, headers=posted_headers(request.POST), **kwargs)
        shown.is_valid()
        shown.add_error("encoding" if "encoding" in shown.fields else None, exc.message)
        return _mapping_page(request, job, form=shown, sample=None)
    if posted_headers(request.POST) != sample.headers:
        # Another separator or encoding gave other columns: show them, suggested afresh, before going on.
        options = {name: request.POST[name] for name in OPTION_FIELDS if request.POST.get(name)}
        form = MappingForm(
            initial=_initial(job, sample, {"options": options}), headers=sample.headers, **kwargs
        )
        notice = _("With these reading options the file has other columns. Check the mapping, then continue.")
        return _mapping_page(request, job, form=form, sample=sample, notice=notice)
    form = MappingForm(request.POST, headers=sample.headers, **kwargs)
    if not form.is_valid():
        return _mapping_page(request, job, form=form, sample=sample)
    try:
        mapping = parse_mapping(form.mapping_data(), entity=job.entity)
    except MappingError as exc:
        form.add_mapping_errors(exc.messages)
        return _mapping_page(request, job, form=form, sample=sample)
    if problem := form.identifying_problem():
        form.add_error(None, problem)
        return _mapping_page(request, job, form=form, sample=sample)
    if form.cleaned_data.get("save_template"):
        mapping_template_save(source=job.source, entity=job.entity, mapping=mapping)
    if request.POST.get("action") == "dry_run":
        return _dry_run(request, job, mapping, form, sample)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if selectors.is_draft(locked):  # a second click finds it queued already
            locked.mapping, locked.language = mapping.to_json(), get_language() or locked.language
            locked.save(update_fields=["mapping", "language"])
            enqueue_import(locked)
    return redirect("imports:detail", pk=job.pk)


def _dry_run(
    request: HttpRequest, job: ImportJob, mapping: Mapping, form: MappingForm, sample: selectors.FileSample
) -> HttpResponse:
    """Try the mapping on a copy job that writes nothing: here and now for small files, else in the worker."""
    try:
        dry = job_create(
            actor=Actor.from_request(request), path=Path(job.file_path), source=job.source, entity=job.entity,
            mapping=mapping, mode=job.mode, dry_run=True,
        )  # fmt: skip
    except (ImportFailed, ImportFileError) as exc:
        form.add_error(None, str(exc))
        return _mapping_page(request, job, form=form, sample=sample)
    if sample.rows_estimate is None or sample.rows_estimate >= selectors.SYNC_DRY_RUN_ROWS:
        enqueue_import(dry)
        return redirect("imports:detail", pk=dry.pk)
    with suppress(ImportFailed):  # the dry run is then marked failed, its message says why; the page shows it
        job_run(job=dry)
    try:
        preview = selectors.mapped_preview(job, mapping)
    except ImportFileError:
        preview = []
    errors = selectors.job_errors(dry, limit=DRY_RUN_ERRORS_SHOWN)
    return _mapping_page(
        request, job, form=form, sample=sample, dry=dry, dry_errors=errors, preview=preview,
        errors_limit=DRY_RUN_ERRORS_SHOWN,
    )  # fmt: skip


def _status_context(job: ImportJob) -> dict[str, Any]:
    finished = job.status in selectors.FINISHED
    limit = DRY_RUN_ERRORS_SHOWN if job.dry_run else ERRORS_SHOWN
    return {
        "job": job,
        "progress": selectors.job_progress(job),
        "errors": selectors.job_errors(job, limit=limit) if job.failed else [],
        "errors_limit": limit,
        "can_undo": finished and not job.dry_run and job.status != Status.UNDONE,
    }


@import_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(pk)
    if job.is_draft:
        return redirect("imports:mapping", pk=job.pk)
    context = _status_context(job)
    original = selectors.original_of(job) if job.dry_run else None
    context.update(nav="imports", original=original if original and selectors.is_draft(original) else None)
    if job.dry_run and job.status == Status.DONE and job.mapping:
        try:
            context["preview"] = selectors.mapped_preview(job, parse_mapping(job.mapping, entity=job.entity))
        except (ImportFileError, MappingError):
            context["preview"] = []
    return render(request, "imports/detail.html", context)


@import_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the job page, polled every 2 s; once the job has finished it comes back without
    its polling trigger, so polling stops. A changed status is announced once (out-of-band live region)."""
    job = selectors.job_get(pk)
    context = _status_context(job)
    context["announce"] = request.GET.get("seen", "") != job.status
    return render(request, "imports/_status.html", context)


@import_required
@require_GET
def job_errors_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every row error of the job (line, column, value, message), streamed; safe to open in a spreadsheet."""
    job = selectors.job_get(pk)
    response = StreamingHttpResponse(
        iter_csv(ERROR_HEADERS, selectors.error_rows(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@import_required
@require_http_methods(["GET", "POST"])
def job_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST takes back everything the import wrote."""
    job = selectors.job_get(pk)
    if request.method == "GET":
        return render(request, "imports/undo.html", {"job": job, "nav": "imports"})
    try:
        counts = import_undo(actor=Actor.from_request(request), job=job)
    except UndoRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Import undone: %(removed)s records removed and %(restored)s customers restored to their earlier values."
            )
            % {"removed": counts["removed"], "restored": counts["restored"]},
        )
    return redirect("imports:detail", pk=job.pk)
