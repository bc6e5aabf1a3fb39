"""Exports: CSV/XLSX writers (formula neutralisation, BOM, row limit), party and link rows, ``clientela export``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook
from openpyxl.worksheet import _writer as openpyxl_writer

from clientela.core.models import SourceSystem
from clientela.imports import exports
from clientela.imports.exports import (
    ExportError,
    link_export_rows,
    neutralise,
    party_export_queryset,
    party_export_rows,
    write_csv,
    write_xlsx,
)
from clientela.imports.management.commands import export as export_command
from clientela.parties.links import source_link_add
from clientela.parties.services import party_delete
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db

PARTY_COLUMNS = [
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
]
FORMULA = '=HYPERLINK("http://x")'


def run_export(*args: str) -> str:
    out = StringIO()
    call_command("export", *args, stdout=out)
    return out.getvalue()


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read_csv_dicts(path: Path) -> list[dict[str, str]]:
    header, *rows = read_csv(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def source(slug: str, name: str) -> SourceSystem:
    return SourceSystem.objects.create(slug=slug, name=name)


def link(user, party, src: SourceSystem, external_id: str) -> None:
    source_link_add(actor=actor_for(user), party=party, source=src, external_id=external_id)


# ----------------------------------------------------------------------------------------- neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FORMULA, "'" + FORMULA),
        ("+34 600", "'+34 600"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana = Ana", "Ana = Ana"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
        (Decimal("-1.50"), "-1.50"),
        (Decimal("1E+3"), "1000"),
        (-0.25, "-0.25"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 13, 5, tzinfo=dt.UTC), "2024-02-29T13:05:00+00:00"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


# ---------------------------------------------------------------------------------------------- writers


def test_write_csv_neutralises_strings_not_numbers(tmp_path):
    path = tmp_path / "x.csv"
    rows = [[FORMULA, -3, Decimal("-1.5"), "-3", "Señor, Ñandú", None, dt.date(2024, 1, 2)]]
    assert write_csv(path, ["a", "b", "c", "d", "e", "f", "g"], rows) == 1
    assert read_csv(path) == [
        ["a", "b", "c", "d", "e", "f", "g"],
        ["'" + FORMULA, "-3", "-1.5", "'-3", "Señor, Ñandú", "", "2024-01-02"],
    ]


def test_write_csv_to_binary_and_text_files_streams_generators():
    def rows():
        yield ("1", "á")
        yield ("2", "line\nbreak")

    binary = io.BytesIO()
    assert write_csv(binary, ["n", "v"], rows()) == 2
    text = io.StringIO()
    assert write_csv(text, ["n", "v"], rows()) == 2
    assert binary.getvalue() == text.getvalue().encode("utf-8")
    assert binary.getvalue().startswith(b"\xef\xbb\xbfn,v\r\n1,\xc3\xa1\r\n")
    parsed = list(csv.reader(io.StringIO(text.getvalue().lstrip("\ufeff"), newline="")))
    assert parsed == [["n", "v"], ["1", "á"], ["2", "line\nbreak"]]


def test_write_xlsx_stores_text_numbers_and_dates_as_data(tmp_path):
    path = tmp_path / "x.xlsx"
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rows = [[FORMULA, -12.5, Decimal("-3"), "-3", dt.date(2024, 1, 2), when, "#N/A", None, "a\x00b"]]
    assert write_xlsx(path, ["name", "f", "d", "s", "date", "time", "err", "none", "ctl"], rows) == 1
    ws = load_workbook(path).active
    header, row = ws[1], ws[2]
    assert [c.value for c in header][:2] == ["name", "f"]
    assert header[0].font.bold
    name, number, decimal, text, date, time, err, none, ctl = row
    assert name.data_type == "s" and name.value == "'" + FORMULA
    assert number.data_type == "n" and number.value == -12.5
    assert decimal.data_type == "n" and decimal.value == -3
    assert text.data_type == "s" and text.value == "'-3"
    assert date.is_date and date.value == dt.datetime(2024, 1, 2)
    assert time.is_date and time.value == dt.datetime(2024, 5, 6, 5, 8, 9)  # UTC
    assert err.data_type == "s" and err.value == "#N/A"
    assert none.value is None
    assert ctl.value == "ab"
    # read without openpyxl's interpretation: the sheet holds no formula at all
    assert "<f>" not in _sheet_xml(path)


def _sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()


def test_write_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # header + 2 rows
    ok = tmp_path / "ok.xlsx"
    assert write_xlsx(ok, ["n"], [[1], [2]]) == 2
    assert [c.value for c in load_workbook(ok).active["A"]] == ["n", 1, 2]
    too_big = tmp_path / "big.xlsx"
    temp_files = list(openpyxl_writer.ALL_TEMP_FILES)
    with pytest.raises(ExportError, match="at most 2 rows"):
        write_xlsx(too_big, ["n"], ([i] for i in range(3)))
    assert not too_big.exists()
    assert temp_files == openpyxl_writer.ALL_TEMP_FILES  # openpyxl's streaming temp file is removed too


# ---------------------------------------------------------------------------------------------- rows


def test_link_rows_are_ordered_by_source_slug_then_id_and_stream_in_chunks(admin_user, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    erp = source("erp", "Zeta ERP")  # named so that ordering by name would put it last
    shop = source("shop", "Alpha shop")
    party = make_person(admin_user)
    for external_id in ("C-5", "C-3", "C-1", "C-4", "C-2"):
        link(admin_user, party, erp, external_id)
    link(admin_user, party, shop, "8812")
    headers, rows = link_export_rows()
    assert headers == ("source", "external_id", "party_id")
    assert list(rows) == [
        *[("erp", f"C-{i}", party.pk) for i in range(1, 6)],
        ("shop", "8812", party.pk),
    ]


def test_party_rows_cost_three_queries_per_chunk(admin_user, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    parties = [
        make_person(admin_user, contact_points=[{"kind": "email", "value": f"p{i}@x.es"}], tags=[f"t{i}"])
        for i in range(5)
    ]
    _headers, rows = party_export_rows(party_export_queryset())
    with django_assert_num_queries(3 * 3):  # 3 chunks (2, 2, 1) x (parties, contact points, tags)
        got = list(rows)
    assert [r[0] for r in got] == [p.pk for p in parties]
    assert [(r[9], r[18]) for r in got] == [(f"p{i}@x.es", f"t{i}") for i in range(5)]


# -------------------------------------------------------------------------------------------- command


def test_export_links_csv(admin_user, tmp_path):
    erp = source("erp", "Zeta ERP")
    shop = source("shop", "Alpha shop")
    ana = make_person(admin_user)
    acme = make_organisation(admin_user)
    link(admin_user, ana, shop, "8812")
    link(admin_user, acme, erp, "C-0002")
    link(admin_user, ana, erp, "C-0001")
    out = tmp_path / "links.csv"
    assert run_export("links", "--out", str(out)).strip() == f"Wrote 3 rows to {out}."
    assert read_csv(out) == [
        ["source", "external_id", "party_id"],
        ["erp", "C-0001", str(ana.pk)],
        ["erp", "C-0002", str(acme.pk)],
        ["shop", "8812", str(ana.pk)],
    ]


def test_export_parties_csv_columns_and_values(admin_user, tmp_path):
    party = make_person(
        admin_user,
        contact_points=[
            {"kind": "email", "value": "Ana.Garcia@Ejemplo.ES"},
            {"kind": "email", "value": "ana@personal.es", "label": "home"},
            {"kind": "mobile", "value": "612 34 56 78"},
            {"kind": "landline", "value": "91 123 45 67"},
            {"kind": "address", "street": "Calle Feria 1", "city": "Sevilla", "postal_code": "41003"},
        ],
        tax_id="12345678-z",
        country="ES",
        language="es",
        tags=["VIP", "Madrid"],
    )
    out = tmp_path / "parties.csv"
    assert "Wrote 1 row to" in run_export("parties", "--out", str(out))
    header, *rows = read_csv(out)
    assert header == PARTY_COLUMNS
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    created = dt.datetime.fromisoformat(row.pop("created_at"))
    updated = dt.datetime.fromisoformat(row.pop("updated_at"))
    assert created == party.created_at and updated.tzinfo is not None
    assert row == {
        "id": str(party.pk),
        "kind": "person",
        "display_name": "Ana García López",
        "given_names": "Ana",
        "family_name_1": "García",
        "family_name_2": "López",
        "legal_name": "",
        "trade_name": "",
        "tax_id": "12345678Z",
        "email": "Ana.Garcia@ejemplo.es",  # as shown (the service folds the domain)
        "phone": "'+34911234567",  # E.164; a leading "+" is neutralised like any text
        "mobile": "'+34612345678",
        "city": "Sevilla",
        "postal_code": "41003",
        "country": "ES",
        "language": "es",
        "status": "lead",
        "owner": "admin",
        "tags": "Madrid; VIP",
    }


def test_export_parties_skips_deleted_parties(admin_user, tmp_path):
    kept = make_person(admin_user, given_names="Kept")
    gone = make_person(admin_user, given_names="Gone")
    party_delete(actor=actor_for(admin_user), party=gone)
    out = tmp_path / "parties.csv"
    run_export("parties", "--out", str(out))
    assert [r["id"] for r in read_csv_dicts(out)] == [str(kept.pk)]


def test_export_with_user_respects_record_permissions(users, tmp_path):
    rep, other_rep = users["sales_rep"], users["sales_rep_b"]  # team A / team B
    src = source("erp", "ERP")
    mine = make_person(rep, given_names="Mine")
    theirs = make_person(other_rep, given_names="Theirs")
    link(rep, mine, src, "A-1")
    link(other_rep, theirs, src, "B-1")
    out = tmp_path / "parties.csv"
    run_export("parties", "--out", str(out), "--user", "sales_rep")
    assert [r["id"] for r in read_csv_dicts(out)] == [str(mine.pk)]
    run_export("parties", "--out", str(out))
    assert sorted(r["id"] for r in read_csv_dicts(out)) == sorted([str(mine.pk), str(theirs.pk)])
    links = tmp_path / "links.csv"
    run_export("links", "--out", str(links), "--user", "sales_rep")
    assert read_csv(links)[1:] == [["erp", "A-1", str(mine.pk)]]


def test_export_with_user_needs_the_export_grant_not_only_view(users, admin_user, team_a, tmp_path):
    # A sales rep views the team's customers but exports only their own; a support agent views all and
    # exports none.
    make_person(admin_user, given_names="Team", team=team_a.pk)
    own = make_person(users["sales_rep"], given_names="Own")
    out = tmp_path / "parties.csv"
    run_export("parties", "--out", str(out), "--user", "sales_rep")
    assert [r["id"] for r in read_csv_dicts(out)] == [str(own.pk)]
    assert "Wrote 0 rows" in run_export("parties", "--out", str(out), "--user", "support_agent")
    assert read_csv(out) == [PARTY_COLUMNS]


def test_formula_in_a_name_is_neutralised_in_csv_and_xlsx(admin_user, tmp_path):
    party = make_organisation(admin_user, legal_name=FORMULA)
    assert party.display_name == FORMULA
    csv_out, xlsx_out = tmp_path / "p.csv", tmp_path / "p.xlsx"
    run_export("parties", "--out", str(csv_out))
    run_export("parties", "--out", str(xlsx_out))
    row = read_csv_dicts(csv_out)[0]
    assert row["display_name"] == row["legal_name"] == "'" + FORMULA
    ws = load_workbook(xlsx_out).active
    header = [c.value for c in ws[1]]
    assert header == PARTY_COLUMNS
    cells = dict(zip(header, ws[2], strict=True))
    assert cells["display_name"].data_type == "s"
    assert cells["display_name"].value == "'" + FORMULA
    assert cells["id"].data_type == "n" and cells["id"].value == party.pk
    assert cells["created_at"].is_date
    assert "<f>" not in _sheet_xml(xlsx_out)


def test_unknown_user_is_a_command_error(admin_user, tmp_path):
    out = tmp_path / "p.csv"
    with pytest.raises(CommandError, match="Unknown user: nobody"):
        run_export("parties", "--out", str(out), "--user", "nobody")
    assert not out.exists()


def test_inactive_user_is_a_command_error(users, tmp_path):
    users["sales_rep"].is_active = False
    users["sales_rep"].save()
    with pytest.raises(CommandError, match="inactive"):
        run_export("parties", "--out", str(tmp_path / "p.csv"), "--user", "sales_rep")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["customers", "--out", "x.csv"], "invalid choice"),
        (["parties", "--out", "x.json"], "name the file .csv or .xlsx"),
        (["parties", "--out", "x"], "name the file .csv or .xlsx"),
    ],
)
def test_bad_arguments_are_command_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        run_export(*args)


def test_unwritable_path_is_a_command_error_and_leaves_no_file(admin_user, tmp_path):
    make_person(admin_user)
    out = tmp_path / "missing" / "p.csv"
    with pytest.raises(CommandError, match="Cannot write"):
        run_export("parties", "--out", str(out))
    assert not out.parent.exists()
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(CommandError, match="is a folder"):
        run_export("parties", "--out", str(folder))
    assert list(tmp_path.iterdir()) == [folder]
    assert list(folder.iterdir()) == []


def test_failed_export_keeps_the_previous_file_and_no_temporary_one(admin_user, tmp_path, monkeypatch):
    make_person(admin_user, given_names="Uno")
    make_person(admin_user, given_names="Dos")
    out = tmp_path / "p.xlsx"
    out.write_bytes(b"previous export")
    # the sheet limit is hit while streaming (the command's early count still allows a million rows)
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    with pytest.raises(CommandError, match="at most 1 rows"):
        run_export("parties", "--out", str(out))
    assert out.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [out]


def test_xlsx_too_big_is_refused_before_writing(admin_user, tmp_path, monkeypatch):
    make_person(admin_user, given_names="Uno")
    make_person(admin_user, given_names="Dos")
    monkeypatch.setattr(export_command, "XLSX_MAX_ROWS", 2)
    monkeypatch.setattr(exports, "write_xlsx", lambda *a, **k: pytest.fail("must not start writing"))
    monkeypatch.setattr(export_command, "write_xlsx", lambda *a, **k: pytest.fail("must not start writing"))
    with pytest.raises(CommandError, match="Export to CSV instead"):
        run_export("parties", "--out", str(tmp_path / "p.xlsx"))
    assert list(tmp_path.iterdir()) == []
    # CSV has no such limit
    assert "Wrote 2 rows" in run_export("parties", "--out", str(tmp_path / "p.csv"))


def test_export_links_follows_a_merge_and_its_undo(admin_user, tmp_path):
    from clientela.identity.services import party_merge, party_unmerge
    from clientela.testing.factories import actor_for

    erp = source("erp", "Zeta ERP")
    shop = source("shop", "Alpha shop")
    ana = make_person(admin_user)
    ana_again = make_person(admin_user)
    link(admin_user, ana, erp, "C-0001")
    link(admin_user, ana_again, shop, "8812")
    out = tmp_path / "links.csv"
    merge = party_merge(actor=actor_for(admin_user), survivor=ana, merged=ana_again)
    run_export("links", "--out", str(out))
    # each source record points at the surviving customer
    assert read_csv(out)[1:] == [["erp", "C-0001", str(ana.pk)], ["shop", "8812", str(ana.pk)]]
    party_unmerge(actor=actor_for(admin_user), merge=merge)
    run_export("links", "--out", str(out))
    assert read_csv(out)[1:] == [["erp", "C-0001", str(ana.pk)], ["shop", "8812", str(ana_again.pk)]]
