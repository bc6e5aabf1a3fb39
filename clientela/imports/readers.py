"""Streaming readers for the tabular files users import: CSV, Excel .xlsx and JSON Lines.

``open_table`` inspects a file (format, encoding, delimiter, headers) and returns a ``Table`` whose
``rows()`` streams ``Row`` objects without loading the file into memory. Problems with the file as a
whole raise ``ImportFileError``; problems confined to one row travel on ``Row.problem`` so an import
can report them and carry on. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

FORMATS = ("csv", "xlsx", "jsonl")
DELIMITERS = (",", ";", "\t", "|")  # the order breaks ties when sniffing
EXTENSIONS = dict.fromkeys((".csv", ".txt", ".tsv"), "csv") | {
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
SAMPLE_BYTES = 1024 * 1024
JSONL_HEADER_OBJECTS = 1000
SNIFF_RECORDS = 200
_BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY_SIGNATURES = ((b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"GIF8", "GIF"), (b"\xff\xd8", "JPEG"))

# User-facing messages, marked for extraction here and translated when raised.
EMPTY = gettext_noop("The file is empty.")
UNREADABLE = gettext_noop("The file could not be read.")
TOO_BIG = gettext_noop("The file is %(size)s; the limit is %(limit)s.")
UNKNOWN_FORMAT = gettext_noop(
    "Unsupported file type. Use CSV (.csv, .txt, .tsv), Excel (.xlsx) or JSON Lines (.jsonl, .ndjson)."
)
OLD_XLS = gettext_noop("Old .xls files are not supported. Save the file as .xlsx or CSV and try again.")
ZIP_AS_TEXT = gettext_noop(
    "This looks like an Excel or zip file, not %(format)s. Rename it to .xlsx or choose the xlsx format."
)
BINARY_KIND = gettext_noop(
    "This is a %(kind)s file, not a data file. Export the data as CSV, Excel (.xlsx) or JSON Lines."
)
BINARY = gettext_noop(
    "The file contains binary data, so it is not a text file. Export the data as CSV, Excel (.xlsx) or JSON Lines."
)
UNKNOWN_ENCODING = gettext_noop("Unknown encoding “%(encoding)s”. Try utf-8 or cp1252.")
BAD_ENCODING = gettext_noop(
    "The file is not valid %(encoding)s at line %(line)s. Choose the file's encoding (for example cp1252) and try again."
)
BAD_DELIMITER = gettext_noop(
    "Unsupported delimiter “%(delimiter)s”. Use comma, semicolon, tab or vertical bar (|)."
)
TOO_MANY_COLUMNS = gettext_noop("The file has %(count)s columns; the limit is %(limit)s.")
TOO_MANY_ROWS = gettext_noop(
    "The file has more than %(limit)s rows, which is the limit. Split it into smaller files."
)
CELL_TOO_LONG = gettext_noop("Line %(line)s has a cell longer than the limit of %(limit)s characters.")
CSV_ERROR = gettext_noop("Line %(line)s could not be read as CSV: %(detail)s.")
RAGGED_LINE = gettext_noop("Line %(line)s has %(cells)s cells; the header has %(headers)s.")
VALUE_TOO_LONG = gettext_noop(
    "The value in column “%(column)s” is longer than the limit of %(limit)s characters."
)
LINE_TOO_LONG = gettext_noop("Line %(line)s is longer than the limit of %(limit)s characters.")
NOT_AN_OBJECT = gettext_noop("Line %(line)s is not a JSON object: %(reason)s.")
INVALID_JSON = gettext_noop("invalid JSON at column %(column)s (%(detail)s)")
JSON_KINDS = {
    list: gettext_noop("it is an array"),
    str: gettext_noop("it is a string"),
    bool: gettext_noop("it is true or false"),
    int: gettext_noop("it is a number"),
    float: gettext_noop("it is a number"),
    type(None): gettext_noop("it is null"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be read. ``message`` is a translated, user-facing sentence."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message


def file_error(
    msgid: str, *, line: int | None = None, column: str | None = None, **params: object
) -> ImportFileError:
    """An ``ImportFileError`` carrying the translation of ``msgid``, which may use %(line)s and %(column)s too."""
    return ImportFileError(_(msgid) % {"line": line, "column": column, **params}, line=line, column=column)


@dataclass(frozen=True)
class Limits:
    """Size limits that keep an import from exhausting memory, disk or time."""

    max_bytes: int = 2 * 1024**3
    max_rows: int = 10_000_000
    max_columns: int = 500
    max_cell_chars: int = 100_000
    max_uncompressed_bytes: int = 4 * 1024**3
    max_compression_ratio: int = 200

    @classmethod
    def from_settings(cls) -> Limits:
        """Build limits from ``settings.CLIENTELA_IMPORT_LIMITS``, ignoring unknown keys."""
        configured = getattr(settings, "CLIENTELA_IMPORT_LIMITS", None) or {}
        known = {field.name for field in fields(cls)}
        return cls(**{key: int(value) for key, value in configured.items() if key in known})


@dataclass(frozen=True)
class Row:
    """One data row: ``index`` counts data rows from 0, ``line`` is where the user finds it in the file."""

    index: int
    line: int
    values: dict[str, object]
    problem: str | None = None


_new_object = object.__new__
_set_attribute = object.__setattr__


def make_row(index: int, line: int, values: dict[str, object], problem: str | None = None) -> Row:
    """Build a ``Row`` about twice as fast as its frozen-dataclass ``__init__``, which matters at 1M rows."""
    row = _new_object(Row)
    _set_attribute(row, "__dict__", {"index": index, "line": line, "values": values, "problem": problem})
    return row


class Table:
    """An opened import file. ``rows()`` restarts from the top on every call; use as a context manager."""

    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    total_rows_estimate: int | None = None

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.headers: list[str] = []

    def rows(self) -> Iterator[Row]:
        """Stream the data rows; raises ``ImportFileError`` for whole-file problems met on the way."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file. Text tables reopen the file for every iteration, so they hold nothing."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def detect_format(path: Path, declared: str | None = None) -> str:
    """Return "csv", "xlsx" or "jsonl": the declared format if given, else the one the extension implies."""
    if declared:
        if declared.strip().lower() in FORMATS:
            return declared.strip().lower()
    elif Path(path).suffix.lower() in EXTENSIONS:
        return EXTENSIONS[Path(path).suffix.lower()]
    elif Path(path).suffix.lower() == ".xls":
        raise file_error(OLD_XLS)
    raise file_error(UNKNOWN_FORMAT)


def open_table(
    path: str | Path,
    *,
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: Limits | None = None,
) -> Table:
    """Open ``path`` for streaming, detecting what was not given; raises ``ImportFileError`` if unusable."""
    path = Path(path)
    limits = limits or Limits.from_settings()
    fmt = detect_format(path, format)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise file_error(UNREADABLE) from exc
    if size > limits.max_bytes:
        raise file_error(TOO_BIG, size=filesizeformat(size), limit=filesizeformat(limits.max_bytes))
    if fmt == "xlsx":
        from clientela.imports.readers_xlsx import XlsxTable  # imported late: it imports this module

        return XlsxTable(path, limits, sheet)
    if fmt == "csv":
        return CsvTable(path, limits, size, encoding, delimiter)
    return JsonlTable(path, limits, size, encoding)


def normalise_headers(raw: Sequence[object]) -> list[str]:
    """Strip headers, name blank ones ``column_N`` and number repeats " (2)", " (3)" so keys are unique."""
    headers: list[str] = []
    repeats: dict[str, int] = {}
    for position, cell in enumerate(raw, 1):
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)  # a year typed as a spreadsheet header comes back as 2024.0
        name = ("" if cell is None else str(cell)).strip() or f"column_{position}"
        candidate, count = name, repeats.get(name, 1)
        while candidate in headers:
            count += 1
            candidate = f"{name} ({count})"
        repeats[name] = count
        headers.append(candidate)
    if not headers:
        raise file_error(EMPTY)
    return headers


def check_columns(headers: list[str], limits: Limits) -> None:
    """Refuse files wider than the column limit."""
    if len(headers) > limits.max_columns:
        raise file_error(TOO_MANY_COLUMNS, count=len(headers), limit=limits.max_columns)


def too_many_rows(limits: Limits) -> ImportFileError:
    """The error raised on reaching the row after the last one allowed."""
    return file_error(TOO_MANY_ROWS, limit=limits.max_rows)


def ragged_problem(msgid: str, line: int, cells: int, width: int) -> str:
    """Row problem for a row with more non-empty cells than the header has columns."""
    return _(msgid) % {"line": line, "cells": cells, "headers": width}


def long_value_problem(values: dict[str, object], limits: Limits) -> str | None:
    """Row problem naming the first column whose text is longer than ``max_cell_chars``, if any."""
    for column, value in values.items():
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            return _(VALUE_TOO_LONG) % {"column": column, "limit": limits.max_cell_chars}
    return None


def _check_text_sample(sample: bytes, format_name: str) -> None:
    """Reject binary files early: parsing them as text would only produce baffling row errors."""
    if sample.startswith(b"PK\x03\x04"):
        raise file_error(ZIP_AS_TEXT, format=format_name)
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(OLD_XLS)
    for signature, kind in _BINARY_SIGNATURES:
        if sample.startswith(signature):
            raise file_error(BINARY_KIND, kind=kind)
    if b"\x00" in sample and not sample.startswith(_BOMS_UTF16):
        raise file_error(BINARY)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # The five bytes cp1252 leaves undefined decode as Latin-1 does, instead of failing deep into a
    # file whose sample looked fine.
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("clientela-cp1252", _cp1252_fallback)


def _choose_encoding(sample: bytes, given: str | None, truncated: bool) -> str:
    if given:
        try:
            codec = codecs.lookup(given)
            if not getattr(codec, "_is_text_encoding", True):  # "base64" is a codec, but not for text
                raise LookupError(given)
        except LookupError:
            raise file_error(UNKNOWN_ENCODING, encoding=given) from None
        if codec.name == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"  # otherwise the BOM ends up glued to the first header
        return codec.name
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_BOMS_UTF16):
        return "utf-16"  # Excel's "Unicode text" export
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # The sample may end in the middle of a multi-byte character.
        if truncated and exc.reason == "unexpected end of data" and exc.start >= len(sample) - 3:
            return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _find_bad_line(path: Path, encoding: str) -> int | None:
    """The line holding the first undecodable byte; the text layer fails a whole chunk ahead of the reader."""
    if encoding.startswith("utf-16"):
        return None  # newlines are two bytes there, so splitting on b"\n" would lie
    with suppress(OSError), path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


class _TextTable(Table):
    """Machinery shared by the text formats: sampling, encoding detection, decoding errors."""

    format_name = ""
    blank_chars = "\ufeff \t\r\n"  # a file holding only these is empty

    def __init__(self, path: Path, limits: Limits, size: int, encoding: str | None) -> None:
        super().__init__(path, limits)
        self.size = size
        try:
            with path.open("rb") as handle:
                sample = handle.read(SAMPLE_BYTES)
        except OSError as exc:
            raise file_error(UNREADABLE) from exc
        self.truncated = size > len(sample)
        _check_text_sample(sample, self.format_name)
        self.encoding = _choose_encoding(sample, encoding, self.truncated)
        if self.truncated and b"\n" in sample:
            sample = sample[: sample.rfind(b"\n") + 1]  # whole lines only
        self.sample_bytes = len(sample)
        self.sample_text = sample.decode(self.encoding, errors="replace")
        if not self.truncated and not self.sample_text.strip(self.blank_chars):
            raise file_error(EMPTY)

    def _open(self, newline: str | None) -> IO[str]:
        errors = "clientela-cp1252" if self.encoding == "cp1252" else "strict"
        try:
            return self.path.open(encoding=self.encoding, errors=errors, newline=newline)
        except OSError as exc:
            raise file_error(UNREADABLE) from exc

    def _estimate(self, sampled_rows: int) -> int:
        if not self.truncated or not self.sample_bytes:
            return sampled_rows
        return round(sampled_rows * self.size / self.sample_bytes)

    @contextmanager
    def _reading(self, current_line: Callable[[], int]) -> Iterator[None]:
        """Turn decoding and I/O failures met while streaming into ``ImportFileError``."""
        try:
            yield
        except UnicodeDecodeError as exc:
            line = _find_bad_line(self.path, self.encoding or "utf-8") or current_line()
            name = "UTF-8" if (self.encoding or "").startswith("utf-8") else self.encoding
            raise file_error(BAD_ENCODING, line=line, encoding=name) from exc
        except OSError as exc:
            raise file_error(UNREADABLE) from exc


class CsvTable(_TextTable):
    """A delimited text file; values are strings, ``line`` is the physical line where the row starts."""

    format = "csv"
    format_name = "CSV"
    blank_chars = _TextTable.blank_chars + ",;|"

    def __init__(
        self, path: Path, limits: Limits, size: int, encoding: str | None, delimiter: str | None
    ) -> None:
        super().__init__(path, limits, size, encoding)
        if delimiter is not None and delimiter not in DELIMITERS:
            raise file_error(BAD_DELIMITER, delimiter=delimiter)
        self.delimiter = delimiter or _sniff_delimiter(self.sample_text)
        self._header_end = 0
        self.headers = self._read_header()
        check_columns(self.headers, limits)
        with suppress(csv.Error):
            records = csv.reader(io.StringIO(self.sample_text), delimiter=self.delimiter)
            self.total_rows_estimate = self._estimate(max(sum(1 for cells in records if any(cells)) - 1, 0))

    @contextmanager
    def _parsing(self, current_line: Callable[[], int]) -> Iterator[None]:
        # field_size_limit is global to the csv module: set only while this table parses, then restored.
        previous = csv.field_size_limit(self.limits.max_cell_chars)
        try:
            with self._reading(lambda: current_line() + 1):
                yield
        except csv.Error as exc:
            line = current_line()  # the line being parsed when it failed
            if "field larger than field limit" in str(exc):
                raise file_error(CELL_TOO_LONG, line=line, limit=self.limits.max_cell_chars) from exc
            raise file_error(CSV_ERROR, line=line, detail=exc) from exc
        finally:
            csv.field_size_limit(previous)

    def _read_header(self) -> list[str]:
        with self._open("") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter or ",")
            with self._parsing(lambda: reader.line_num):
                for cells in reader:
                    if any(cell.strip() for cell in cells):
                        self._header_end = reader.line_num
                        return normalise_headers(cells)
        raise file_error(EMPTY)

    def rows(self) -> Iterator[Row]:
        headers, limits = self.headers, self.limits
        width = len(headers)
        blanks = [""] * width
        with self._open("") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter or ",")
            with self._parsing(lambda: reader.line_num):
                for _cells in reader:
                    if reader.line_num >= self._header_end:
                        break
                index = 0
                previous_end = reader.line_num
                for cells in reader:
                    line = previous_end + 1  # a quoted field may spread a record over several lines
                    previous_end = reader.line_num
                    if not any(cells):
                        continue
                    if index >= limits.max_rows:
                        raise too_many_rows(limits)
                    if len(cells) == width:  # the common case, inlined: a call per row costs ~10%
                        row = _new_object(Row)
                        values = dict(zip(headers, cells, strict=False))
                        _set_attribute(
                            row, "__dict__", {"index": index, "line": line, "values": values, "problem": None}
                        )
                        yield row
                    elif len(cells) < width:  # exports often drop trailing empty cells
                        yield make_row(
                            index, line, dict(zip(headers, cells + blanks[len(cells) :], strict=True))
                        )
                    else:
                        yield self._wide_row(index, line, cells)
                    index += 1

    def _wide_row(self, index: int, line: int, cells: list[str]) -> Row:
        width = len(self.headers)
        used = len(cells)
        while used > width and not cells[used - 1]:
            used -= 1  # a stray delimiter at the end of the line adds nothing
        problem = ragged_problem(RAGGED_LINE, line, used, width) if used > width else None
        return make_row(index, line, dict(zip(self.headers, cells[:width], strict=True)), problem)


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter whose header splits into most columns and whose data rows agree with it."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(text), delimiter=delimiter)
            records = [cells for cells in itertools.islice(reader, SNIFF_RECORDS) if any(cells)]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width, data = len(records[0]), records[1:]
        agreement = sum(len(cells) == width for cells in data) / len(data) if data else 1.0
        score = (round(agreement, 2), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class JsonlTable(_TextTable):
    """One JSON object per line; values keep their JSON types and each row keeps its own keys."""

    format = "jsonl"
    format_name = "JSON Lines"

    def __init__(self, path: Path, limits: Limits, size: int, encoding: str | None) -> None:
        super().__init__(path, limits, size, encoding)
        keys: dict[str, None] = {}
        for row in itertools.islice((row for row in self._parse(False) if row.values), JSONL_HEADER_OBJECTS):
            keys.update(dict.fromkeys(row.values))
        self.headers = list(keys)
        check_columns(self.headers, limits)
        self.total_rows_estimate = self._estimate(
            sum(1 for line in self.sample_text.splitlines() if line.strip())
        )

    def rows(self) -> Iterator[Row]:
        return self._parse(True)

    def _parse(self, enforce_max_rows: bool) -> Iterator[Row]:
        limits = self.limits
        # No valid row can be longer than this, and reading such a line whole could exhaust memory.
        cap = limits.max_cell_chars * max(limits.max_columns, 1)
        number = index = 0
        with self._open(None) as handle, self._reading(lambda: number + 1):
            while text := handle.readline(cap):
                number += 1
                too_long = len(text) >= cap and not text.endswith("\n")
                if too_long:
                    while (rest := handle.readline(cap)) and not rest.endswith("\n"):
                        pass
                elif not text.strip():
                    continue
                if enforce_max_rows and index >= limits.max_rows:
                    raise too_many_rows(limits)
                if too_long:
                    yield make_row(index, number, {}, _(LINE_TOO_LONG) % {"line": number, "limit": cap})
                else:
                    yield _json_row(index, number, text, limits)
                index += 1


def _json_row(index: int, line: int, text: str, limits: Limits) -> Row:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = _(INVALID_JSON) % {"column": exc.colno, "detail": exc.msg}
    except (ValueError, RecursionError) as exc:  # e.g. an integer too long to convert, absurd nesting
        reason = str(exc)
    else:
        if isinstance(value, dict):
            return make_row(index, line, value, long_value_problem(value, limits))
        reason = _(JSON_KINDS.get(type(value), JSON_KINDS[str]))
    return make_row(index, line, {}, _(NOT_AN_OBJECT) % {"line": line, "reason": reason})
