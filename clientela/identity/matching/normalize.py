"""Folding and cleaning of raw party values into the comparable form every comparison and blocking
rule uses. Garbage and placeholder values become "" (missing) here, so that they can never agree."""

from __future__ import annotations

import dataclasses
import datetime
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from clientela.core.text import fold as text_fold

from .nicknames import canonical_given
from .records import PartyRecord

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\D+")

# Values users type when they have nothing to type.
GARBAGE_TEXT = frozenset(
    {
        "", "n/a", "na", "n a", "-", "--", ".", "none", "null", "nil", "nan", "unknown", "desconocido",
        "sin datos", "sin nombre", "no", "x", "xx", "xxx", "test", "prueba", "asdf", "0", "?", "...",
        "no tiene", "no aplica", "ninguno", "ninguna", "sn", "s n", "nd", "n d",
    }
)  # fmt: skip
# Placeholder "names" of walk-in or aggregate customers: never a person.
PLACEHOLDER_NAMES = frozenset(
    {
        "cliente", "clientes", "cliente contado", "contado", "varios", "clientes varios", "cliente varios",
        "cliente generico", "generico", "consumidor final", "publico en general", "customer", "client",
        "cash", "cash customer", "walk in", "anonimo", "anonymous", "sin identificar", "test", "prueba",
        "demo", "usuario", "user", "nombre", "apellido", "apellidos", "name", "surname", "xxx",
    }
)  # fmt: skip
GARBAGE_EMAILS = frozenset(
    {
        "test@test.com", "a@a.com", "x@x.com", "no@no.com", "none@none.com", "email@email.com",
        "correo@correo.com", "noemail@noemail.com", "sin@correo.com", "nomail@nomail.com", "aa@aa.com",
        "prueba@prueba.com", "test@example.com", "user@example.com", "info@example.com",
    }
)  # fmt: skip
GARBAGE_EMAIL_LOCALS = frozenset(
    {"noemail", "nomail", "noreply", "no-reply", "sinemail", "sincorreo", "none"}
)
GARBAGE_EMAIL_DOMAINS = frozenset({"example.com", "example.org", "test.com", "email.com", "correo.com"})
# Role mailboxes shared by many people: agreeing on one says little about being the same person.
GENERIC_EMAIL_LOCALS = frozenset(
    {
        "info", "admin", "administracion", "administration", "contacto", "contact", "ventas", "sales",
        "hello", "hola", "office", "oficina", "support", "soporte", "help", "ayuda", "facturacion",
        "billing", "invoices", "facturas", "compras", "purchasing", "rrhh", "hr", "jobs", "empleo",
        "marketing", "comercial", "pedidos", "orders", "reservas", "bookings", "recepcion", "reception",
        "secretaria", "direccion", "gerencia", "mail", "correo", "email", "team", "equipo", "general",
        "atencion", "clientes", "customers", "accounts", "contabilidad", "webmaster", "postmaster",
    }
)  # fmt: skip
# Free mail providers: sharing one is no evidence, unlike sharing a company domain.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.com", "hotmail.es", "outlook.com", "outlook.es",
        "live.com", "yahoo.com", "yahoo.es", "icloud.com", "me.com", "aol.com", "msn.com", "gmx.com",
        "gmx.es", "proton.me", "protonmail.com", "telefonica.net", "movistar.es", "terra.es", "ya.com",
    }
)  # fmt: skip
NAME_PARTICLES = frozenset(
    {"de", "del", "la", "las", "los", "y", "i", "da", "do", "dos", "das", "van", "von"}
)

# Legal-form suffixes as folded token sequences, longest first so "s a de c v" wins over "s a".
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        {
            tuple(form.split())
            for form in (
                "sl", "s l", "slu", "s l u", "sa", "s a", "sau", "s a u", "sll", "slne", "sc", "scoop",
                "s coop", "scp", "cb", "c b", "sociedad limitada", "sociedad limitada unipersonal",
                "sociedad anonima", "sociedad anonima unipersonal", "sociedad cooperativa", "sociedad civil",
                "comunidad de bienes", "inc", "incorporated", "ltd", "limited", "llc", "l l c", "llp", "lp",
                "plc", "gmbh", "ag", "kg", "bv", "nv", "spa", "srl", "s r l", "sarl", "sas", "corp",
                "corporation", "co", "company", "cia", "y cia", "and co", "sa de cv", "s a de c v",
                "s de rl", "s de r l", "s de rl de cv", "s de r l de c v", "sapi de cv", "ltda", "eirl",
                "s en c", "pty ltd", "pty", "oy", "ab",
            )
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip
# The same forms grouped by their last token, in the same order: a name is only compared with the forms
# that could end it (checking all 70 per name cost 60 µs, a fifth of a real-time check's normalising).
_FORMS_BY_LAST: dict[str, tuple[tuple[str, ...], ...]] = {
    last: tuple(f for f in _LEGAL_FORMS if f[-1] == last) for last in {f[-1] for f in _LEGAL_FORMS}
}

STREET_TYPES = {
    "c": "calle", "cl": "calle", "cle": "calle", "calle": "calle", "cll": "calle",
    "av": "avenida", "avd": "avenida", "avda": "avenida", "avenida": "avenida", "ave": "avenue",
    "avenue": "avenue", "p": "paseo", "po": "paseo", "pso": "paseo", "paseo": "paseo",
    "pza": "plaza", "pz": "plaza", "pl": "plaza", "plza": "plaza", "plaza": "plaza",
    "ctra": "carretera", "crta": "carretera", "carretera": "carretera", "cr": "carretera",
    "rda": "ronda", "ronda": "ronda", "trav": "travesia", "trva": "travesia", "travesia": "travesia",
    "cm": "camino", "cno": "camino", "camino": "camino", "urb": "urbanizacion",
    "urbanizacion": "urbanizacion", "gta": "glorieta", "glorieta": "glorieta",
    "st": "street", "str": "street", "street": "street", "rd": "road", "road": "road",
    "dr": "drive", "drive": "drive", "ln": "lane", "lane": "lane", "cres": "crescent",
    "crescent": "crescent", "pde": "parade", "parade": "parade", "cct": "circuit", "circuit": "circuit",
    "ct": "court", "court": "court", "hwy": "highway", "highway": "highway", "sq": "square",
    "square": "square", "blvd": "boulevard", "boulevard": "boulevard",
}  # fmt: skip
# Number, floor and door markers: the value that follows them is kept, the marker is noise.
_STREET_NOISE = frozenset(
    {"n", "no", "num", "numero", "nro", "piso", "pta", "puerta", "esc", "escalera", "planta", "bajo",
     "izq", "izqda", "izda", "izquierda", "dcha", "dch", "derecha", "sn", "bis",
     "portal", "bloque", "blq", "apt", "apto", "apartamento", "unit", "flat"}
)  # fmt: skip


@lru_cache(maxsize=200_000)
def fold(value: str) -> str:
    """Lower case, accents removed, every run of non-alphanumerics collapsed to one space."""
    if not value:
        return ""
    # the search's folding (accents, case, "ñ" as "n"), then only letters and digits are kept
    return _NON_ALNUM.sub(" ", text_fold(value.replace("º", " ").replace("ª", " "))).strip()


def _clean_text(value: str | None) -> str:
    folded = fold(value or "")
    return "" if folded in GARBAGE_TEXT else folded


def name_tokens(value: str | None) -> tuple[str, ...]:
    """Folded tokens of a person name part, particles ("de la", "del") dropped, placeholders -> ()."""
    folded = _clean_text(value)
    if not folded or folded in PLACEHOLDER_NAMES:
        return ()
    tokens = tuple(t for t in folded.split() if t not in NAME_PARTICLES)
    return tokens if tokens else tuple(folded.split())


def organisation_key(value: str | None) -> str:
    """Folded organisation name without legal-form suffixes ("Talleres Pérez, S.L." -> "talleres perez")."""
    raw = (value or "").replace(".", "").replace("&", " and ")
    folded = _clean_text(raw)
    if not folded or folded in PLACEHOLDER_NAMES:
        return ""
    tokens = folded.split()
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for form in _FORMS_BY_LAST.get(tokens[-1], ()):
            if len(form) < len(tokens) and tuple(tokens[-len(form) :]) == form:
                tokens = tokens[: -len(form)]
                stripped = True
                break
    return " ".join(tokens)


def normalize_email(value: str | None) -> str:
    """Lower-cased email, or "" for anything invalid or a known placeholder."""
    email = (value or "").strip().lower()
    if email.count("@") != 1 or email in GARBAGE_EMAILS:
        return ""
    local, domain = email.split("@")
    if not local or "." not in domain or local in GARBAGE_EMAIL_LOCALS or domain in GARBAGE_EMAIL_DOMAINS:
        return ""
    # Repeated-character locals ("aaa@...") and all-digit placeholders are typed, not owned.
    if len(set(local)) == 1 and len(local) > 0 and local not in GENERIC_EMAIL_LOCALS:
        return ""
    return email


def is_generic_email(email: str) -> bool:
    """Role mailbox (info@, ventas@, ...) shared by a team rather than owned by one person."""
    local = email.split("@", 1)[0]
    return local in GENERIC_EMAIL_LOCALS or local.split("+", 1)[0] in GENERIC_EMAIL_LOCALS


def _is_garbage_number(digits: str) -> bool:
    if len(digits) < 4 or len(set(digits)) == 1:
        return True
    # The number after a country code: +34 000000000 is as empty as 000000000.
    if len(digits) >= 9 and len(set(digits[-8:])) == 1:
        return True
    # Ascending or descending runs such as 123456789 or 987654321, with or without a country code.
    for run in ("1234567890", "0123456789", "9876543210"):
        if len(digits) >= 6 and (digits in run or digits[-9:] in run):
            return True
    return False


def normalize_phone(value: str | None) -> str:
    """E.164 phone as "+digits", or "" for placeholders (000000000, 123456789, too short)."""
    raw = (value or "").strip()
    digits = _DIGITS.sub("", raw)
    if len(digits) < 7 or _is_garbage_number(digits):
        return ""
    return "+" + digits


def normalize_tax_id(value: str | None) -> str:
    """Tax id in upper case without spaces, dashes, dots or slashes; placeholders -> ""."""
    folded = fold(value or "")
    if folded in GARBAGE_TEXT:
        return ""
    compact = folded.replace(" ", "").upper()
    if len(compact) < 4 or len(set(compact)) == 1:
        return ""
    digits = _DIGITS.sub("", compact)
    if digits and len(digits) == len(compact) and _is_garbage_number(digits):
        return ""
    return compact


def normalize_street(value: str | None) -> str:
    """Street with type abbreviations expanded (C/, Avda., Pº ...) and floor/door markers dropped."""
    raw = (value or "").replace("/", " ")
    folded = _clean_text(raw)
    if not folded:
        return ""
    out = []
    for token in folded.split():
        if token in _STREET_NOISE:
            continue
        out.append(STREET_TYPES.get(token, token))
    return " ".join(out)


def normalize_postal_code(value: str | None) -> str:
    """Postal code folded and without spaces ("28 001" -> "28001"); placeholders -> ""."""
    folded = _clean_text(value).replace(" ", "")
    if not folded or len(set(folded)) == 1:
        return ""
    return folded


def normalize_handle(value: str | None) -> str:
    """Social handle lower-cased without the leading "@" or a profile URL prefix."""
    handle = (value or "").strip().lower().rstrip("/")
    if "/" in handle:
        handle = handle.rsplit("/", 1)[-1]
    handle = handle.lstrip("@")
    return "" if fold(handle) in GARBAGE_TEXT else handle


# Dates used as "unknown" by data entry tools.
_PLACEHOLDER_DATES = frozenset({"19000101", "19010101", "18991231", "00010101", "19700101", "11111111"})


@dataclass(slots=True)
class NormalizedParty:
    """A record's values in comparable form; "" / () means missing."""

    kind: str
    given: str
    given_tokens: tuple[str, ...]
    given_canon: str
    given_canon_alt: str
    family: str
    family_tokens: tuple[str, ...]
    organisation: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    mobiles: frozenset[str]
    tax_id: str
    birth_date: str
    street: str
    postal_code: str
    city: str
    handles: tuple[str, ...]
    external_ids: tuple[str, ...]


# A normalised party's fields as a tuple, in `NormalizedParty(*fields)` order (cheaper to pickle).
party_fields: Callable[[NormalizedParty], tuple[Any, ...]] = operator.attrgetter(
    *(f.name for f in dataclasses.fields(NormalizedParty))
)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


class _Memo:
    """Per-batch memo of value normalisations: CRM columns repeat (names, cities, streets, postal
    codes), so a batch folds each distinct value once instead of once per record."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {}

    def __call__(self, kind: str, function: Callable[[Any], Any], value: Any) -> Any:
        table = self.tables.setdefault(kind, {})
        try:
            return table[value]
        except KeyError:
            result = table[value] = function(value)
            return result


def _direct(kind: str, function: Callable[[Any], Any], value: Any) -> Any:
    return function(value)


def _given_parts(tokens: tuple[str, ...]) -> tuple[str, str]:
    return canonical_given(tokens, 0), canonical_given(tokens, 1)


def _normalize(record: PartyRecord, memo: Callable[[str, Callable[[Any], Any], Any], Any]) -> NormalizedParty:
    given_tokens = memo("name", name_tokens, record.given_name)
    family_tokens = memo("name", name_tokens, record.family_name)
    canon, canon_alt = memo("canon", _given_parts, given_tokens)
    phones = _unique([memo("phone", normalize_phone, p) for p in record.phones])
    mobiles = frozenset(memo("phone", normalize_phone, p) for p in record.mobiles) - {""}
    birth = ""
    if record.birth_date is not None:
        birth = memo("date", _birth_text, record.birth_date)
    ext = _unique([f"{fold(src)}:{str(eid).strip()}" for src, eid in record.external_ids if str(eid).strip()])
    return NormalizedParty(
        kind=record.kind,
        given=" ".join(given_tokens),
        given_tokens=given_tokens,
        given_canon=canon,
        given_canon_alt=canon_alt,
        family=" ".join(family_tokens),
        family_tokens=family_tokens,
        organisation=memo("org", organisation_key, record.organisation_name)
        if record.organisation_name
        else "",
        emails=_unique([normalize_email(e) for e in record.emails]),
        phones=phones,
        mobiles=mobiles,
        tax_id=normalize_tax_id(record.tax_id) if record.tax_id else "",
        birth_date=birth,
        street=memo("street", normalize_street, record.street),
        postal_code=memo("postal", normalize_postal_code, record.postal_code),
        city=memo("city", _clean_text, record.city),
        handles=_unique([normalize_handle(h) for h in record.handles]),
        external_ids=ext,
    )


def _birth_text(date: datetime.date) -> str:
    text = date.strftime("%Y%m%d")
    return "" if text in _PLACEHOLDER_DATES else text


def normalize_record(record: PartyRecord) -> NormalizedParty:
    """Fold and clean every value of a record once, for blocking and comparison alike."""
    return _normalize(record, _direct)


def normalize_records(records: Iterable[PartyRecord]) -> list[NormalizedParty]:
    """`normalize_record` over a batch, normalising each distinct name, street, city ... only once."""
    memo = _Memo()
    return [_normalize(record, memo) for record in records]
