"""``/v1/imports``: upload a file to import (it runs in the background), follow the job, read its row errors,
undo it. Only users who may import (``may_import``: add and change every customer) may call these."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from clientela.api import auth
from clientela.api.auth import request_actor
from clientela.api.errors import ProblemError, invalid
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import READ_ERRORS, WRITE_ERRORS, Problem, id_path
from clientela.api.schemas.imports import ImportIn, ImportOut, RowErrorOut, UndoOut
from clientela.imports import selectors
from clientela.imports.fields import IDENTIFYING_FIELDS
from clientela.imports.forms import discard_upload, store_upload, upload_problem
from clientela.imports.jobs import ImportFailed, job_create, mapping_template, source_for
from clientela.imports.mapping import ImportOptions, Mapping, MappingError, parse_mapping, resolve_columns
from clientela.imports.models import ImportJob
from clientela.imports.permissions import IMPORT_REFUSED, may_import
from clientela.imports.readers import ImportFileError, detect_format
from clientela.imports.suggest import suggest_mapping
from clientela.imports.tasks import enqueue_import
from clientela.imports.undo import UndoRefused, import_undo

READ = {**READ_ERRORS, 403: Problem}


def _require_import(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise ProblemError(403, str(IMPORT_REFUSED))


# The API's two authentications, refusing users who may not import as soon as they are known: before the
# request's fields are read, so such a user gets a 403 even for a malformed upload. Same class names as the
# originals, so the OpenAPI document keeps one security scheme of each kind.
class TokenAuth(auth.TokenAuth):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        if user is not None:
            _require_import(request)
        return user


class SessionCsrfAuth(auth.SessionCsrfAuth):
    def __call__(self, request: HttpRequest) -> Any:
        user = super().__call__(request)
        if user is not None:
            _require_import(request)
        return user


router = Router(tags=["imports"], auth=[TokenAuth(), SessionCsrfAuth()])


def _mapping(text: str | None, entity: str) -> Mapping | None:
    if not text or not text.strip():
        return None
    try:
        return parse_mapping(text, entity=entity)
    except MappingError as exc:
        raise invalid([{"field": "mapping", "message": message} for message in exc.messages]) from exc


def _file_mapping(path: Path, mapping: Mapping | None, entity: str) -> Mapping:
    """The mapping the job will use: the given one, or the columns recognised from the file's headers.
    Reads the file's header, so an unreadable file is refused now rather than failing in the worker."""
    options = mapping.options if mapping else ImportOptions()
    sample = selectors.file_sample(
        path, format=detect_format(path, options.format), delimiter=options.delimiter,
        encoding=options.encoding, values=0,
    )  # fmt: skip
    if mapping is None:
        suggested = suggest_mapping(sample.headers, entity)
        mapping = Mapping(columns={h: field or "" for h, field in suggested.items()}, options=options)
    columns, warnings = resolve_columns(sample.headers, mapping, entity)
    if not set(IDENTIFYING_FIELDS[entity]) & set(columns.values()):
        raise invalid([{"field": "mapping", "message": warnings[-1]}])
    return mapping


@router.post(
    "",
    response={202: ImportOut, **WRITE_ERRORS},
    operation_id="imports_create",
)
def imports_create(
    request: HttpRequest, response: HttpResponse, payload: Form[ImportIn], file: File[UploadedFile]
) -> Any:
    """Upload a CSV, XLSX or JSON Lines file and import it in the background: 202 with the job, to follow at
    ``/imports/{id}``. An unreadable file, an invalid ``mapping`` or a mapping without a column that
    identifies the customer is a 422. Uploading the same file of the same source while its import is still
    waiting or running returns that job instead of starting another."""
    _require_import(request)
    entity = payload.entity.value
    mapping = _mapping(payload.mapping, entity)
    if problem := upload_problem(file):
        raise invalid([{"field": "file", "message": problem}])
    path = store_upload(file)
    job: ImportJob | None = None
    try:
        source = source_for(payload.source, payload.source_kind)
        # without a mapping: the source's saved template, else the columns recognised from the headers
        mapping = _file_mapping(path, mapping or mapping_template(source, entity), entity)
        with transaction.atomic():
            job = job_create(
                actor=request_actor(request), path=path, source=source,
                entity=entity, mapping=mapping, mode=payload.mode.value, dry_run=payload.dry_run,
            )  # fmt: skip
            fresh = Path(job.file_path) == path.resolve()
            if not fresh and selectors.is_draft(job):  # an upload left at the mapping step in the web pages
                job.mapping = mapping.to_json()
                job.save(update_fields=["mapping"])
                fresh = True
            if fresh:
                enqueue_import(job)
    except ImportFileError as exc:
        discard_upload(path)
        raise invalid([{"field": "file", "message": exc.message}]) from exc
    except ImportFailed as exc:
        discard_upload(path)
        raise invalid([{"field": "file", "message": str(exc)}]) from exc
    except BaseException:
        if job is None or Path(job.file_path) != path.resolve():
            discard_upload(path)
        raise
    if Path(job.file_path) != path.resolve():
        discard_upload(path)  # the job reads the earlier upload of the same file
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{job.pk}")
    return Status(202, selectors.job_get(job.pk))


@router.get("", response={200: Paged[ImportOut], **READ}, operation_id="imports_list")
def imports_list(
    request: HttpRequest, cursor: str | None = cursor_param(), limit: int = limit_param()
) -> Any:
    """Every import job (uploads of any user, dry runs included), newest first, one keyset page at a time."""
    _require_import(request)
    page = selectors.job_list(cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{import_id}", response={200: ImportOut, **READ}, operation_id="imports_get")
def imports_get(request: HttpRequest, import_id: int = id_path()) -> Any:
    """One import job: status, progress and counts, and its message when it failed."""
    _require_import(request)
    return selectors.job_get(import_id)


@router.get("/{import_id}/errors", response={200: Paged[RowErrorOut], **READ}, operation_id="imports_errors")
def imports_errors(
    request: HttpRequest,
    import_id: int = id_path(),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """The job's row errors in file order (line, column, value, message), in the language of whoever
    started the import."""
    _require_import(request)
    job = selectors.job_get(import_id)
    page = selectors.error_page(job, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/{import_id}/undo", response={200: UndoOut, 409: Problem, **WRITE_ERRORS}, operation_id="imports_undo"
)
def imports_undo(request: HttpRequest, import_id: int = id_path()) -> Any:
    """Take back everything the import wrote: created customers go to the recycle bin, updated ones get their
    earlier values back, added interactions are removed. 409 when it cannot be undone (a dry run, still
    running, already undone)."""
    _require_import(request)
    job = selectors.job_get(import_id)
    try:
        counts = import_undo(actor=request_actor(request), job=job)
    except UndoRefused as exc:
        raise ProblemError(409, str(exc)) from exc
    return {**counts, "job": selectors.job_get(job.pk)}
