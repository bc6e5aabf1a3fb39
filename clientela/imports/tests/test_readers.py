"""Tests for the streaming import readers (CSV, .xlsx, JSON Lines); no database needed."""

from __future__ import annotations

import csv
import datetime
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from pytest_django.fixtures import Settings

from clientela.imports.readers import (
    SAMPLE_BYTES,
    ImportFileError,
    Limits,
    Row,
    Table,
    detect_format,
    open_table,
)


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def read_all(path: Path, **options: object) -> tuple[Table, list[Row]]:
    with open_table(path, **options) as table:  # type: ignore[arg-type]
        return table, list(table.rows())


def build_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


# --- CSV: delimiters -------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_detects_each_supported_delimiter(tmp_path: Path, delimiter: str) -> None:
    lines = [["name", "city", "note"], ["Ana", "Madrid", "x"], ["Luis", "Cádiz", "y"]]
    path = write(tmp_path, "data.csv", "\n".join(delimiter.join(cells) for cells in lines) + "\n")

    table, rows = read_all(path)

    assert table.delimiter == delimiter
    assert table.headers == ["name", "city", "note"]
    assert [row.values for row in rows] == [
        {"name": "Ana", "city": "Madrid", "note": "x"},
        {"name": "Luis", "city": "Cádiz", "note": "y"},
    ]


def test_csv_semicolon_wins_over_decimal_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "cliente;importe\nAna;1,50\nLuis;2,75\n")

    table, rows = read_all(path)

    assert table.delimiter == ";"
    assert rows[0].values == {"cliente": "Ana", "importe": "1,50"}


def test_csv_quoted_delimiters_do_not_confuse_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", 'name;address\n"Muñoz; José";"Calle A, 3"\nAna;"B, 4"\n')

    table, rows = read_all(path)

    assert table.delimiter == ";"
    assert rows[0].values == {"name": "Muñoz; José", "address": "Calle A, 3"}


def test_csv_single_column_file_uses_comma(tmp_path: Path) -> None:
    table, rows = read_all(write(tmp_path, "emails.csv", "email\na@example.com\nb@example.com\n"))

    assert table.delimiter == ","
    assert [row.values["email"] for row in rows] == ["a@example.com", "b@example.com"]


def test_csv_given_delimiter_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "a;b,c\n1;2,3\n")

    table, rows = read_all(path, delimiter=",")

    assert table.delimiter == ","
    assert table.headers == ["a;b", "c"]
    assert rows[0].values == {"a;b": "1;2", "c": "3"}


def test_csv_unsupported_delimiter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="Unsupported delimiter “:”"):
        open_table(write(tmp_path, "data.csv", "a:b\n1:2\n"), delimiter=":")


# --- CSV: encodings --------------------------------------------------------------------------


def test_csv_utf8(tmp_path: Path) -> None:
    table, rows = read_all(write(tmp_path, "data.csv", "nombre,ciudad\nÍñigo,A Coruña\n"))

    assert table.encoding == "utf-8"
    assert rows[0].values == {"nombre": "Íñigo", "ciudad": "A Coruña"}


def test_csv_utf8_with_bom_strips_it_from_the_first_header(tmp_path: Path) -> None:
    table, rows = read_all(write(tmp_path, "data.csv", "\ufeffnombre,ciudad\nÍñigo,Ávila\n"))

    assert table.encoding == "utf-8-sig"
    assert table.headers == ["nombre", "ciudad"]
    assert rows[0].values["nombre"] == "Íñigo"


def test_csv_cp1252_spanish_export_reads_back_exactly(tmp_path: Path) -> None:
    path = write(tmp_path, "erp.csv", "Razón social;Población\nJosé Muñoz;Cádiz", encoding="cp1252")

    table, rows = read_all(path)

    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert table.headers == ["Razón social", "Población"]
    assert rows == [Row(index=0, line=2, values={"Razón social": "José Muñoz", "Población": "Cádiz"})]


def test_csv_cp1252_euro_sign(tmp_path: Path) -> None:
    _table, rows = read_all(write(tmp_path, "erp.csv", "concepto;importe\nCuota;10 €\n", encoding="cp1252"))

    assert rows[0].values["importe"] == "10 €"


def test_csv_byte_undefined_in_cp1252_falls_back_to_latin1(tmp_path: Path) -> None:
    table, rows = read_all(write(tmp_path, "odd.csv", b"a;b\nx\x81;\xe9\n"))

    assert table.encoding == "latin-1"
    assert rows[0].values == {"a": "x\x81", "b": "é"}


def test_csv_given_encoding_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "ciudad\nCádiz\n", encoding="latin-1")

    table, rows = read_all(path, encoding="latin-1")

    assert table.encoding == "iso8859-1"
    assert rows[0].values == {"ciudad": "Cádiz"}


def test_csv_unknown_encoding_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="Unknown encoding “klingon”"):
        open_table(write(tmp_path, "data.csv", "a\n1\n"), encoding="klingon")


def test_csv_utf8_cut_inside_a_character_at_the_sample_end_is_still_utf8(tmp_path: Path) -> None:
    head = "texto\n" + ("a" * 99 + "\n") * ((SAMPLE_BYTES - 6) // 100)
    head += "b" * (SAMPLE_BYTES - 1 - len(head))
    assert len(head) == SAMPLE_BYTES - 1
    path = write(tmp_path, "data.csv", head + "é\nñ\n")  # the two bytes of "é" straddle the sample end

    table, rows = read_all(path)

    assert table.encoding == "utf-8"
    assert [row.values["texto"] for row in rows][-1] == "ñ"


def test_csv_bad_utf8_byte_after_the_sample_names_the_line(tmp_path: Path) -> None:
    good_lines = ["id,name"] + [f"{n},name number {n}" for n in range(1, 100_001)]
    content = ("\n".join(good_lines) + "\n").encode() + b"100001,Mu\xf1oz\n100002,ok\n"
    assert len(content) > 2 * SAMPLE_BYTES
    path = write(tmp_path, "late.csv", content)

    table = open_table(path)
    assert table.encoding == "utf-8"
    with pytest.raises(ImportFileError) as caught:
        list(table.rows())

    bad_line = len(good_lines) + 1
    assert caught.value.line == bad_line
    assert f"not valid UTF-8 at line {bad_line}" in caught.value.message
    assert "cp1252" in caught.value.message
    assert not isinstance(caught.value, UnicodeDecodeError)


# --- CSV: structure --------------------------------------------------------------------------


def test_csv_quoted_field_with_newline_keeps_physical_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", 'name,notes\nAna,"first\nsecond"\nLuis,plain\n\nEva,last\n')

    _table, rows = read_all(path)

    assert [(row.index, row.line) for row in rows] == [(0, 2), (1, 4), (2, 6)]
    assert rows[0].values["notes"] == "first\nsecond"


def test_csv_crlf_line_endings(tmp_path: Path) -> None:
    _table, rows = read_all(write(tmp_path, "data.csv", "a,b\r\n1,2\r\n3,4\r\n"))

    assert [row.values for row in rows] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert [row.line for row in rows] == [2, 3]


@pytest.mark.parametrize("content", [b"", b"   \n\n  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n", b";;;\n\n"])
def test_csv_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(ImportFileError, match=r"^The file is empty\.$"):
        open_table(write(tmp_path, "empty.csv", content))


def test_csv_header_only_yields_no_rows(tmp_path: Path) -> None:
    table, rows = read_all(write(tmp_path, "data.csv", "name;email\n"))

    assert table.headers == ["name", "email"]
    assert rows == []


def test_csv_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    _table, rows = read_all(write(tmp_path, "data.csv", "\n\nname,email\nAna,a@x.es\n"))

    assert rows == [Row(index=0, line=4, values={"name": "Ana", "email": "a@x.es"})]


def test_csv_headers_are_stripped_named_and_deduplicated(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", " Email ;;Email; email ;Email;column_2\n1;2;3;4;5;6\n")

    table, rows = read_all(path)

    assert table.headers == ["Email", "column_2", "Email (2)", "email", "Email (3)", "column_2 (2)"]
    assert rows[0].values == dict(zip(table.headers, ["1", "2", "3", "4", "5", "6"], strict=True))


def test_csv_ragged_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "a,b,c\n1,2,3,4\n5\n6,7,8,,\n")

    _table, rows = read_all(path)

    assert rows[0].problem == "Line 2 has 4 cells; the header has 3."
    assert rows[0].values == {"a": "1", "b": "2", "c": "3"}
    assert rows[1].problem is None
    assert rows[1].values == {"a": "5", "b": "", "c": ""}
    assert rows[2].problem is None  # trailing empty cells are harmless
    assert rows[2].values == {"a": "6", "b": "7", "c": "8"}


def test_csv_cell_over_the_limit_stops_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "a,b\n1,short\n2," + "x" * 50 + "\n3,never\n")
    previous_limit = csv.field_size_limit()

    table = open_table(path, limits=Limits(max_cell_chars=20))
    seen: list[Row] = []
    with pytest.raises(ImportFileError) as caught:
        seen.extend(table.rows())

    assert [row.values["b"] for row in seen] == ["short"]
    assert caught.value.line == 3
    assert "longer than the limit of 20 characters" in caught.value.message
    assert csv.field_size_limit() == previous_limit


def test_csv_cell_exactly_at_the_limit_is_fine(tmp_path: Path) -> None:
    _table, rows = read_all(
        write(tmp_path, "data.csv", "a\n" + "x" * 20 + "\n"), limits=Limits(max_cell_chars=20)
    )

    assert rows[0].values["a"] == "x" * 20


def test_csv_too_many_rows_raises_when_the_row_after_the_limit_is_reached(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "n\n1\n2\n3\n4\n")
    seen: list[Row] = []

    with pytest.raises(ImportFileError, match="more than 3 rows"):
        seen.extend(open_table(path, limits=Limits(max_rows=3)).rows())

    assert [row.values["n"] for row in seen] == ["1", "2", "3"]
    assert len(read_all(path, limits=Limits(max_rows=4))[1]) == 4


def test_csv_too_many_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "a,b,c,d\n1,2,3,4\n")

    with pytest.raises(ImportFileError, match="has 4 columns; the limit is 3"):
        open_table(path, limits=Limits(max_columns=3))
    assert len(open_table(path, limits=Limits(max_columns=4)).headers) == 4


def test_file_over_max_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="the limit is"):
        open_table(write(tmp_path, "data.csv", "a\n" + "1\n" * 100), limits=Limits(max_bytes=100))


def test_missing_file_is_an_import_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="could not be read"):
        open_table(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "This is a PNG file"),
        (b"%PDF-1.7\n...", "This is a PDF file"),
        (b"GIF89a....", "This is a GIF file"),
        (b"\xff\xd8\xff\xe0....", "This is a JPEG file"),
        (b"PK\x03\x04" + b"\x00" * 30, "Excel or zip file, not CSV. Rename it to .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30, "Old .xls files are not supported"),
        (b"name,notes\nAna,x\x00y\n", "binary data"),
    ],
)
def test_csv_binary_files_are_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    with pytest.raises(ImportFileError, match=re.escape(expected)):
        open_table(write(tmp_path, "renamed.csv", content))


def test_csv_utf16_excel_unicode_text(tmp_path: Path) -> None:
    table, rows = read_all(write(tmp_path, "excel.txt", "nombre\tciudad\nJosé\tÁvila\n", encoding="utf-16"))

    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert rows[0].values == {"nombre": "José", "ciudad": "Ávila"}


def test_csv_total_rows_estimate(tmp_path: Path) -> None:
    small = write(tmp_path, "small.csv", "a,b\n" + "1,2\n" * 10)
    big = write(tmp_path, "big.csv", "a,b\n" + "".join(f"{n},{n}\n" for n in range(200_000, 600_000)))

    assert open_table(small).total_rows_estimate == 10
    estimate = open_table(big).total_rows_estimate
    assert estimate is not None
    assert 360_000 < estimate < 440_000


def test_rows_can_be_iterated_twice(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "data.csv", "a,b\n1,2\n3,4\n"))

    first, second = list(table.rows()), list(table.rows())

    assert first == second
    assert [row.index for row in first] == [0, 1]


def test_abandoned_iteration_restores_the_csv_field_limit(tmp_path: Path) -> None:
    previous_limit = csv.field_size_limit()
    table = open_table(write(tmp_path, "data.csv", "a\n1\n2\n"), limits=Limits(max_cell_chars=7))
    rows = table.rows()

    assert next(rows).values == {"a": "1"}
    rows.close()

    assert csv.field_size_limit() == previous_limit


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_basic_read_keeps_native_types(tmp_path: Path) -> None:
    path = build_xlsx(
        tmp_path / "clientes.xlsx",
        {
            "Clientes": [
                [" Nombre ", "Alta", "Importe", "Activo"],
                ["Ana", datetime.datetime(2024, 3, 1, 9, 30), 12.5, True],
                [None, None, None, None],
                ["  Luis ", datetime.date(2023, 12, 31), 7, False],
                [],
            ]
        },
    )

    table, rows = read_all(path)

    assert table.format == "xlsx"
    assert table.headers == ["Nombre", "Alta", "Importe", "Activo"]
    assert table.encoding is None
    assert table.delimiter is None
    assert rows[0] == Row(
        index=0,
        line=2,
        values={
            "Nombre": "Ana",
            "Alta": datetime.datetime(2024, 3, 1, 9, 30),
            "Importe": 12.5,
            "Activo": True,
        },
    )
    assert rows[1].index == 1
    assert rows[1].line == 4  # the spreadsheet row number, after the skipped empty row
    assert rows[1].values["Nombre"] == "  Luis "  # strings kept as they are
    assert rows[1].values["Alta"] == datetime.datetime(2023, 12, 31)
    assert rows[1].values["Importe"] == 7
    assert isinstance(rows[1].values["Importe"], int)
    assert len(rows) == 2


def test_xlsx_header_is_the_first_non_empty_row_and_is_normalised(tmp_path: Path) -> None:
    path = build_xlsx(
        tmp_path / "data.xlsx", {"S": [[], [], ["Email", None, "Email", 2024.0], ["a@x.es", 1, "b@x.es", 3]]}
    )

    table, rows = read_all(path)

    assert table.headers == ["Email", "column_2", "Email (2)", "2024"]
    assert rows == [
        Row(index=0, line=4, values={"Email": "a@x.es", "column_2": 1, "Email (2)": "b@x.es", "2024": 3})
    ]


def test_xlsx_short_and_long_rows(tmp_path: Path) -> None:
    path = build_xlsx(
        tmp_path / "data.xlsx", {"S": [["a", "b"], ["1"], ["2", "3", "extra"], ["4", "5", None]]}
    )

    _table, rows = read_all(path)

    assert rows[0].values == {"a": "1", "b": None}
    assert rows[0].problem is None
    assert rows[1].problem == "Row 3 has 3 cells; the header has 2."
    assert rows[1].values == {"a": "2", "b": "3"}
    assert rows[2].problem is None


def test_xlsx_long_string_is_a_row_problem(tmp_path: Path) -> None:
    path = build_xlsx(tmp_path / "data.xlsx", {"S": [["name", "notes"], ["Ana", "x" * 30], ["Luis", "ok"]]})

    _table, rows = read_all(path, limits=Limits(max_cell_chars=10))

    assert rows[0].problem == "The value in column “notes” is longer than the limit of 10 characters."
    assert rows[1].problem is None


def test_xlsx_sheet_selection_and_unknown_sheet(tmp_path: Path) -> None:
    path = build_xlsx(
        tmp_path / "book.xlsx", {"Primera": [["a"], [1]], "Facturas": [["factura"], ["F-1"], ["F-2"]]}
    )

    first, first_rows = read_all(path)
    chosen, chosen_rows = read_all(path, sheet="Facturas")

    assert first.headers == ["a"]
    assert [row.values for row in first_rows] == [{"a": 1}]
    assert chosen.headers == ["factura"]
    assert [row.values["factura"] for row in chosen_rows] == ["F-1", "F-2"]
    with pytest.raises(
        ImportFileError, match=re.escape("no sheet named “Pedidos”. The sheets are: Primera, Facturas")
    ):
        open_table(path, sheet="Pedidos")


def test_xlsx_too_many_rows_and_columns(tmp_path: Path) -> None:
    path = build_xlsx(tmp_path / "data.xlsx", {"S": [["a", "b", "c"], [1, 2, 3], [4, 5, 6]]})

    with pytest.raises(ImportFileError, match="more than 1 rows"):
        list(open_table(path, limits=Limits(max_rows=1)).rows())
    with pytest.raises(ImportFileError, match="has 3 columns"):
        open_table(path, limits=Limits(max_columns=2))


def test_xlsx_rows_twice_and_close(tmp_path: Path) -> None:
    path = build_xlsx(tmp_path / "data.xlsx", {"S": [["a"], [1], [2]]})
    table = open_table(path)

    assert list(table.rows()) == list(table.rows())
    assert table.total_rows_estimate == 2
    archive = table._workbook._archive  # type: ignore[attr-defined]
    table.close()
    assert archive.fp is None
    table.close()  # closing twice is harmless


def test_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=re.escape("not a valid .xlsx file")):
        open_table(write(tmp_path, "fake.xlsx", "a,b\n1,2\n"))


def test_xlsx_that_is_an_old_xls(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=re.escape("Old .xls files are not supported")):
        open_table(write(tmp_path, "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600))


def test_xlsx_zip_without_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(ImportFileError, match=re.escape("not a valid .xlsx file")):
        open_table(path)


def test_xlsx_truncated_file(tmp_path: Path) -> None:
    path = build_xlsx(tmp_path / "data.xlsx", {"S": [["a"], [1]]})
    path.write_bytes(path.read_bytes()[:-200])

    with pytest.raises(ImportFileError, match=re.escape("not a valid .xlsx file")):
        open_table(path)


def test_xlsx_damaged_sheet_fails_cleanly_while_streaming(tmp_path: Path) -> None:
    source = build_xlsx(tmp_path / "ok.xlsx", {"S": [["a", "b"], *([n, f"v{n}"] for n in range(2000))]})
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in original.infolist():
            data = original.read(member.filename)
            if member.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # the XML stops half way through the sheet
            copy.writestr(member, data)
    seen: list[Row] = []

    with (
        open_table(damaged) as table,
        pytest.raises(ImportFileError, match="could not be read after row") as caught,
    ):
        seen.extend(table.rows())

    assert len(seen) > 100
    assert caught.value.line == seen[-1].line  # the last row read intact


def test_csv_file_removed_after_opening(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "a\n1\n")
    table = open_table(path)
    path.unlink()

    with pytest.raises(ImportFileError, match="could not be read"):
        list(table.rows())


def test_xlsx_zip_bomb_ratio_guard(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))

    with pytest.raises(ImportFileError, match="unpacks to more data than an import allows"):
        open_table(path)


def test_xlsx_uncompressed_size_guard(tmp_path: Path) -> None:
    path = build_xlsx(tmp_path / "data.xlsx", {"S": [["a"], [1]]})

    assert open_table(path).headers == ["a"]
    with pytest.raises(ImportFileError, match="unpacks to more data"):
        open_table(path, limits=Limits(max_uncompressed_bytes=1000))


# --- JSON Lines ------------------------------------------------------------------------------


def test_jsonl_rows_headers_and_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data.jsonl",
        '{"name": "Ana", "tags": ["vip"], "address": {"city": "Cádiz"}}\n'
        "\n"
        '{"email": "l@x.es", "name": "Luis", "age": 40}\n'
        "{not json\n"
        "[1, 2]\n"
        '{"name": "Eva", "extra": null}\n',
    )

    table, rows = read_all(path)

    assert table.format == "jsonl"
    assert table.encoding == "utf-8"
    assert table.headers == ["name", "tags", "address", "email", "age", "extra"]
    assert rows[0] == Row(
        index=0, line=1, values={"name": "Ana", "tags": ["vip"], "address": {"city": "Cádiz"}}
    )
    assert rows[1].line == 3
    assert rows[1].values == {"email": "l@x.es", "name": "Luis", "age": 40}
    assert rows[2].values == {}
    assert rows[2].problem is not None
    assert rows[2].problem.startswith("Line 4 is not a JSON object: invalid JSON at column 2")
    assert rows[3].problem == "Line 5 is not a JSON object: it is an array."
    assert rows[4] == Row(index=4, line=6, values={"name": "Eva", "extra": None})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('"text"', "it is a string"),
        ("42", "it is a number"),
        ("true", "it is true or false"),
        ("null", "it is null"),
    ],
)
def test_jsonl_non_object_lines(tmp_path: Path, line: str, reason: str) -> None:
    _table, rows = read_all(write(tmp_path, "data.jsonl", f'{{"a": 1}}\n{line}\n'))

    assert rows[1].problem == f"Line 2 is not a JSON object: {reason}."


def test_jsonl_with_bom_and_cp1252(tmp_path: Path) -> None:
    bom_table, bom_rows = read_all(write(tmp_path, "bom.jsonl", '\ufeff{"ciudad": "Cádiz"}\n'))
    old_table, old_rows = read_all(write(tmp_path, "old.jsonl", '{"ciudad": "Cádiz"}\n', encoding="cp1252"))

    assert bom_table.encoding == "utf-8-sig"
    assert bom_rows[0].values == {"ciudad": "Cádiz"}
    assert old_table.encoding == "cp1252"
    assert old_rows[0].values == {"ciudad": "Cádiz"}


def test_jsonl_headers_come_from_the_first_thousand_objects_but_rows_keep_all_keys(tmp_path: Path) -> None:
    lines = ['{"a": 1}'] * 1000 + ['{"a": 2, "late": true}']
    table, rows = read_all(write(tmp_path, "data.jsonl", "\n".join(lines) + "\n"))

    assert table.headers == ["a"]
    assert rows[-1].values == {"a": 2, "late": True}
    assert len(rows) == 1001


def test_jsonl_long_string_and_too_many_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "data.jsonl", '{"a": "short"}\n{"a": "' + "x" * 30 + '"}\n{"a": "c"}\n')

    _table, rows = read_all(path, limits=Limits(max_cell_chars=10))
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        list(open_table(path, limits=Limits(max_rows=2)).rows())

    assert rows[0].problem is None
    assert rows[1].problem == "The value in column “a” is longer than the limit of 10 characters."
    assert rows[1].values == {"a": "x" * 30}


def test_jsonl_overlong_line_is_skipped_as_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "data.jsonl", '{"a": "ok"}\n{"a": "' + "y" * 100 + '"}\n{"a": "next"}\n')

    _table, rows = read_all(path, limits=Limits(max_cell_chars=10, max_columns=2))

    assert rows[1].values == {}
    assert rows[1].problem == "Line 2 is longer than the limit of 20 characters."
    assert rows[2] == Row(index=2, line=3, values={"a": "next"})


def test_jsonl_empty_and_binary(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="The file is empty"):
        open_table(write(tmp_path, "empty.jsonl", "\n\n"))
    with pytest.raises(ImportFileError, match="not JSON Lines"):
        open_table(write(tmp_path, "zip.jsonl", b"PK\x03\x04" + b"\x00" * 30))


# --- format detection, limits, errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "csv"),
        ("a.TXT", "csv"),
        ("a.tsv", "csv"),
        ("a.xlsx", "xlsx"),
        ("A.XLSX", "xlsx"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
    ],
)
def test_detect_format_by_extension(name: str, expected: str) -> None:
    assert detect_format(Path(name)) == expected


def test_declared_format_wins_over_the_extension(tmp_path: Path) -> None:
    assert detect_format(Path("export.dat"), "csv") == "csv"
    assert detect_format(Path("export.csv"), "JSONL") == "jsonl"
    table, rows = read_all(write(tmp_path, "export.dat", "a;b\n1;2\n"), format="csv")
    assert table.format == "csv"
    assert rows[0].values == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("name", "declared"), [("a.pdf", None), ("a", None), ("a.json", None), ("a.csv", "xml")]
)
def test_detect_format_unknown_names_the_supported_formats(name: str, declared: str | None) -> None:
    with pytest.raises(ImportFileError) as caught:
        detect_format(Path(name), declared)

    assert "CSV" in caught.value.message
    assert ".xlsx" in caught.value.message
    assert ".jsonl" in caught.value.message


def test_detect_format_old_xls_extension() -> None:
    with pytest.raises(ImportFileError, match=re.escape("Save the file as .xlsx or CSV")):
        detect_format(Path("old.xls"))


def test_limits_from_settings(settings: Settings) -> None:
    settings.CLIENTELA_IMPORT_LIMITS = {"max_rows": 5, "max_cell_chars": "50", "unknown": 1}

    limits = Limits.from_settings()

    assert limits.max_rows == 5
    assert limits.max_cell_chars == 50
    assert limits.max_columns == Limits().max_columns


def test_limits_from_settings_defaults_when_absent(settings: Settings) -> None:
    if hasattr(settings, "CLIENTELA_IMPORT_LIMITS"):
        del settings.CLIENTELA_IMPORT_LIMITS

    assert Limits.from_settings() == Limits()


def test_open_table_uses_settings_limits_by_default(tmp_path: Path, settings: Settings) -> None:
    settings.CLIENTELA_IMPORT_LIMITS = {"max_rows": 1}

    with pytest.raises(ImportFileError, match="more than 1 rows"):
        list(open_table(write(tmp_path, "data.csv", "a\n1\n2\n")).rows())


def test_import_file_error_carries_message_line_and_column() -> None:
    error = ImportFileError("Broken.", line=4, column="email")

    assert str(error) == "Broken."
    assert (error.message, error.line, error.column) == ("Broken.", 4, "email")
