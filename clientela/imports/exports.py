"""Tabular exports: CSV and XLSX writers safe against formula injection, and the rows they write.

Writers stream: rows are pulled from an iterator and written one by one, so exporting a million customers
never holds the file (or the customers) in memory. Every string cell is neutralised (OWASP "CSV injection"):
text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a
spreadsheet shows it instead of evaluating it. Numbers are data, never neutralised; dates and times are ISO
8601 text in CSV and native dates in XLSX (times in UTC: Excel cells hold no time zone).

Row sources read in id-ordered chunks (keyset, ``CHUNK_SIZE`` rows per query) and fetch what each chunk
needs from related tables in one query per table, whatever the number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clientela.core.models import SourceSystem
from clientela.core.permissions import Action
from clientela.parties.choices import ContactKind
from clientela.parties.models import ContactPoint, Party, SourceLink

CHUNK_SIZE = 2000
XLSX_MAX_ROWS = 1_048_576  # rows in one Excel sheet, the header row included
XLSX_SHEET_TITLE = "export"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"

PARTY_HEADERS: tuple[str, ...] = (
    "id",
    "kind",
    "display_name",
    "given_names",
    "family_name_1",
    "family_name_2",
    "legal_name",
    "trade_name",
    "tax_id",
    "email",
    "phone",
    "mobile",
    "city",
    "postal_code",
    "country",
    "language",
    "status",
    "owner",
    "tags",
    "created_at",
    "updated_at",
)
LINK_HEADERS: tuple[str, ...] = ("source", "external_id", "party_id")
TAG_SEPARATOR = "; "

# Party columns read straight from the party query, in the order of ``values_list``.
_PARTY_FIELDS = (
    "id",
    "kind",
    "display_name",
    "given_names",
    "family_name_1",
    "family_name_2",
    "legal_name",
    "trade_name",
    "tax_id",
    "country",
    "language",
    "status",
    "owner__username",
    "created_at",
    "updated_at",
)
_CONTACT_KINDS = (ContactKind.EMAIL, ContactKind.LANDLINE, ContactKind.MOBILE, ContactKind.ADDRESS)

Row = Sequence[object]


class ExportError(Exception):
    """An export that cannot be written; the message is translated and fit to show to the user."""


# --------------------------------------------------------------------------------------------- cells


def neutralise(value: object) -> str:
    """The text of a cell, safe to open in a spreadsheet.

    None is empty; numbers are plain digits (a negative amount is data, not a formula); dates and times are
    ISO 8601; any other value is its text, prefixed with ``'`` when it starts with a character a spreadsheet
    would read as the start of a formula.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


# ----------------------------------------------------------------------------------------------- CSV


class _Echo:
    """A file-like whose ``write`` hands the text back, so ``csv.writer`` formats one line at a time."""

    def write(self, text: str) -> str:
        return text


def iter_csv(headers: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """The lines of a CSV file (BOM first, then the header): for files and ``StreamingHttpResponse``."""
    writer = csv.writer(_Echo())
    yield CSV_BOM + writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


def _is_binary(fh: Any) -> bool:
    if isinstance(fh, io.TextIOBase):
        return False
    return isinstance(fh, io.RawIOBase | io.BufferedIOBase) or "b" in str(getattr(fh, "mode", ""))


def write_csv(
    path_or_file: str | os.PathLike[str] | IO[Any], headers: Sequence[str], rows: Iterable[Row]
) -> int:
    """Write a CSV file (UTF-8 with BOM, comma-separated, CRLF) row by row; returns the number of data rows.

    ``path_or_file`` is a path (created or replaced) or an open file, text or binary.
    """
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "w", encoding="utf-8", newline="") as fh:
            return write_csv(fh, headers, rows)
    binary = _is_binary(path_or_file)
    count = -1  # the header line is not a row
    for line in iter_csv(headers, rows):
        path_or_file.write(line.encode("utf-8") if binary else line)
        count += 1
    return count


# ---------------------------------------------------------------------------------------------- XLSX


def _xlsx_value(ws: Any, value: object) -> object:
    """A value openpyxl stores as data: numbers and dates natively, everything else as neutralised text."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    text = ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
    if text in ERROR_CODES:  # openpyxl would store "#N/A" as an error value, not as text
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        return cell
    return text


def _discard(ws: Any) -> None:
    """Remove the temporary file a write-only sheet streams into (best effort: openpyxl keeps it private)."""
    writer = getattr(ws, "_writer", None)
    if writer is None:
        return
    with suppress(Exception):
        ws.close()  # finish the rows generator first, or it writes to a closed file when collected
    with suppress(Exception):
        writer.cleanup()


def write_xlsx(path: str | os.PathLike[str] | IO[bytes], headers: Sequence[str], rows: Iterable[Row]) -> int:
    """Write a one-sheet .xlsx workbook in streaming (write-only) mode; returns the number of data rows.

    The header row is bold. Raises ``ExportError`` (and writes nothing at ``path``) when the rows do not fit
    in one sheet.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(XLSX_SHEET_TITLE)
    bold = Font(bold=True)
    try:
        header = []
        for name in headers:
            cell = WriteOnlyCell(ws, value=_xlsx_value(ws, name))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        count = 0
        for row in rows:
            count += 1
            if count >= XLSX_MAX_ROWS:
                raise ExportError(
                    _(
                        "An Excel sheet holds at most %(max)s rows and this export has more. "
                        "Export to CSV instead."
                    )
                    % {"max": f"{XLSX_MAX_ROWS - 1:,}"}
                )
            ws.append([_xlsx_value(ws, v) for v in row])
        wb.save(path)
    except BaseException:
        _discard(ws)
        raise
    return count


# ---------------------------------------------------------------------------------------------- rows


def party_export_queryset(*, user: Any = None, params: Mapping[str, Any] | None = None) -> QuerySet[Party]:
    """Live parties to export: all of them when ``user`` is None (the command line runs as an administrator),
    else those the user may both view and export. ``params`` are the customer list's filters (same
    ``PartyFilter`` as the list), so "export this list" exports what the list shows; invalid filters export
    nothing, as the list shows nothing.
    """
    from clientela.parties.filters import PartyFilter

    qs = Party.objects.all()
    if user is not None:
        qs = qs.restrict(user, Action.VIEW).restrict(user, Action.EXPORT)
    if params:
        filterset = PartyFilter(data=params, queryset=qs)
        qs = filterset.qs if filterset.is_valid() else qs.none()
    return qs


def _keyset_chunks(base: QuerySet, key: str, index: int) -> Iterator[list[tuple]]:
    """Chunks of ``base`` (a ``values_list`` query ordered by ``key``), resuming after the last row's key."""
    last: object = None
    while True:
        page = base if last is None else base.filter(**{f"{key}__gt": last})
        chunk = list(page[:CHUNK_SIZE])
        if chunk:
            yield chunk
        if len(chunk) < CHUNK_SIZE:
            return
        last = chunk[-1][index]


def _primary_contacts(ids: list[int]) -> dict[int, dict[str, tuple[str, str, str, str]]]:
    """Per party and kind, the live primary contact point's (value, normalized, city, postal code)."""
    out: dict[int, dict[str, tuple[str, str, str, str]]] = {}
    rows = (
        ContactPoint.objects.filter(
            party_id__in=ids, is_primary=True, deleted_at__isnull=True, kind__in=_CONTACT_KINDS
        )
        .order_by()
        .values_list("party_id", "kind", "value", "normalized", "city", "postal_code")
    )
    for party_id, kind, value, normalized, city, postal_code in rows:
        out.setdefault(party_id, {})[kind] = (value, normalized, city, postal_code)
    return out


def _tag_names(ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = (
        Party.tags.through.objects.filter(party_id__in=ids)
        .order_by("tag__key")
        .values_list("party_id", "tag__name")
    )
    for party_id, name in rows:
        out.setdefault(party_id, []).append(name)
    return out


def _party_rows(queryset: QuerySet[Party]) -> Iterator[tuple[object, ...]]:
    base = queryset.prefetch_related(None).order_by("pk").values_list(*_PARTY_FIELDS)
    for chunk in _keyset_chunks(base, "pk", 0):
        ids = [r[0] for r in chunk]
        contacts = _primary_contacts(ids)
        tags = _tag_names(ids)
        for (
            pk,
            kind,
            display_name,
            given_names,
            family_name_1,
            family_name_2,
            legal_name,
            trade_name,
            tax_id,
            country,
            language,
            status,
            owner,
            created_at,
            updated_at,
        ) in chunk:
            cps = contacts.get(pk, {})
            email = cps.get(ContactKind.EMAIL)
            phone = cps.get(ContactKind.LANDLINE)
            mobile = cps.get(ContactKind.MOBILE)
            address = cps.get(ContactKind.ADDRESS)
            yield (
                pk,
                kind,
                display_name,
                given_names,
                family_name_1,
                family_name_2,
                legal_name,
                trade_name,
                tax_id,
                email[0] if email else "",
                (phone[1] or phone[0]) if phone else "",
                (mobile[1] or mobile[0]) if mobile else "",
                address[2] if address else "",
                address[3] if address else "",
                country,
                language,
                status,
                owner or "",
                TAG_SEPARATOR.join(tags.get(pk, ())),
                created_at,
                updated_at,
            )


def party_export_rows(queryset: QuerySet[Party]) -> tuple[tuple[str, ...], Iterator[tuple[object, ...]]]:
    """Headers and rows (lazily, by id) of the parties in ``queryset``: main fields, primary email, landline
    (E.164), mobile (E.164), city and postal code of the primary address, owner's username and tag names.

    Three queries per ``CHUNK_SIZE`` parties (parties with owner, primary contact points, tags). The
    caller decides which parties: pass ``party_export_queryset(...)`` to respect a user's permissions.
    """
    return PARTY_HEADERS, _party_rows(queryset)


def _link_rows(parties: QuerySet[Party] | None) -> Iterator[tuple[object, ...]]:
    sources = list(SourceSystem.objects.order_by("slug").values_list("id", "slug"))
    for source_id, slug in sources:
        links = SourceLink.objects.filter(source_id=source_id)
        if parties is not None:
            links = links.filter(party_id__in=parties.order_by().values("pk"))
        base = links.order_by("external_id").values_list("external_id", "party_id")
        for chunk in _keyset_chunks(base, "external_id", 0):
            for external_id, party_id in chunk:
                yield (slug, external_id, party_id)


def link_export_rows(
    *, parties: QuerySet[Party] | None = None
) -> tuple[tuple[str, ...], Iterator[tuple[object, ...]]]:
    """Headers and rows (lazily) of every customer id in another system: source slug, external id, party id.

    Ordered by source slug then external id, read per source in keyset chunks along the (source,
    external_id) unique index. ``parties`` limits the rows to links of those parties (a user's scope);
    without it every link is written, including those of parties in the recycle bin.
    """
    return LINK_HEADERS, _link_rows(parties)
