"""`clientela demo_islands`: three departments' exports of the same customers, with their mappings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from stdnum.es import cif, nif

from clientela.core.text import fold
from clientela.demo.islands import ISLAND_IMPORTS, write_islands
from clientela.demo.islands_data import build_population

PARTY_FIELDS = {
    "external_id", "kind", "full_name", "given_name", "family_name", "organisation_name", "tax_id", "email",
    "email_2", "phone", "mobile", "fax", "website", "social_network", "social_handle", "street", "postal_code",
    "city", "region", "country", "birth_date", "language", "owner", "tags", "notes",
}  # fmt: skip
INTERACTION_FIELDS = {
    "external_id", "kind", "occurred_at", "party_external_id", "party_email", "party_phone", "party_tax_id",
    "direction", "channel", "subject", "text", "amount", "currency", "document_number", "reference", "product",
    "quantity", "status", "user", "objective", "conclusion", "duration_seconds", "outcome",
}  # fmt: skip
OPTIONS = {"delimiter", "encoding", "decimal", "date_format", "default_country", "kind", "default_currency",
           "timezone", "sheet", "format"}  # fmt: skip
FINANCE_HEADERS = {
    "clientes": "Código cliente;Razón social;NIF/CIF;Dirección;C.P.;Población;Provincia;Teléfono;Correo electrónico",
    "facturas": "Nº factura;Documento;Fecha;Código cliente;Base imponible;IVA;Total;Estado",
    "cobros": "Nº cobro;Documento;Fecha;Código cliente;Importe;Forma de pago;Factura",
}
SALES_HEADERS = {
    "Clientes": ["Customer ID", "First name", "Last name", "Company", "Email", "Mobile", "City", "Country"],
    "Pedidos": ["Order number", "Date", "Customer ID", "Product", "Quantity", "Total", "Currency"],
    "Devoluciones": ["Return ID", "Date", "Customer ID", "Order", "Product", "Quantity", "Refund", "Reason"],
}
TICKET_KEYS = {"id", "type", "created", "customer_email", "customer_phone", "channel", "direction", "subject",
               "description", "severity", "status", "agent", "duration", "outcome"}  # fmt: skip
AMOUNT = re.compile(r"\d{1,3}(\.\d{3})*,\d{2}")
FINANCE_PHONES = {
    "spaced": re.compile(r"\d{3} \d{3} \d{3}"),
    "plus": re.compile(r"\+34 \d{9}"),
    "zeros": re.compile(r"0034-\d{3}-\d{3}-\d{3}"),
    "plain": re.compile(r"\d{9}"),
}


@pytest.fixture(scope="module")
def islands(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_islands(tmp_path_factory.mktemp("islands"))


def finance_rows(files: dict[str, Path], table: str) -> list[dict[str, str]]:
    text = files[f"finance/{table}.csv"].read_bytes().decode("cp1252")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def sheet_rows(files: dict[str, Path], title: str) -> list[dict[str, object]]:
    workbook = openpyxl.load_workbook(files["sales/ventas.xlsx"])
    rows = list(workbook[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def tickets(files: dict[str, Path]) -> list[dict[str, object]]:
    return [json.loads(line) for line in files["support/tickets.jsonl"].read_text("utf-8").splitlines()]


def workbook_cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def amount(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def digits(phone: str) -> str:
    only = re.sub(r"\D", "", phone)
    return only.removeprefix("0034") if only.startswith("0034") else only.removeprefix("34")[-9:]


def test_the_same_seed_gives_the_same_bytes_even_at_another_time(tmp_path, monkeypatch):
    first = write_islands(tmp_path / "a", customers=60, seed=3)
    # Zip entries and docProps are stamped with the clock unless the writer fixes them.
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    second = write_islands(tmp_path / "b", customers=60, seed=3)
    assert list(first) == list(second)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
    assert workbook_cells(first["sales/ventas.xlsx"]) == workbook_cells(second["sales/ventas.xlsx"])
    other = write_islands(tmp_path / "c", customers=60, seed=4)
    assert other["finance/clientes.csv"].read_bytes() != first["finance/clientes.csv"].read_bytes()
    assert workbook_cells(other["sales/ventas.xlsx"]) != workbook_cells(first["sales/ventas.xlsx"])


def test_finance_files_are_cp1252_semicolon_separated_with_decimal_commas(islands):
    for table, header in FINANCE_HEADERS.items():
        raw = islands[f"finance/{table}.csv"].read_bytes()
        assert any(byte > 127 for byte in raw)  # accents in the headers at least
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        lines = raw.decode("cp1252").split("\r\n")
        assert lines[0] == header
        rows = finance_rows(islands, table)
        assert rows and all(None not in row and None not in row.values() for row in rows)
    facturas = finance_rows(islands, "facturas")
    for row in facturas:
        assert all(AMOUNT.fullmatch(row[c]) for c in ("Base imponible", "IVA", "Total")), row
        assert amount(row["Base imponible"]) + amount(row["IVA"]) == amount(row["Total"])
        dt.datetime.strptime(row["Fecha"], "%d/%m/%Y")
        assert row["Documento"] == row["Nº factura"]
        assert row["Estado"] in {"Pagada", "Pendiente", "Vencida"}
    assert any("." in row["Total"] for row in facturas)  # thousands separators
    assert {row["Estado"] for row in facturas} == {"Pagada", "Pendiente", "Vencida"}


def test_finance_customers_have_valid_tax_ids_and_varied_names_phones_and_emails(islands):
    rows = finance_rows(islands, "clientes")
    assert all(re.fullmatch(r"C-\d{5}", row["Código cliente"]) for row in rows)
    assert len({row["Código cliente"] for row in rows}) == len(rows)
    kinds = Counter()
    for row in rows:
        compact = nif.validate(row["NIF/CIF"])  # raises when a check digit is wrong
        if re.fullmatch(r"\d{8}[A-Z]", compact):
            kinds["person"] += 1
        else:
            assert re.fullmatch(r"[AB]\d{8}", compact) and cif.validate(compact)
            kinds["organisation"] += 1
    assert 0.5 < kinds["person"] / len(rows) < 0.8
    names = [row["Razón social"] for row in rows]
    assert any(
        re.fullmatch(r"[A-ZÁÉÍÓÚÜÑÇ' -]+, [A-ZÁÉÍÓÚÜÑÇ' -]+", n) for n in names
    )  # "GARCÍA LÓPEZ, JOSÉ"
    endings = Counter(n.rsplit(" ", 1)[-1].upper() for n in names)
    assert {"S.L.", "SL", "S.A.", "S.L.U."} <= set(endings)
    phones = [row["Teléfono"] for row in rows if row["Teléfono"]]
    styles = {s for p in phones for s, pattern in FINANCE_PHONES.items() if pattern.fullmatch(p)}
    assert styles == set(FINANCE_PHONES)
    assert all(any(pattern.fullmatch(p) for pattern in FINANCE_PHONES.values()) for p in phones)
    missing = sum(not row["Correo electrónico"] for row in rows)
    assert 0 < missing < len(rows) / 2


def test_payments_settle_existing_invoices_of_the_same_customer(islands):
    invoices = {row["Nº factura"]: row for row in finance_rows(islands, "facturas")}
    paid: Counter[str] = Counter()
    payments = finance_rows(islands, "cobros")
    for row in payments:
        invoice = invoices[row["Factura"]]
        assert row["Código cliente"] == invoice["Código cliente"]
        assert row["Documento"] == row["Nº cobro"] and AMOUNT.fullmatch(row["Importe"])
        paid[row["Factura"]] += amount(row["Importe"])
    for number, total in paid.items():
        assert total <= amount(invoices[number]["Total"])
    customers = len(finance_rows(islands, "clientes"))
    assert 2.4 < len(invoices) / customers < 3.6 and 1.5 < len(payments) / customers < 2.6


def test_sales_workbook_has_three_sheets_with_real_dates_and_numbers(islands):
    workbook = openpyxl.load_workbook(islands["sales/ventas.xlsx"])
    assert workbook.sheetnames == list(SALES_HEADERS)
    for title, headers in SALES_HEADERS.items():
        assert [c.value for c in workbook[title][1]] == headers
    customers = sheet_rows(islands, "Clientes")
    assert all(re.fullmatch(r"S-\d{4}", str(c["Customer ID"])) for c in customers)
    orders = {o["Order number"]: o for o in sheet_rows(islands, "Pedidos")}
    for order in orders.values():
        assert isinstance(order["Date"], dt.datetime) and isinstance(order["Total"], int | float)
        assert order["Currency"] == "EUR" and order["Quantity"] >= 1
    returns = sheet_rows(islands, "Devoluciones")
    for item in returns:
        order = orders[item["Order"]]
        assert item["Customer ID"] == order["Customer ID"] and item["Product"] == order["Product"]
        assert item["Date"] >= order["Date"] and item["Quantity"] <= order["Quantity"]
    assert 1.5 < len(orders) / len(customers) < 2.6
    assert 0.05 < len(returns) / len(orders) < 0.16


def test_support_knows_customers_only_by_email_or_phone_written_differently(islands):
    records = tickets(islands)
    finance_phones = {digits(r["Teléfono"]): r["Teléfono"] for r in finance_rows(islands, "clientes")}
    shared = 0
    for record in records:
        assert set(record) <= TICKET_KEYS, set(record) - TICKET_KEYS
        assert record["customer_email"] or record["customer_phone"]
        assert record["type"] in {"complaint", "suggestion", "call"} and record["status"] in {
            "open",
            "closed",
        }
        created = dt.datetime.fromisoformat(record["created"])
        assert created.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))
        if record["type"] == "call":
            assert isinstance(record["duration"], int)
            assert record["outcome"] in {"answered", "no_answer", "voicemail", "busy"}
        phone = record["customer_phone"]
        if phone and digits(phone) in finance_phones:
            shared += 1
            assert phone != finance_phones[digits(phone)]
    assert shared > 5
    assert len({r["id"] for r in records}) == len(records)
    assert {r["type"] for r in records} == {"complaint", "suggestion", "call"}


def test_mappings_have_the_documented_shape_and_name_real_columns(islands):
    headers = {
        "finance/clientes.csv": FINANCE_HEADERS["clientes"].split(";"),
        "finance/facturas.csv": FINANCE_HEADERS["facturas"].split(";"),
        "finance/cobros.csv": FINANCE_HEADERS["cobros"].split(";"),
        "support/tickets.jsonl": sorted({key for record in tickets(islands) for key in record}),
    }
    for file, _source, _kind, entity, mapping_file in ISLAND_IMPORTS:
        mapping = json.loads(islands[mapping_file].read_text("utf-8"))
        assert set(mapping) <= {"columns", "options"} and set(mapping["options"]) <= OPTIONS
        allowed = PARTY_FIELDS if entity == "parties" else INTERACTION_FIELDS
        fields = [f for f in mapping["columns"].values() if f]
        assert set(fields) <= allowed and len(fields) == len(set(fields)), mapping_file
        columns = headers.get(file) or SALES_HEADERS[mapping["options"]["sheet"]]
        assert set(mapping["columns"]) == set(columns), mapping_file
    assert json.loads(islands["finance/facturas.mapping.json"].read_text())["options"]["kind"] == "invoice"
    assert json.loads(islands["finance/cobros.mapping.json"].read_text())["options"]["kind"] == "payment"


def test_mappings_pass_the_import_mapping_parser(islands):
    module = pytest.importorskip("clientela.imports.mapping")
    parse_mapping = getattr(module, "parse_mapping", None)
    if parse_mapping is None:
        pytest.skip("clientela.imports.mapping.parse_mapping is not there yet")
    for _file, _source, _kind, entity, mapping_file in ISLAND_IMPORTS:
        parsed = parse_mapping(islands[mapping_file].read_bytes(), entity=entity)
        assert parsed.columns, mapping_file


def test_island_imports_load_customers_before_their_records_and_match_the_readme(islands):
    readme = islands["README.md"].read_text("utf-8")
    entities = [entry[3] for entry in ISLAND_IMPORTS]
    # Every customer file first: records (and support, which has no customer file) find them all.
    assert entities == sorted(entities, key=["parties", "interactions"].index) and entities[0] == "parties"
    for file, source, kind, _entity, mapping_file in ISLAND_IMPORTS:
        assert file in islands and mapping_file in islands
        assert f"clientela import {file} --source {source} --source-kind {kind}" in readme
        assert f"--mapping {mapping_file}" in readme
    assert "finance/clientes.csv --source Contabilidad --source-kind finance" in readme


def test_the_same_customers_appear_in_several_islands_with_variations(islands):
    population = build_population(200, 7)
    share = Counter(island for c in population for island in c.islands)
    assert 0.85 < share["finance"] / 200 < 0.95 and 0.6 < share["sales"] / 200 < 0.8
    assert 0.4 < share["support"] / 200 < 0.6
    assert sum(len(c.islands) >= 2 for c in population) > 0.6 * len(population)
    finance = {r["Correo electrónico"].casefold(): r for r in finance_rows(islands, "clientes")}
    pairs = [(finance[str(s["Email"]).casefold()], s) for s in sheet_rows(islands, "Clientes")
             if s["Email"] and str(s["Email"]).casefold() in finance]  # fmt: skip
    assert len(pairs) > 40
    assert all(f["Código cliente"] != s["Customer ID"] for f, s in pairs)
    variations = Counter()
    for f, s in pairs:
        name = f["Razón social"]
        if s["Company"]:
            if s["Company"] != name and fold(str(s["Company"])) in fold(name):
                variations["company"] += 1
            continue
        given, family = str(s["First name"]), str(s["Last name"])
        assert fold(given.split()[0]) in fold(name) and fold(family.split()[0]) in fold(name)
        if name.isupper() and "," in name:
            variations["capitals"] += 1
        written = {fold(token): token.upper() for token in re.split(r"[ ,]+", name) if token}
        if any(written.get(fold(t), t.upper()) != t.upper() for t in f"{given} {family}".split()):
            variations["accents"] += 1  # "GARCÍA" in finance, "Garcia" in sales
        if s["Email"] != f["Correo electrónico"]:
            variations["email case"] += 1
    assert set(variations) == {"company", "capitals", "accents", "email case"}, variations


def test_command_writes_the_files_and_lists_them(tmp_path):
    out = StringIO()
    call_command("demo_islands", out=str(tmp_path / "islands"), customers="30", seed="2", stdout=out)
    text = out.getvalue()
    for name in ("finance/clientes.csv", "sales/ventas.xlsx", "support/tickets.jsonl", "README.md"):
        assert (tmp_path / "islands" / name).is_file() and name in text
    with pytest.raises(CommandError, match="--customers"):
        call_command("demo_islands", out=str(tmp_path / "x"), customers="many")
    (tmp_path / "file").write_text("")
    with pytest.raises(CommandError, match="not a directory"):
        call_command("demo_islands", out=str(tmp_path / "file"))
