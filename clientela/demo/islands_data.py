"""The customers behind the demo "islands" (see islands.py) and the ways each department writes them.

One population of Spanish customers (about 65% people, 35% companies) is drawn once from a seeded
``random.Random``; every island then writes the same customers its own way: names in capitals or
without accents, legal forms spelt differently, phones in several formats, emails in another case.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clientela.demo.builders import weighted
from clientela.demo.data import PLACES_ES, SECTORS_ES, SPAIN, City
from clientela.demo.phones import PhoneMaker
from clientela.demo.pools import Name, build_pool, slug
from clientela.demo.taxids import spanish_cif, spanish_dni

ISLANDS = ("finance", "sales", "support")
# Share of customers each department knows (a customer is always in at least one island).
ISLAND_SHARE = {"finance": 0.9, "sales": 0.7, "support": 0.5}
PERSON_SHARE = 0.65
# Everything is dated back from this day, never from today, so a seed always gives the same files.
BASE_DATE = dt.date(2026, 1, 1)

# (file, source name, source kind, entity, mapping file), all relative to the output directory, in the
# order to load them: every source's customers first, so records and tickets find them.
ISLAND_IMPORTS: list[tuple[str, str, str, str, str]] = [
    ("finance/clientes.csv", "Contabilidad", "finance", "parties", "finance/clientes.mapping.json"),
    ("sales/ventas.xlsx", "Ventas", "sales", "parties", "sales/clientes.mapping.json"),
    ("finance/facturas.csv", "Contabilidad", "finance", "interactions", "finance/facturas.mapping.json"),
    ("finance/cobros.csv", "Contabilidad", "finance", "interactions", "finance/cobros.mapping.json"),
    ("sales/ventas.xlsx", "Ventas", "sales", "interactions", "sales/pedidos.mapping.json"),
    ("sales/ventas.xlsx", "Ventas", "sales", "interactions", "sales/devoluciones.mapping.json"),
    ("support/tickets.jsonl", "Soporte", "support", "interactions", "support/tickets.mapping.json"),
]

_STOPWORDS = frozenset({"", "y", "e", "de", "del", "la", "las", "los", "el"})

# Spellings of each legal form in the finance system ("S.L." typed as "SL", ", S.L.", ...).
FINANCE_FORMS = {
    "S.L.": ("S.L.", "S.L.", "SL", ", S.L.", "S.L"),
    "S.A.": ("S.A.", "S.A.", "SA", ", S.A."),
    "S.L.U.": ("S.L.U.", "S.L.U.", "SLU", ", S.L.U."),
}
PAYMENT_METHODS = weighted(
    [("Transferencia", 45), ("Recibo domiciliado", 30), ("Tarjeta", 15), ("Confirming", 5), ("Efectivo", 5)]
)

# Phone layouts. Finance and support never share one, so support always writes a number differently.
FINANCE_PHONE_STYLES = ("spaced", "spaced", "plus", "zeros", "plain")
SALES_MOBILE_STYLES = ("plain", "plain", "intl_pairs")
SUPPORT_PHONE_STYLES = ("pairs", "dashes", "paren", "e164", "intl_pairs")


def _cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def unaccent(text: str) -> str:
    """ "José Ñúñez" -> "Jose Nunez", keeping the case: how some CRMs and keyboards store names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def spanish_amount(value: Decimal) -> str:
    """1234.5 -> "1.234,50": thousands dot and decimal comma, as Spanish accounting exports write them."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def format_phone(national: str, style: str) -> str:
    """A 9-digit Spanish number written in one of the layouts people and systems use."""
    n = national
    layouts = {
        "spaced": f"{n[:3]} {n[3:6]} {n[6:]}",
        "plus": f"+34 {n}",
        "zeros": f"0034-{n[:3]}-{n[3:6]}-{n[6:]}",
        "plain": n,
        "pairs": f"{n[:3]} {n[3:5]} {n[5:7]} {n[7:]}",
        "intl_pairs": f"+34 {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}",
        "dashes": f"{n[:3]}-{n[3:5]}-{n[5:7]}-{n[7:]}",
        "paren": f"(+34) {n}",
        "e164": f"+34{n}",
    }
    return layouts[style]


@dataclass(frozen=True)
class Customer:
    """One customer as it really is; islands write variations of these values."""

    number: int
    kind: str  # "person" or "organisation"
    tax_id: str  # compact NIF (people) or CIF (companies)
    city: City
    street: str
    postal_code: str
    email: str  # "" when the customer has no email address
    mobile: str  # 9 national digits, "" when none
    landline: str  # 9 national digits, "" when none
    islands: frozenset[str]
    given: str = ""
    family_1: str = ""
    family_2: str = ""
    base_name: str = ""  # companies: the name without its legal form
    legal_form: str = ""

    @property
    def is_person(self) -> bool:
        return self.kind == "person"

    @property
    def name(self) -> str:
        """The name as the customer writes it: "José García López", "Talleres Pérez S.L."."""
        if self.is_person:
            return " ".join(p for p in (self.given, self.family_1, self.family_2) if p)
        return f"{self.base_name} {self.legal_form}"

    @property
    def phone(self) -> str:
        """The number a department would note first: a person's mobile, a company's switchboard."""
        if self.is_person:
            return self.mobile or self.landline
        return self.landline or self.mobile


class _Drawer:
    """Draws customers with unique tax ids, emails and phones."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.phones = PhoneMaker(rng)
        pool = build_pool("es_ES", seed)
        self.male = self._usable(pool.male)
        self.female = self._usable(pool.female)
        self.surnames = self._usable(pool.surnames)
        self.streets = tuple(s for s in pool.streets if _cp1252(s))
        self.email_domains = weighted(SPAIN.email_domains)
        self.legal_forms = weighted([(f, f.weight) for f in SPAIN.legal_forms])
        self.used: set[str] = set()

    @staticmethod
    def _usable(names: tuple[Name, ...]) -> tuple[Name, ...]:
        # Finance writes cp1252, so every name must fit in it.
        return tuple(n for n in names if _cp1252(n.text))

    def _unique(self, draw: Callable[[], str]) -> str:
        for _ in range(50):
            value = draw()
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("could not draw a unique value")

    def _phone(self, city: City, mobile: bool) -> str:
        maker = self.phones.mobile if mobile else self.phones.landline
        return self._unique(lambda: maker("ES", city).e164[3:])

    def _address(self) -> tuple[City, str, str]:
        rng = self.rng
        city = rng.choice(SPAIN.cities)
        street = f"{rng.choice(self.streets)}, {rng.randint(1, 150)}"
        if rng.random() < 0.35:
            street += f", {rng.randint(1, 9)}º {rng.choice('ABCD')}"
        return city, street, f"{rng.randint(city.postal_lo, city.postal_hi):05d}"

    def _islands(self, identifiable: bool) -> frozenset[str]:
        chosen = {island for island in ISLANDS if self.rng.random() < ISLAND_SHARE[island]}
        if not identifiable:  # support knows customers only by email or phone
            chosen.discard("support")
        return frozenset(chosen or {"finance"})

    def person(self, number: int) -> Customer:
        rng = self.rng
        names = self.female if rng.random() < 0.5 else self.male
        given = rng.choice(names)
        second = rng.choice(names) if rng.random() < 0.12 else None
        family_1, family_2 = rng.choice(self.surnames), rng.choice(self.surnames)
        g = given.slug + (second.slug if second and rng.random() < 0.5 else "")
        yy = rng.randint(40, 99) if rng.random() < 0.7 else rng.randint(0, 7)

        def email() -> str:
            local = rng.choice(
                (
                    f"{g}.{family_1.slug}",
                    f"{g}{family_1.slug}{yy:02d}",
                    f"{g[0]}{family_1.slug}{family_2.slug}",
                    f"{g}.{family_1.slug}.{family_2.slug}",
                    f"{family_1.slug}.{g}{rng.randint(1, 99)}",
                    f"{g}_{family_1.slug}{rng.randint(1, 999)}",
                )
            )
            return f"{local}@{rng.choice(self.email_domains)}"

        city, street, postal = self._address()
        mobile = self._phone(city, True) if rng.random() < 0.9 else ""
        landline = self._phone(city, False) if rng.random() < (0.25 if mobile else 0.8) else ""
        mail = self._unique(email) if rng.random() < 0.9 else ""
        return Customer(
            number=number,
            kind="person",
            tax_id=self._unique(lambda: spanish_dni(rng)),
            city=city,
            street=street,
            postal_code=postal,
            email=mail,
            mobile=mobile,
            landline=landline,
            islands=self._islands(bool(mail or mobile or landline)),
            given=given.text
            if second is None or second.text == given.text
            else f"{given.text} {second.text}",
            family_1=family_1.text,
            family_2=family_2.text,
        )

    def _company_name(self, city: City) -> str:
        rng = self.rng
        surname = rng.choice(self.surnames).text
        sector = rng.choice(SECTORS_ES)
        return rng.choice(
            (
                f"{sector} {surname}",
                f"{sector} {rng.choice(PLACES_ES)}",
                f"Grupo {surname}",
                f"{surname} y {rng.choice(self.surnames).text}",
                f"{surname} e Hijos",
                f"{sector} {city.name}",
            )
        )

    def organisation(self, number: int) -> Customer:
        rng = self.rng
        city, street, postal = self._address()
        form = rng.choice(self.legal_forms)

        def name_and_domain() -> str:
            base = self._company_name(city)
            words = [w for w in base.split() if slug(w) not in _STOPWORDS]
            return (
                base + "|" + "-".join(slug(w) for w in words)[:40].strip("-") + rng.choice(SPAIN.company_tlds)
            )

        base, domain = self._unique(name_and_domain).split("|")
        mailbox = rng.choice(("info", "contacto", "administracion", "hola", "pedidos"))
        return Customer(
            number=number,
            kind="organisation",
            tax_id=self._unique(lambda: spanish_cif(rng, form.cif_letter)),
            city=city,
            street=street,
            postal_code=postal,
            email=f"{mailbox}@{domain}" if rng.random() < 0.92 else "",
            mobile=self._phone(city, True) if rng.random() < 0.3 else "",
            landline=self._phone(city, False),
            islands=self._islands(True),
            base_name=base,
            legal_form=form.suffix,
        )


def build_population(customers: int, seed: int) -> list[Customer]:
    """``customers`` customers, about 65% people, drawn from ``seed`` only."""
    rng = random.Random(f"clientela-islands-{seed}")
    drawer = _Drawer(rng, seed)
    people = round(customers * PERSON_SHARE)
    kinds = ["person"] * people + ["organisation"] * (customers - people)
    rng.shuffle(kinds)
    return [drawer.person(i) if kind == "person" else drawer.organisation(i) for i, kind in enumerate(kinds)]


# --- what each island writes ---------------------------------------------------------------------

_CSV = {"delimiter": ";", "encoding": "cp1252", "format": "csv"}
_MONEY = {"decimal": ",", "date_format": "%d/%m/%Y", "default_currency": "EUR", "timezone": "Europe/Madrid"}
_XLSX = {"format": "xlsx", "default_currency": "EUR", "timezone": "Europe/Madrid"}
MAPPINGS: dict[str, dict[str, Any]] = {
    "finance/clientes.mapping.json": {
        "columns": {
            "Código cliente": "external_id",
            "Razón social": "full_name",
            "NIF/CIF": "tax_id",
            "Dirección": "street",
            "C.P.": "postal_code",
            "Población": "city",
            "Provincia": "region",
            "Teléfono": "phone",
            "Correo electrónico": "email",
        },
        "options": {**_CSV, "default_country": "ES"},
    },
    "finance/facturas.mapping.json": {
        "columns": {
            "Nº factura": "external_id",
            "Documento": "document_number",
            "Fecha": "occurred_at",
            "Código cliente": "party_external_id",
            "Base imponible": "",
            "IVA": "",
            "Total": "amount",
            "Estado": "status",
        },
        "options": {**_CSV, **_MONEY, "kind": "invoice"},
    },
    "finance/cobros.mapping.json": {
        "columns": {
            "Nº cobro": "external_id",
            "Documento": "document_number",
            "Fecha": "occurred_at",
            "Código cliente": "party_external_id",
            "Importe": "amount",
            "Forma de pago": "text",
            "Factura": "reference",
        },
        "options": {**_CSV, **_MONEY, "kind": "payment"},
    },
    "sales/clientes.mapping.json": {
        "columns": {
            "Customer ID": "external_id",
            "First name": "given_name",
            "Last name": "family_name",
            "Company": "organisation_name",
            "Email": "email",
            "Mobile": "mobile",
            "City": "city",
            "Country": "country",
        },
        "options": {"format": "xlsx", "sheet": "Clientes", "default_country": "ES"},
    },
    "sales/pedidos.mapping.json": {
        "columns": {
            "Order number": "external_id",
            "Date": "occurred_at",
            "Customer ID": "party_external_id",
            "Product": "product",
            "Quantity": "quantity",
            "Total": "amount",
            "Currency": "currency",
        },
        "options": {**_XLSX, "sheet": "Pedidos", "kind": "purchase"},
    },
    "sales/devoluciones.mapping.json": {
        "columns": {
            "Return ID": "external_id",
            "Date": "occurred_at",
            "Customer ID": "party_external_id",
            "Order": "reference",
            "Product": "product",
            "Quantity": "quantity",
            "Refund": "amount",
            "Reason": "text",
        },
        "options": {**_XLSX, "sheet": "Devoluciones", "kind": "return"},
    },
    "support/tickets.mapping.json": {
        "columns": {
            "id": "external_id",
            "type": "kind",
            "created": "occurred_at",
            "customer_email": "party_email",
            "customer_phone": "party_phone",
            "channel": "channel",
            "direction": "direction",
            "subject": "subject",
            "description": "text",
            "severity": "",
            "status": "status",
            "agent": "user",
            "duration": "duration_seconds",
            "outcome": "outcome",
        },
        "options": {"format": "jsonl", "default_country": "ES", "timezone": "Europe/Madrid"},
    },
}

FINANCE_HEADERS = {
    "clientes": (
        "Código cliente", "Razón social", "NIF/CIF", "Dirección", "C.P.", "Población", "Provincia",
        "Teléfono", "Correo electrónico",
    ),
    "facturas": ("Nº factura", "Documento", "Fecha", "Código cliente", "Base imponible", "IVA", "Total", "Estado"),
    "cobros": ("Nº cobro", "Documento", "Fecha", "Código cliente", "Importe", "Forma de pago", "Factura"),
}  # fmt: skip
SALES_HEADERS = {
    "Clientes": ("Customer ID", "First name", "Last name", "Company", "Email", "Mobile", "City", "Country"),
    "Pedidos": ("Order number", "Date", "Customer ID", "Product", "Quantity", "Total", "Currency"),
    "Devoluciones": ("Return ID", "Date", "Customer ID", "Order", "Product", "Quantity", "Refund", "Reason"),
}
TICKET_TYPES = weighted([("complaint", 35), ("suggestion", 20), ("call", 45)])
CALL_OUTCOMES = weighted([("answered", 70), ("no_answer", 12), ("voicemail", 10), ("busy", 8)])
TICKET_CHANNELS = {
    "complaint": weighted([("email", 5), ("web", 3), ("phone", 2)]),
    "suggestion": weighted([("web", 3), ("email", 2)]),
    "call": ("phone",),
}
