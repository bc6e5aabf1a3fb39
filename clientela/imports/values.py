"""Parsers for the cell values of departmental exports (CSV text, xlsx typed cells, JSON values).

Every ``parse_*`` function returns None for an empty cell (None or blank text) and raises ``ValueError``
with a short translated message that quotes the offending value, ready to show in the import report.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

from babel.numbers import list_currencies
from django.utils.translation import gettext as _

from clientela.core.text import fold
from clientela.imports.names import has_legal_form
from clientela.parties.choices import PartyKind
from clientela.parties.normalize import normalize_tax_id, spanish_tax_id_is_company


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


# --- numbers ---------------------------------------------------------------------------------------

_CURRENCY_SYMBOLS = "€$£¥₡₲₱₹₽₩₪₺₴₸¢"
# Currency markers that are not a bare ISO code or symbol (Latin American spellings), longest first.
_CURRENCY_MARKERS = ("COL$", "U$S", "US$", "MX$", "AR$", "CLP$", "R$", "C$", "A$", "S/.", "S/", "BS.", "BS")


@lru_cache(maxsize=1)
def _currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def _strip_currency(text: str) -> str:
    """Remove one leading and one trailing currency marker (€, US$, EUR, S/...)."""
    upper = text.upper()
    for marker in _CURRENCY_MARKERS:
        if upper.startswith(marker):
            return text[len(marker) :]
        if upper.endswith(marker):
            return text[: -len(marker)]
    if text[:1] in _CURRENCY_SYMBOLS:
        return text[1:]
    if text[-1:] in _CURRENCY_SYMBOLS:
        return text[:-1]
    if upper[:3] in _currency_codes() and not upper[3:4].isalpha():
        return text[3:]
    if upper[-3:] in _currency_codes() and not upper[-4:-3].isalpha():
        return text[:-3]
    return text


def _peel_number(raw: str) -> tuple[str, bool]:
    """(bare digits and separators, negative) once signs, parentheses and currency are taken off."""
    text = "".join(raw.split()).replace("\u2212", "-")  # split() also drops NBSP and thin spaces
    negative = False
    signed = bracketed = False
    changed = True
    while changed and text:
        before = text
        if not bracketed and text.startswith("(") and text.endswith(")"):
            text, negative, bracketed = text[1:-1], not negative, True
        elif not signed and text[0] in "+-":
            text, negative, signed = text[1:], negative != (text[0] == "-"), True
        elif not signed and text[-1] in "+-":
            text, negative, signed = text[:-1], negative != (text[-1] == "-"), True
        else:
            text = _strip_currency(text)
        changed = text != before
    return text, negative


_GROUPED = re.compile(r"\d{1,3}(?:X\d{3})+")


def parse_decimal(value: object, *, decimal: str | None = None) -> Decimal | None:
    """A number as an exact Decimal: 12,5 / 1.234,56 € / (12,50) / -1,234.56 USD / 1e3 floats...

    ``decimal`` is the decimal separator ("," or "."); the other one is then a thousands separator.
    Without it each value decides: with both "," and "." the last one is the decimal separator; one
    separator repeated is a thousands separator (1.234.567); a single one is the decimal separator,
    except that "1.234" or "1,234" (1-3 digits, not 0, then exactly 3) could be either and is refused.
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal separator must be ',' or '.', not {decimal!r}")  # a caller's bug
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = (
            Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        )  # repr: 0.1, not 0.1000...
        if number.is_finite():
            return number
    raw = _text(value)
    if not raw and isinstance(value, str):
        return None
    text, negative = _peel_number(raw)
    if isinstance(value, (bool, int, float, Decimal)) or not re.fullmatch(r"[\d.,]*\d[\d.,]*", text):
        raise ValueError(_('"%(value)s" is not a number.') % {"value": raw})
    if decimal is None:
        separators = [ch for ch in text if ch in ",."]
        if len(set(separators)) == 2:
            decimal = separators[-1]
        elif len(separators) == 1:
            integer, _sep, fraction = text.partition(separators[0])
            if len(fraction) == 3 and 1 <= len(integer) <= 3 and not integer.startswith("0"):
                raise ValueError(
                    _(
                        '"%(value)s" is ambiguous: it could be a decimal or a thousands separator; '
                        'give the decimal separator ("," or ".") in the mapping options.'
                    )
                    % {"value": raw}
                )
            decimal = separators[0]
        elif separators:  # one kind, repeated: a thousands separator, whichever it is
            decimal = "." if separators[0] == "," else ","
        else:
            decimal = "."
    thousands = "." if decimal == "," else ","
    integer, _sep, fraction = text.partition(decimal)
    if decimal in fraction or thousands in fraction:
        raise ValueError(_('"%(value)s": the thousands separator is in the wrong place.') % {"value": raw})
    if thousands in integer:
        if not _GROUPED.fullmatch(integer.replace(thousands, "X")):
            raise ValueError(
                _('"%(value)s": the thousands separator is in the wrong place.') % {"value": raw}
            )
        integer = integer.replace(thousands, "")
    sign = "-" if negative else ""
    # Keep the written precision: "12,50" is 12.50 and "7" is 7, not 7.0.
    return Decimal(f"{sign}{integer or '0'}.{fraction}" if fraction else f"{sign}{integer or '0'}")


def parse_int(value: object) -> int | None:
    """A whole number: 12, -3, "+7", "12.0", 12.0; anything with a fraction or other text is refused.

    Thousands separators are refused too ("1.234" may be 1.234 or 1234); use parse_decimal for those.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (float, Decimal)):
        if math.isfinite(value) and value == int(value):
            return int(value)
    elif not isinstance(value, bool):
        text = "".join(_text(value).split())
        if not text:
            return None
        if match := re.fullmatch(r"([+-]?\d+)(?:[.,]0+)?", text):
            return int(match.group(1))
    raise ValueError(_('"%(value)s" is not a whole number.') % {"value": value})


# --- dates and times --------------------------------------------------------------------------------

EXCEL_MAX_SERIAL = 2958465  # 9999-12-31 in the 1900 date system
_TIME = (
    r"(?:(?:\s+|\s*T)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<micro>\d{1,6}))?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?)?"
)
_DAY_FIRST = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME, re.I
)
_YEAR_FIRST = re.compile(r"(?P<year>\d{4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<a>\d{1,2})" + _TIME, re.I)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _invalid_date(raw: object, date_format: str | None, with_time: bool) -> ValueError:
    if date_format:
        expected = date_format
    elif with_time:
        expected = _("DD/MM/YYYY HH:MM or YYYY-MM-DD HH:MM")
    else:
        expected = _("DD/MM/YYYY or YYYY-MM-DD")
    return ValueError(
        _('"%(value)s" is not a valid date; expected %(format)s.') % {"value": raw, "format": expected}
    )


def _from_excel_serial(serial: Decimal, raw: object) -> dt.datetime:
    """Spreadsheet day number (1900 date system) to a naive datetime; the fraction is the time of day."""
    if not 1 <= serial < EXCEL_MAX_SERIAL + 1:
        raise ValueError(
            _(
                '"%(value)s" is not a valid date: as a spreadsheet day number it must be between 1 and %(max)s.'
            )
            % {"value": raw, "max": EXCEL_MAX_SERIAL}
        )
    days = int(serial)
    if days == 60:  # Excel copied Lotus 1-2-3 in treating 1900 as a leap year
        raise ValueError(
            _('"%(value)s" is not a valid date: spreadsheet day 60 is 29 February 1900, which did not exist.')
            % {"value": raw}
        )
    epoch = dt.datetime(1899, 12, 31) if days < 60 else dt.datetime(1899, 12, 30)  # noqa: DTZ001
    seconds = int((serial - days) * 86400 + Decimal("0.5"))  # Excel stores 14:30 as 0.60416666...
    try:
        return epoch + dt.timedelta(days=days, seconds=seconds)
    except OverflowError:
        raise _invalid_date(raw, None, False) from None


def _build(match: re.Match[str], year: int, month: int, day: int) -> dt.datetime:
    """Naive datetime from a regex match with the optional _TIME groups; ValueError if impossible."""
    hour = int(match.group("hour") or 0)
    if match.group("ampm"):
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for a.m./p.m.")
        hour = hour % 12 + (12 if match.group("ampm").lower().startswith("p") else 0)
    micro = (match.group("micro") or "").ljust(6, "0")
    return dt.datetime(  # noqa: DTZ001 - made aware by the caller
        year,
        month,
        day,
        hour,
        int(match.group("minute") or 0),
        int(match.group("second") or 0),
        int(micro or 0),
    )


def _parse_temporal(value: object, date_format: str | None, with_time: bool) -> dt.datetime | None:
    """Any accepted date or date-time value as a datetime (naive unless the value gave an offset)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, bool):
        raise _invalid_date(value, date_format, with_time)
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _invalid_date(value, date_format, with_time)
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not date_format:
            return _from_excel_serial(number, value)
        value = str(int(number)) if number == int(number) else str(value)  # e.g. 20251231 with "%Y%m%d"
    raw = _text(value)
    if not raw:
        return None
    if date_format:
        try:
            return dt.datetime.strptime(raw, date_format)  # noqa: DTZ007 - made aware by the caller
        except ValueError:
            pass  # fall back to the usual forms: a file may mix them
    elif _NUMBER.fullmatch(raw):
        return _from_excel_serial(Decimal(raw.replace(",", ".")), raw)
    if _ISO.match(raw):
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            pass  # 2025-1-5 and friends are tried below
    try:
        if match := _YEAR_FIRST.fullmatch(raw):
            return _build(match, int(match.group("year")), int(match.group("b")), int(match.group("a")))
        if match := _DAY_FIRST.fullmatch(raw):
            year = int(match.group("year"))
            if len(match.group("year")) == 2:
                year += 2000 if year <= 69 else 1900
            first, second = int(match.group("a")), int(match.group("b"))
            try:
                return _build(match, year, second, first)  # day first: 31/12/2025
            except ValueError:
                if first <= 12 < second:  # 12/31/2025 can only be month first
                    return _build(match, year, first, second)
                raise
    except ValueError:
        pass  # impossible date or time: reported below with the expected format
    raise _invalid_date(raw, date_format, with_time)


def parse_date(value: object, *, date_format: str | None = None) -> dt.date | None:
    """A date from a date/datetime cell, a spreadsheet day number or text.

    Text is tried with ``date_format`` first, then YYYY-MM-DD (or an ISO date-time, whose date is taken),
    YYYY/MM/DD, then day first: DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY and two-digit years (00-69 are
    2000-2069). Month-first dates are accepted only when unambiguous (12/31/2025). Numbers, and numeric
    text without ``date_format``, are spreadsheet day numbers (1 = 1900-01-01, 45657 = 2024-12-31).
    """
    moment = _parse_temporal(value, date_format, with_time=False)
    return None if moment is None else moment.date()


def parse_datetime(value: object, *, date_format: str | None = None, tz: dt.tzinfo) -> dt.datetime | None:
    """An aware datetime; accepts what parse_date does plus a time ("31/12/2025 14:30", ISO with offset).

    Values without an offset are local time in ``tz`` (a date alone is local midnight); values with an
    offset keep it. The fraction of a spreadsheet day number is the time of day.
    """
    moment = _parse_temporal(value, date_format, with_time=True)
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=tz)


_DURATION_UNITS: dict[str, int] = {
    **dict.fromkeys(("h", "hr", "hrs", "hora", "horas", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minuto", "minutos", "minute", "minutes", "'"), 60),
    **dict.fromkeys(("s", "sec", "secs", "seg", "segs", "segundo", "segundos", "second", "seconds", '"'), 1),
}
_DURATION_PART = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*([a-z]+|'|\")\.?\s*(?:(?:,|y|and)\s+)?")
_CLOCK = re.compile(r"(\d+):(\d{1,2})(?::(\d{1,2}))?")


def parse_duration_seconds(value: object) -> int | None:
    """A duration in whole seconds from 95, "95", "01:35" (mm:ss), "1:02:03" (hh:mm:ss), "1h 5m",
    "3 min", "90 s" or "1 hora y 20 minutos"; fractions of a second are rounded."""
    if value is None:
        return None
    text = fold(_text(value)) if not isinstance(value, bool) else "?"
    if not text:
        return None
    total: Decimal | None = None
    if _NUMBER.fullmatch(text):
        total = Decimal(text.replace(",", "."))
    elif match := _CLOCK.fullmatch(text):
        parts = [int(part) for part in match.groups() if part is not None]
        if all(part < 60 for part in parts[1:]):
            total = Decimal(sum(part * 60**power for power, part in enumerate(reversed(parts))))
    else:
        position, total = 0, Decimal(0)
        while position < len(text) and total is not None:
            part = _DURATION_PART.match(text, position)
            unit = _DURATION_UNITS.get(part.group(2)) if part else None
            if part is None or unit is None:
                total = None
            else:
                total += Decimal(part.group(1).replace(",", ".")) * unit
                position = part.end()
    if total is None:
        raise ValueError(
            _('"%(value)s" is not a duration; use seconds (95), mm:ss, hh:mm:ss or a form like 1h 5m.')
            % {"value": value}
        )
    return int(total + Decimal("0.5"))


_TRUE = frozenset({"si", "s", "yes", "y", "true", "verdadero", "1", "x"})
_FALSE = frozenset({"no", "n", "false", "falso", "0"})


def parse_bool(value: object) -> bool | None:
    """Yes or no from sí/si/no, yes/y/no/n, true/false, 1/0, or "x" (a ticked box in a spreadsheet)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)) and value in (0, 1):
        return bool(value)
    text = fold(_text(value)).rstrip(".")
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        _('"%(value)s" is not yes or no; use sí/no, yes/no, true/false, 1/0 or x.') % {"value": value}
    )


# --- party kind ---------------------------------------------------------------------------------------

_PERSON_WORDS = frozenset(
    {"person", "persona", "individual", "particular", "p", "f", "fisica", "persona fisica", "natural",
     "persona natural", "autonomo"}
)  # fmt: skip
_ORGANISATION_WORDS = frozenset(
    {"organisation", "organization", "organizacion", "org", "empresa", "company", "sociedad", "juridica", "persona juridica",
     "j", "o", "business", "moral", "persona moral", "entidad"}
)  # fmt: skip
# Shapes of Spanish ids: CIF (entity letter + 7 digits + control) and NIF, NIE or K/L/M NIF of a person.
_SPANISH_CIF = re.compile(r"(?:ES)?[A-HJNPQRSUVW]\d{7}[0-9A-J]")
_SPANISH_PERSONAL = re.compile(r"(?:ES)?(?:\d{8}[A-Z]|[XYZKLM]\d{7}[A-Z])")


def _kind_from_tax_id(raw: str, country: str) -> str | None:
    compact = re.sub(r"[^0-9A-Za-z]", "", raw).upper()
    cif_shaped = bool(_SPANISH_CIF.fullmatch(compact))
    if country == "ES" or cif_shaped or _SPANISH_PERSONAL.fullmatch(compact):
        try:
            is_company = spanish_tax_id_is_company(normalize_tax_id(raw, "ES"))
        except ValueError:
            # A mistyped check digit still shows what kind of id it is; the error is reported elsewhere.
            if not (cif_shaped or _SPANISH_PERSONAL.fullmatch(compact)):
                return None
            is_company = cif_shaped
        return PartyKind.ORGANISATION.value if is_company else PartyKind.PERSON.value
    if country == "MX":
        try:
            tax_id = normalize_tax_id(raw, "MX")
        except ValueError:
            return None
        # An RFC has 12 characters for a "persona moral" (company) and 13 for a "persona física".
        return PartyKind.ORGANISATION.value if len(tax_id) == 12 else PartyKind.PERSON.value
    return None


def infer_party_kind(fields: Mapping[str, object], *, country: str = "") -> str:
    """ "person" or "organisation" for an imported row (canonical field -> value).

    In order: an explicit ``kind`` (person/persona/física/p..., organisation/empresa/sociedad/jurídica/
    j...; ValueError for any other word); the shape of a Spanish tax id (CIF: organisation; NIF or NIE:
    person) or of a Mexican RFC; a legal form at the end of the organisation or full name; an
    organisation name without given or family names; given or family names; otherwise person.
    """
    kind = fold(_text(fields.get("kind"))).rstrip(".")
    if kind in _PERSON_WORDS:
        return PartyKind.PERSON.value
    if kind in _ORGANISATION_WORDS:
        return PartyKind.ORGANISATION.value
    if kind:
        raise ValueError(
            _('"%(value)s" is not a kind of customer; use person or organisation.')
            % {"value": fields["kind"]}
        )
    tax_id = _text(fields.get("tax_id"))
    if tax_id and (by_tax_id := _kind_from_tax_id(tax_id, (country or _text(fields.get("country"))).upper())):
        return by_tax_id
    organisation_name = _text(fields.get("organisation_name"))
    if has_legal_form(organisation_name) or has_legal_form(_text(fields.get("full_name"))):
        return PartyKind.ORGANISATION.value
    has_person_name = bool(_text(fields.get("given_name")) or _text(fields.get("family_name")))
    if organisation_name and not has_person_name:
        return PartyKind.ORGANISATION.value
    return PartyKind.PERSON.value
