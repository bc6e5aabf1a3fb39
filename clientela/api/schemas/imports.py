"""Schemas of imports: the multipart upload's fields in, jobs, row errors and undo results out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from clientela.api.schemas.common import InputSchema, UserRef
from clientela.core.models import SourceKind
from clientela.imports.models import Entity, ImportJob, Mode


class ImportIn(InputSchema):
    """The form fields sent with the file (multipart/form-data)."""

    source: str = Field(
        ..., min_length=1, max_length=100,
        description="The source system, by code or name; registered on first use",
    )  # fmt: skip
    source_kind: SourceKind | None = Field(None, description="Kind of a source registered by this import")
    entity: Entity = Field(
        Entity.PARTIES, description="What the file holds: parties (customers) or interactions"
    )
    mode: Mode = Field(
        Mode.SKIP, description="skip: import the good rows and report the bad ones; atomic: all or nothing"
    )
    dry_run: bool = Field(False, description="Check and count only; nothing is written")
    mapping: str | None = Field(
        None, max_length=100_000,
        description=(
            'JSON text: {"columns": {"column header": "field", ...}, "options": {...}} (see docs/import.md). '
            "Without it, columns are recognised from their headers (Spanish and English)."
        ),
    )  # fmt: skip


class SourceRef(Schema):
    """A source system as other records mention it."""

    id: int
    slug: str
    name: str
    kind: str


class ImportOut(Schema):
    """An import job: its settings, progress (``cursor`` rows of ``rows_total``) and counts."""

    id: int
    source: SourceRef
    entity: str
    original_name: str
    format: str
    mode: str
    dry_run: bool
    status: str = Field(..., description="pending, running, done, failed or undone")
    status_label: str
    language: str = Field(..., description="Language of the job's messages and row errors")
    mapping: dict[str, Any]
    rows_total: int | None = Field(..., description="Rows in the file (estimated until the job finishes)")
    cursor: int = Field(..., description="Rows processed so far")
    created: int
    updated: int
    matched: int = Field(..., description="Rows matched to existing customers")
    unchanged: int
    failed: int = Field(..., description="Rows with errors")
    possible_duplicates: int = Field(
        ..., description="New customers that look like customers who existed before the import"
    )
    duplicate_samples: list[dict[str, Any]] = Field(
        ...,
        description="The first of them: line, party_id (null in a dry run), display_name and up to three "
        "matches (party_id, display_name, probability)",
    )
    message: str
    created_by: UserRef | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None

    @staticmethod
    def resolve_status_label(obj: ImportJob) -> str:
        return str(obj.get_status_display())


class RowErrorOut(Schema):
    """A problem with one row: its line in the file, the column and value at fault, and what is wrong."""

    line: int
    column: str
    value: str
    message: str


class UndoOut(Schema):
    """What undoing an import took back."""

    removed: int = Field(..., description="Records removed (customers go to the recycle bin)")
    restored: int = Field(..., description="Customers given back their earlier values")
    job: ImportOut = Field(..., description="The import, now undone")
