"""Importing leads from a CSV, Excel (.xlsx) or JSON Lines file (a fair's list, a purchased list, a
campaign export).

The file is streamed through the customer importer's readers (encoding, delimiter and format detection)
and its columns mapped the same way: a mapping file (``{"columns": ..., "options": ...}``, entity
"leads") or headers guessed in Spanish or English. Every row goes through ``lead_create`` in its own
savepoint, so a bad row is reported (line, field, message) and the others are still created. A row whose
email (or, without an email, phone) is already a lead's is skipped and counted as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, Scope, user_scope
from clientela.imports.exports import write_csv
from clientela.imports.fields import IDENTIFYING_FIELDS
from clientela.imports.mapping import Mapping, parse_mapping, resolve_columns
from clientela.imports.names import split_full_name
from clientela.imports.readers import Row, open_table
from clientela.imports.users import UserDirectory
from clientela.parties.normalize import normalize_email, normalize_phone
from clientela.sales.choices import LeadOrigin
from clientela.sales.leads import lead_create
from clientela.sales.models import Lead

ENTITY = "leads"
# Row errors kept for the report; the count goes on beyond, so a hopeless file cannot exhaust memory.
MAX_ROW_ERRORS = 100_000
PROGRESS_EVERY = 1000


class LeadImportError(Exception):
    """The import cannot run at all (no usable column); ``message`` is translated, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LeadRowError:
    """One problem of one row: ``line`` is where the user finds the row in the file."""

    line: int
    field: str
    column: str
    message: str
    value: str = ""


@dataclass
class LeadImportResult:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    read: int = 0
    created: int = 0
    duplicates: int = 0
    errors: int = 0  # rows with at least one error
    columns: dict[str, str] = field(default_factory=dict)  # header -> lead field
    warnings: list[str] = field(default_factory=list)
    row_errors: list[LeadRowError] = field(default_factory=list)


class _DryRun(Exception):
    """Raised at the end of a dry run to roll back everything it wrote."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store phone numbers as numbers
    return " ".join(str(value).split())


def _duplicate(data: dict[str, Any]) -> bool:
    """Whether a lead with the row's email (or, lacking one, phone) exists; unreadable values are left
    to ``lead_create`` to report."""
    try:
        if data.get("email"):
            email, _key = normalize_email(data["email"])
            return Lead.objects.filter(email__iexact=email).exists()
        if data.get("phone"):
            region = data.get("country") or settings.CLIENTELA_DEFAULT_REGION
            return Lead.objects.filter(phone=normalize_phone(data["phone"], region).e164).exists()
    except ValueError:
        return False
    return False


class _Rows:
    """Turns file rows into ``lead_create`` input, resolving owners by user name once per import."""

    def __init__(self, columns: dict[str, str], default_country: str) -> None:
        self.columns = columns
        self.headers = {lead_field: header for header, lead_field in columns.items()}
        self.default_country = default_country.strip().upper()
        self.users = UserDirectory()

    def data(self, row: Row) -> tuple[dict[str, Any], list[LeadRowError]]:
        values = {name: _cell(row.values.get(header)) for header, name in self.columns.items()}
        data = {name: value for name, value in values.items() if value and name != "full_name"}
        problems: list[LeadRowError] = []
        full_name = values.get("full_name", "")
        if full_name and not (data.get("given_names") or data.get("family_names")):
            data["given_names"], data["family_names"] = split_full_name(full_name)
            data = {name: value for name, value in data.items() if value}
        if not data.get("country") and self.default_country:
            data["country"] = self.default_country
        if data.get("owner"):
            user = self.users.find(data["owner"])
            if user is None:
                problems.append(self.error(row, "owner", self.users.unknown(data["owner"]), data["owner"]))
                del data["owner"]
            else:
                data["owner"] = user.pk
        return data, problems

    def error(self, row: Row, name: str, message: str, value: object = "") -> LeadRowError:
        return LeadRowError(row.line, name, self.headers.get(name, ""), str(message), _cell(value))


def _raw(row: Row) -> dict[str, str]:
    """The row as read, JSON-safe (spreadsheet cells may be numbers or dates)."""
    return {header: _cell(value) for header, value in row.values.items() if value not in (None, "")}


def _mapping(mapping: Mapping | str | bytes | dict[str, Any] | None) -> Mapping | None:
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    return parse_mapping(mapping, entity=ENTITY)


def _service_errors(exc: ValidationError, rows: _Rows, row: Row, data: dict[str, Any]) -> list[LeadRowError]:
    return [
        rows.error(row, "" if name == "__all__" else name, message, data.get(name, ""))
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


@transaction.atomic
def leads_import(
    *,
    actor: Actor,
    path: str | Path,
    mapping: Mapping | str | bytes | dict[str, Any] | None = None,
    dry_run: bool = False,
    source_name: str = "",
    default_country: str = "",
    progress: Callable[[LeadImportResult], None] | None = None,
) -> LeadImportResult:
    """Create a lead (origin "import") from every row of the file at ``path``; see the module docstring.

    ``mapping`` is a parsed mapping, or its JSON (``MappingError`` when invalid). ``source_name`` goes
    into each lead's ``raw`` record as ``_source``. Raises ``NotPermitted`` unless the user's lead "add"
    scope is "all" (an import hands out leads role-wide), ``ImportFileError`` for an unreadable file and
    ``LeadImportError`` when no column names the lead. A dry run checks everything and writes nothing.
    """
    if actor.user is not None and user_scope(actor.user, "lead", Action.ADD) != Scope.ALL:
        raise NotPermitted(_("Only users who may add leads for everyone can import leads."))
    parsed = _mapping(mapping)
    options = parsed.options if parsed else None
    country = default_country or (options.default_country if options else None) or ""
    result = LeadImportResult(dry_run=dry_run)
    with open_table(
        path,
        format=options.format if options else None,
        delimiter=options.delimiter if options else None,
        encoding=options.encoding if options else None,
        sheet=options.sheet if options else None,
    ) as table:
        result.columns, result.warnings = resolve_columns(table.headers, parsed, ENTITY)
        if not set(result.columns.values()) & set(IDENTIFYING_FIELDS[ENTITY]):
            raise LeadImportError(" ".join(result.warnings) or _("No column of the file maps to a field."))
        rows = _Rows(result.columns, country)
        try:
            with transaction.atomic():
                _import_rows(actor, table.rows(), rows, result, source_name, progress)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
    return result


def _import_rows(
    actor: Actor,
    file_rows: Iterable[Row],
    rows: _Rows,
    result: LeadImportResult,
    source_name: str,
    progress: Callable[[LeadImportResult], None] | None,
) -> None:
    for row in file_rows:
        result.read += 1
        if row.problem:
            problems = [rows.error(row, "", row.problem)]
        else:
            data, problems = rows.data(row)
            if not problems and _duplicate(data):
                result.duplicates += 1
            elif not problems:
                raw = _raw(row) | ({"_source": source_name} if source_name else {})
                try:
                    with transaction.atomic():  # a bad row rolls back alone
                        lead_create(actor=actor, data=data, origin=LeadOrigin.IMPORT, raw=raw)
                    result.created += 1
                except ValidationError as exc:
                    problems = _service_errors(exc, rows, row, data)
        if problems:
            result.errors += 1
            room = MAX_ROW_ERRORS - len(result.row_errors)
            result.row_errors.extend(problems[: max(room, 0)])
        if progress is not None and result.read % PROGRESS_EVERY == 0:
            progress(result)


def write_error_report(result: LeadImportResult, path: str | Path) -> Path:
    """Write the row errors as CSV (the exports' writer: BOM, formula-safe cells) and return its path."""
    headers = [_("line"), _("field"), _("column"), _("error"), _("value")]
    rows = ((e.line, e.field, e.column, e.message, e.value) for e in result.row_errors)
    write_csv(path, headers, rows)
    return Path(path)


def error_report_path(path: str | Path) -> Path:
    """Where the command writes the row errors of ``path``: beside it, as ``<name>.errors.csv``."""
    source = Path(path)
    return source.with_name(f"{source.stem}.errors.csv")
