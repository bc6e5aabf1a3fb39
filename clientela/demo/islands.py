"""Demo "islands": the same customers as three departments' systems export them, with mapping files.

``write_islands(out)`` writes::

    finance/clientes.csv, facturas.csv, cobros.csv   ; cp1252, decimal commas, dd/mm/yyyy (accounting)
    sales/ventas.xlsx                                 sheets Clientes, Pedidos, Devoluciones (sales CRM)
    support/tickets.jsonl                             complaints, suggestions and calls (help desk)
    <each>.mapping.json, README.md

Every island writes variations of one population (islands_data.py): finance writes "GARCÍA LÓPEZ, JOSÉ"
and "0034-912-345-678", sales writes "Jose Garcia" and "612345678", support knows only an email or a phone.
The output depends on ``seed`` only: the same seed gives byte-identical files on any day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from clientela.demo.interaction_texts import (
    CALLS_ANSWERED,
    CALLS_MISSED,
    COMPLAINTS,
    PRODUCTS,
    RETURN_REASONS,
    SUGGESTIONS,
)

# ISLAND_IMPORTS is part of this module's interface (make run's bootstrap loads the files in its order).
from clientela.demo.islands_data import (
    BASE_DATE,
    CALL_OUTCOMES,
    FINANCE_FORMS,
    FINANCE_HEADERS,
    FINANCE_PHONE_STYLES,
    ISLAND_IMPORTS,
    MAPPINGS,
    PAYMENT_METHODS,
    SALES_HEADERS,
    SALES_MOBILE_STYLES,
    SUPPORT_PHONE_STYLES,
    TICKET_CHANNELS,
    TICKET_TYPES,
    Customer,
    build_population,
    format_phone,
    spanish_amount,
    unaccent,
)

MADRID = ZoneInfo("Europe/Madrid")
FIXED_TIMESTAMP = dt.datetime(2026, 1, 1, 0, 0, 0)  # noqa: DTZ001 - xlsx properties are naive UTC
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_GOODS = tuple(p for p in PRODUCTS if p[4])
VAT = Decimal("0.21")
CENT = Decimal("0.01")


def _rng(seed: int, island: str) -> random.Random:
    return random.Random(f"clientela-islands-{seed}-{island}")


def _day(rng: random.Random, days_back: int) -> dt.date:
    """A weekday within ``days_back`` days before BASE_DATE."""
    while True:
        day = BASE_DATE - dt.timedelta(days=rng.randint(1, days_back))
        if day.weekday() < 5:
            return day


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """A naive local time in office hours on ``day``."""
    return dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.randrange(0, 60, 5)))


def _basket(rng: random.Random, customer: Customer) -> list[tuple[tuple[str, str, str, int, bool], int]]:
    """One to three (product, quantity) lines; people buy consumer products only."""
    products = _GOODS if customer.is_person else PRODUCTS
    lines = []
    for product in rng.sample(products, rng.choice((1, 1, 1, 2, 2, 3))):
        quantity = 1 if not product[4] else rng.choice((1, 1, 1, 2, 2, 3, 5, 10))
        lines.append((product, quantity))
    return lines


def _price(product: tuple[str, str, str, int, bool], quantity: int) -> Decimal:
    return (Decimal(product[3]) * quantity / 100).quantize(CENT)


# --- finance ---------------------------------------------------------------------------------------


def _finance_name(rng: random.Random, c: Customer) -> str:
    if c.is_person:
        family = f"{c.family_1} {c.family_2}"
        roll = rng.random()
        if roll < 0.5:
            return f"{family}, {c.given}".upper()
        return f"{family}, {c.given}" if roll < 0.65 else c.name
    suffix = rng.choice(FINANCE_FORMS.get(c.legal_form, (c.legal_form,)))
    name = f"{c.base_name}{suffix}" if suffix.startswith(",") else f"{c.base_name} {suffix}"
    return name.upper() if rng.random() < 0.4 else name


def _finance(population: Sequence[Customer], seed: int) -> tuple[dict[str, list[list[str]]], dict[int, str]]:
    """The three finance tables and the invoice number of each customer (for the support tickets)."""
    rng = _rng(seed, "finance")
    members = [c for c in population if "finance" in c.islands]
    rng.shuffle(members)  # the order customers were registered in accounting
    codes, number = {}, 0
    for c in members:
        number += rng.choice((1, 1, 1, 2, 3))  # gaps: deleted or merged customers
        codes[c.number] = f"C-{number:05d}"
    clientes = []
    for c in members:
        tax_id = c.tax_id if rng.random() < 0.8 else f"{c.tax_id[:-1]}-{c.tax_id[-1]}"
        if not c.is_person:
            tax_id = c.tax_id if rng.random() < 0.8 else f"{c.tax_id[0]}-{c.tax_id[1:]}"
        phone = c.phone
        if c.is_person and c.mobile and c.landline and rng.random() < 0.5:
            phone = c.landline
        city = c.city.name.upper() if rng.random() < 0.3 else c.city.name
        email = c.email if rng.random() < 0.8 else ""
        phone_text = format_phone(phone, rng.choice(FINANCE_PHONE_STYLES)) if phone else ""
        row = [codes[c.number], _finance_name(rng, c), tax_id, c.street, c.postal_code, city, c.city.region]
        clientes.append([*row, phone_text, email])

    drafts = []  # (date, code, base, customer number)
    for c in members:
        for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))):
            base = sum((_price(p, q) for p, q in _basket(rng, c)), Decimal(0))
            drafts.append((_day(rng, 365), codes[c.number], base, c.number))
    drafts.sort(key=lambda d: (d[0], d[1]))
    facturas, cobros_drafts = [], []
    invoice_of: dict[int, str] = {}
    for i, (day, code, base, customer) in enumerate(drafts, start=1):
        doc = f"F2025-{i:05d}"
        invoice_of.setdefault(customer, doc)
        vat = (base * VAT).quantize(CENT)
        total = base + vat
        old = (BASE_DATE - day).days > 60
        paid = rng.random() < (0.7 if old else 0.35)
        status = "Pagada" if paid else ("Vencida" if old else "Pendiente")
        facturas.append(
            [doc, doc, day.strftime("%d/%m/%Y"), code, spanish_amount(base), spanish_amount(vat),
             spanish_amount(total), status]
        )  # fmt: skip
        if paid or (status == "Vencida" and rng.random() < 0.2):
            parts = [total]
            if rng.random() < 0.08 or not paid:  # in two instalments, or a partial payment
                first = (total * Decimal(rng.choice((30, 40, 50))) / 100).quantize(CENT)
                parts = [first, total - first] if paid else [first]
            last = BASE_DATE - dt.timedelta(days=1)
            for part in parts:
                when = min(day + dt.timedelta(days=rng.randint(0, 60)), last)
                cobros_drafts.append((when, code, part, rng.choice(PAYMENT_METHODS), doc))
    cobros_drafts.sort(key=lambda d: (d[0], d[1], d[4]))
    cobros = [
        [f"COB-2025-{i:05d}", f"COB-2025-{i:05d}", when.strftime("%d/%m/%Y"), code, spanish_amount(amount), method, doc]
        for i, (when, code, amount, method, doc) in enumerate(cobros_drafts, start=1)
    ]  # fmt: skip
    return {"clientes": clientes, "facturas": facturas, "cobros": cobros}, invoice_of


def _write_csv(path: Path, headers: Sequence[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("cp1252"))


# --- sales -----------------------------------------------------------------------------------------


def _sales_email(rng: random.Random, email: str) -> str:
    roll = rng.random()
    if not email or roll < 0.1:
        return ""
    if roll < 0.3:  # typed with capitals: Jose.Garcia@Gmail.com
        local, domain = email.split("@")
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()
    return email.upper() if roll < 0.35 else email


def _sales_customer(rng: random.Random, c: Customer, customer_id: str) -> list[Any]:
    email = _sales_email(rng, c.email)
    mobile = format_phone(c.mobile, rng.choice(SALES_MOBILE_STYLES)) if c.mobile else ""
    city = unaccent(c.city.name) if rng.random() < 0.3 else c.city.name
    if c.is_person:
        family = c.family_1 if rng.random() < 0.4 else f"{c.family_1} {c.family_2}"
        given = c.given.split()[0] if rng.random() < 0.5 else c.given
        if rng.random() < 0.4:
            given, family = unaccent(given), unaccent(family)
        return [customer_id, given, family, None, email or None, mobile or None, city, "ES"]
    roll = rng.random()
    if roll < 0.5:
        company = c.base_name
    elif roll < 0.65 and c.legal_form.startswith("S.L"):
        company = f"{c.base_name} {c.legal_form.rstrip('.')}"  # "S.L" typo
    else:
        company = c.name
    return [customer_id, None, None, company, email or None, mobile or None, city, "ES"]


def _sales(population: Sequence[Customer], seed: int) -> tuple[dict[str, list[list[Any]]], dict[int, str]]:
    """The three sheets of ventas.xlsx and the first order number of each customer."""
    rng = _rng(seed, "sales")
    members = [c for c in population if "sales" in c.islands]
    rng.shuffle(members)  # the CRM numbers customers in its own order, unrelated to accounting's
    ids, number = {}, 1000
    for c in members:
        number += rng.choice((1, 1, 2))
        ids[c.number] = f"S-{number}"
    clientes = [_sales_customer(rng, c, ids[c.number]) for c in members]
    drafts = []
    for c in members:
        for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4, 2))):
            product, quantity = _basket(rng, c)[0]
            drafts.append((_office_time(rng, _day(rng, 365)), ids[c.number], product, quantity, c.number))
    drafts.sort(key=lambda d: (d[0], d[1]))
    pedidos, returns = [], []
    order_of: dict[int, str] = {}
    for i, (when, customer_id, product, quantity, customer) in enumerate(drafts, start=1):
        order = f"SO-{10000 + i}"
        order_of.setdefault(customer, order)
        total = float(_price(product, quantity))
        pedidos.append([order, when, customer_id, product[1], quantity, total, "EUR"])
        if product[4] and rng.random() < 0.14:  # goods come back; services do not
            back = min(when + dt.timedelta(days=rng.randint(3, 30)), _office_time(rng, BASE_DATE))
            units = rng.randint(1, quantity)
            reason = rng.choice(RETURN_REASONS["es"])
            returns.append(
                (back, customer_id, order, product[1], units, float(_price(product, units)), reason)
            )
    returns.sort(key=lambda r: (r[0], r[2]))
    devoluciones = [[f"RMA-{3000 + i}", *r] for i, r in enumerate(returns, start=1)]
    return {"Clientes": clientes, "Pedidos": pedidos, "Devoluciones": devoluciones}, order_of


def save_workbook(workbook: Workbook, path: Path) -> None:
    """Save ``workbook`` with fixed document and zip timestamps, so the same cells give the same bytes.

    ``Workbook.save`` stamps the current time into docProps/core.xml and every zip entry.
    """
    workbook.properties.created = workbook.properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))


def _write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    formats = {"Date": "dd/mm/yyyy hh:mm", "Total": "#,##0.00", "Refund": "#,##0.00"}
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        headers = SALES_HEADERS[title]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for column, header in enumerate(headers, start=1):
            sheet.column_dimensions[sheet.cell(1, column).column_letter].width = max(12, len(header) + 4)
            if header in formats:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cell.number_format = formats[header]
        sheet.freeze_panes = "A2"
    save_workbook(workbook, path)


# --- support ---------------------------------------------------------------------------------------


def _agents() -> tuple[str, ...]:
    """Usernames of the demo staff (clientela demo / bootstrap): mostly the support agent, sometimes a
    manager, so imported tickets are assigned to users that exist in a demo database."""
    from clientela.demo.staff import roster  # imports Django models: keep the module importable alone

    users = roster(8)
    support = [u[0] for u in users if u[3] == "support_agent"]
    managers = [u[0] for u in users if u[3] == "manager"]
    return tuple(support * 8 + managers)


def _ticket(rng: random.Random, kind: str, doc: str) -> dict[str, Any]:
    """channel, [direction,] subject, description and the fields of this kind of ticket."""
    fill = {"doc": doc, "product": rng.choice(_GOODS)[1], "n": rng.randint(2, 9), "date": ""}
    record: dict[str, Any] = {"channel": rng.choice(TICKET_CHANNELS[kind])}
    if kind == "complaint":
        subject, text, _wants_product = rng.choice(COMPLAINTS["es"])
        record |= {"subject": subject, "description": text.format(**fill)}
        record["severity"] = rng.choice(("low", "medium", "medium", "high"))
    elif kind == "suggestion":
        subject, text, _area = rng.choice(SUGGESTIONS["es"])
        record |= {"subject": subject, "description": text}
    else:
        outcome = rng.choice(CALL_OUTCOMES)
        if outcome == "answered":
            direction = "in" if rng.random() < 0.7 else "out"
            fill["date"] = (BASE_DATE + dt.timedelta(days=rng.randint(3, 20))).strftime("%d/%m/%Y")
            text = rng.choice(CALLS_ANSWERED["es"]).format(**fill)
            subject = text.split("\n", 1)[0]
            duration = rng.randint(60, 1200)
        else:
            direction = "out"  # calls that nobody answered are ours: support calling back
            text = CALLS_MISSED["es"][("no_answer", "voicemail", "busy").index(outcome)]
            subject = "Llamada sin respuesta"
            duration = rng.randint(20, 60) if outcome == "voicemail" else 0
        record |= {"direction": direction, "subject": subject, "description": text}
        record |= {"duration": duration, "outcome": outcome}
    return record


def _identify(rng: random.Random, c: Customer, kind: str) -> tuple[str | None, str | None]:
    """(email, phone) support knows for this ticket: one of them, seldom both, never an id."""
    phone = format_phone(c.phone, rng.choice(SUPPORT_PHONE_STYLES)) if c.phone else None
    email = c.email or None
    if email and phone:
        roll = rng.random()
        prefer_phone = kind == "call"
        if roll < 0.15:
            return email, phone
        return (None, phone) if (roll < 0.7) == prefer_phone else (email, None)
    return email, phone


def _support(
    population: Sequence[Customer], seed: int, docs: dict[int, str], agents: Sequence[str]
) -> list[dict[str, Any]]:
    rng = _rng(seed, "support")
    drafts = []
    for c in population:
        if "support" not in c.islands:
            continue
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            when = _office_time(rng, _day(rng, 120)).replace(tzinfo=MADRID)
            kind = rng.choice(TICKET_TYPES)
            email, phone = _identify(rng, c, kind)
            doc = docs.get(c.number) or f"F2025-{rng.randint(1, 500):05d}"
            body = _ticket(rng, kind, doc)
            age = (BASE_DATE - when.date()).days
            status = "closed" if rng.random() < (0.9 if age > 14 else 0.4) else "open"
            drafts.append((when, email, phone, kind, body, status, rng.choice(agents)))
    drafts.sort(key=lambda d: (d[0], d[1] or "", d[2] or ""))
    return [
        {"id": f"T-{i}", "type": kind, "created": when.isoformat(timespec="seconds"),
         "customer_email": email, "customer_phone": phone, **body, "status": status, "agent": agent}
        for i, (when, email, phone, kind, body, status, agent) in enumerate(drafts, start=2001)
    ]  # fmt: skip


# --- files -----------------------------------------------------------------------------------------


def _readme() -> str:
    commands = "\n".join(
        f"clientela import {file} --source {source} --source-kind {kind}"
        + (" --entity interactions" if entity == "interactions" else "")
        + f" --mapping {mapping}"
        for file, source, kind, entity, mapping in ISLAND_IMPORTS
    )
    return f"""# Clientela demo islands / Islas de datos de demostración

The same customers as three departments export them. / Los mismos clientes tal como los exportan
tres departamentos.

| File / Fichero | Island / Isla |
|---|---|
| `finance/clientes.csv`, `facturas.csv`, `cobros.csv` | Accounting: customers, invoices, payments (`;`, cp1252, `1.234,56`, `31/12/2025`) / Contabilidad: clientes, facturas, cobros |
| `sales/ventas.xlsx` | Sales CRM: sheets `Clientes`, `Pedidos` (orders), `Devoluciones` (returns) / CRM de ventas: clientes, pedidos, devoluciones |
| `support/tickets.jsonl` | Help desk: complaints, suggestions, calls; customers known only by email or phone / Soporte: quejas, sugerencias, llamadas; clientes identificados solo por email o teléfono |
| `*.mapping.json` | Column mappings for `clientela import --mapping` / Mapeo de columnas |

Names, phones and emails vary between islands on purpose ("GARCÍA LÓPEZ, JOSÉ" / "Jose Garcia"),
so Clientela has to recognise the same customer. / Los nombres, teléfonos y emails varían a propósito
entre islas para que Clientela reconozca al mismo cliente.

## Load / Carga

Run from this directory, in this order (customers first, then their records). / Ejecuta desde este
directorio y en este orden (primero los clientes, luego sus registros).

```sh
{commands}
```

Support tickets are assigned to the demo users (`clientela demo` or `make run`). / Los tickets de
soporte se asignan a los usuarios de demostración.
"""


def write_islands(out: Path, *, customers: int = 200, seed: int = 7) -> dict[str, Path]:
    """Write the three islands, their mappings and a README under ``out``; returns {relative name: path}.

    Deterministic: the same ``customers`` and ``seed`` give byte-identical files.
    """
    out = Path(out)
    for folder in ("finance", "sales", "support"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    population = build_population(customers, seed)
    written: dict[str, Path] = {}

    def target(name: str) -> Path:
        written[name] = out / name
        return written[name]

    finance, invoice_of = _finance(population, seed)
    for table, rows in finance.items():
        _write_csv(target(f"finance/{table}.csv"), FINANCE_HEADERS[table], rows)
    sales, order_of = _sales(population, seed)
    _write_xlsx(target("sales/ventas.xlsx"), sales)
    tickets = _support(population, seed, {**order_of, **invoice_of}, _agents())
    lines = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets)
    target("support/tickets.jsonl").write_text(lines, encoding="utf-8", newline="")
    for name, mapping in MAPPINGS.items():
        text = json.dumps(mapping, ensure_ascii=False, indent=2) + "\n"
        target(name).write_text(text, encoding="utf-8", newline="")
    target("README.md").write_text(_readme(), encoding="utf-8", newline="")
    return written
