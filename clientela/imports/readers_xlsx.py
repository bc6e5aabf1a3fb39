"""Excel .xlsx reader for ``clientela.imports.readers``, streaming a sheet with openpyxl's read-only mode."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop
from openpyxl import load_workbook

from clientela.imports.readers import (
    EMPTY,
    OLD_XLS,
    Limits,
    Row,
    Table,
    check_columns,
    file_error,
    long_value_problem,
    make_row,
    normalise_headers,
    ragged_problem,
    too_many_rows,
)

NOT_XLSX = gettext_noop(
    "The file is not a valid .xlsx file. Open it in Excel or LibreOffice, save it again as .xlsx and retry."
)
ZIP_BOMB = gettext_noop(
    "The .xlsx file unpacks to more data than an import allows. Save it as CSV or split it."
)
NO_SHEETS = gettext_noop("The workbook has no worksheets.")
UNKNOWN_SHEET = gettext_noop("There is no sheet named “%(sheet)s”. The sheets are: %(sheets)s.")
DAMAGED = gettext_noop(
    "The spreadsheet could not be read after row %(line)s; the file may be damaged. Save it again as .xlsx or CSV."
)
RAGGED_ROW = gettext_noop("Row %(line)s has %(cells)s cells; the header has %(headers)s.")
BOMB_MEMBER_BYTES = 10 * 1024 * 1024  # smaller members cannot hurt, however well they compress


def _is_empty(cells: tuple[Any, ...] | list[Any]) -> bool:
    return all(cell is None or cell == "" for cell in cells)


class XlsxTable(Table):
    """One worksheet of an .xlsx workbook; values keep openpyxl's types, ``line`` is the sheet row number."""

    format = "xlsx"

    def __init__(self, path: Path, limits: Limits, sheet: str | None) -> None:
        super().__init__(path, limits)
        self._check_archive()
        try:
            self._workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl fails with anything from KeyError to XML parse errors
            raise file_error(NOT_XLSX) from exc
        try:
            self._open_sheet(sheet)
        except BaseException:
            self.close()
            raise

    def _check_archive(self) -> None:
        """Refuse non-zip files and zip bombs before openpyxl inflates anything."""
        try:
            with self.path.open("rb") as handle:
                if handle.read(4) == b"\xd0\xcf\x11\xe0":
                    raise file_error(OLD_XLS)
            if not zipfile.is_zipfile(self.path):
                raise file_error(NOT_XLSX)
            with zipfile.ZipFile(self.path) as archive:
                members = archive.infolist()
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise file_error(NOT_XLSX) from exc
        if sum(member.file_size for member in members) > self.limits.max_uncompressed_bytes:
            raise file_error(ZIP_BOMB)
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > BOMB_MEMBER_BYTES and ratio > self.limits.max_compression_ratio:
                raise file_error(ZIP_BOMB)

    def _open_sheet(self, name: str | None) -> None:
        sheets = self._workbook.worksheets  # chart sheets excluded
        if not sheets:
            raise file_error(NO_SHEETS)
        by_title = {ws.title: ws for ws in sheets}
        if name is not None and name not in by_title:
            raise file_error(UNKNOWN_SHEET, sheet=name, sheets=", ".join(by_title))
        self._sheet = by_title[name] if name is not None else sheets[0]
        self.sheet_name: str = self._sheet.title
        declared_rows = getattr(self._sheet, "max_row", None)
        # Some writers declare a wrong dimension ("A1"), which would make openpyxl stop reading early
        # or pad every row to a bogus width; read the cells actually present instead.
        self._sheet.reset_dimensions()
        self._header_row = 0
        for number, cells in self._numbered_rows():
            if not _is_empty(cells):
                self._header_row = number
                while cells and (cells[-1] is None or cells[-1] == ""):
                    cells = cells[:-1]  # styled but empty cells after the last title
                self.headers = normalise_headers(cells)
                break
        else:
            raise file_error(EMPTY)
        check_columns(self.headers, self.limits)
        if isinstance(declared_rows, int) and declared_rows > self._header_row:
            self.total_rows_estimate = declared_rows - self._header_row

    def _numbered_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Yield (sheet row number, values), turning any failure inside openpyxl into ``ImportFileError``."""
        source = self._sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                cells = next(source)
            except StopIteration:
                return
            except Exception as exc:  # corrupt XML or zip member: openpyxl raises many kinds
                raise file_error(DAMAGED, line=number) from exc
            number += 1
            yield number, tuple(cells)

    def rows(self) -> Iterator[Row]:
        headers, limits = self.headers, self.limits
        width = len(headers)
        index = 0
        for number, cells in self._numbered_rows():
            if number <= self._header_row or _is_empty(cells):
                continue
            if index >= limits.max_rows:
                raise too_many_rows(limits)
            values: dict[str, object] = dict(zip(headers, cells, strict=False))
            for header in headers[len(cells) :]:
                values[header] = None
            used = len(cells)
            while used > width and (cells[used - 1] is None or cells[used - 1] == ""):
                used -= 1
            problem = ragged_problem(RAGGED_ROW, number, used, width) if used > width else None
            yield make_row(index, number, values, problem or long_value_problem(values, limits))
            index += 1

    def close(self) -> None:
        """Close the workbook: in read-only mode openpyxl keeps the zip file open until told otherwise."""
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
            self._workbook = None
