"""Value parsers of the import pipeline (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from clientela.imports.values import (
    infer_party_kind,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_duration_seconds,
    parse_int,
)

MADRID = ZoneInfo("Europe/Madrid")

# --- parse_decimal -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimal", "expected"),
    [
        ("1.234,56", ",", "1234.56"),
        ("12,5", ",", "12.5"),
        ("1.234", ",", "1234"),
        ("1.234.567,89", ",", "1234567.89"),
        ("1,234.56", ".", "1234.56"),
        ("1,234", ".", "1234"),
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("1.234.567", None, "1234567"),
        ("1,234,567", None, "1234567"),
        ("12,5", None, "12.5"),
        ("12.50", None, "12.50"),
        ("0,123", None, "0.123"),  # a thousands group never follows a lone 0
        ("1234,567", None, "1234.567"),  # nor four digits
        ("12,3456", None, "12.3456"),
        ("7", None, "7"),
        (",5", None, "0.5"),
        ("(12,50)", None, "-12.50"),
        ("12,50-", None, "-12.50"),
        ("-1.234,56 €", None, "-1234.56"),
        ("€ 12.50", None, "12.50"),
        ("-€12.50", None, "-12.50"),
        ("(€ 1.234,50)", None, "-1234.50"),
        ("US$ 1,234.56", None, "1234.56"),
        ("S/. 1,234.50", None, "1234.50"),
        ("EUR 12", None, "12"),
        ("12 usd", None, "12"),
        ("1\u00a0234,56", None, "1234.56"),
        ("1 234 567", None, "1234567"),
        ("  +3,5  ", None, "3.5"),
        ("\u221212", None, "-12"),
        (12, None, "12"),
        (0.1, None, "0.1"),
        (1234.5, ",", "1234.5"),
        (Decimal("1.50"), None, "1.50"),
    ],
)
def test_parse_decimal(value, decimal, expected):
    result = parse_decimal(value, decimal=decimal)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_decimal_empty(value):
    assert parse_decimal(value) is None


@pytest.mark.parametrize(
    ("value", "decimal", "message"),
    [
        ("1,234", None, '"1,234" is ambiguous'),
        ("1.234", None, 'give the decimal separator ("," or ".")'),
        ("1.23.4", None, '"1.23.4": the thousands separator is in the wrong place'),
        ("12.34.567", None, "wrong place"),
        ("1,234.5,6", None, "wrong place"),
        ("12,5", ".", '"12,5": the thousands separator is in the wrong place'),
        ("1,2,3", ",", "wrong place"),
        ("abc", None, '"abc" is not a number'),
        ("12abc", None, "is not a number"),
        ("1e5", None, "is not a number"),
        ("NaN", None, '"NaN" is not a number'),
        ("Infinity", None, "is not a number"),
        ("€", None, '"€" is not a number'),
        ("--12", None, "is not a number"),
        (float("nan"), None, '"nan" is not a number'),
        (float("inf"), None, "is not a number"),
        (Decimal("NaN"), None, "is not a number"),
        (True, None, '"True" is not a number'),
    ],
)
def test_parse_decimal_errors(value, decimal, message):
    with pytest.raises(ValueError) as info:
        parse_decimal(value, decimal=decimal)
    assert message in str(info.value)


# --- parse_int, parse_duration_seconds, parse_bool -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), ("-3", -3), ("+7", 7), (" 12.0 ", 12), ("12,00", 12), (5, 5), (12.0, 12), (Decimal("3"), 3),
     (None, None), ("", None)],
)  # fmt: skip
def test_parse_int(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["1.234", "12.5", "abc", 12.5, True, float("nan"), "1e3"])
def test_parse_int_errors(value):
    with pytest.raises(ValueError, match="is not a whole number"):
        parse_int(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("95", 95), (95, 95), (95.4, 95), ("1.5", 2), ("01:35", 95), ("1:02:03", 3723), ("125:30", 7530),
        ("1h 5m", 3900), ("3 min", 180), ("90 s", 90), ("1h5m30s", 3930), ("2,5 min", 150),
        ("1 hora y 20 minutos", 4800), ("2 horas, 5 minutos", 7500), ("45 mins.", 2700), ("10 seg", 10),
        ("1 hour and 2 seconds", 3602), (None, None), ("", None),
    ],
)  # fmt: skip
def test_parse_duration_seconds(value, expected):
    assert parse_duration_seconds(value) == expected


@pytest.mark.parametrize("value", ["1:75", "1:02:99", "5 parsecs", "abc", "-3", -3, "1h 5", True, "h"])
def test_parse_duration_errors(value):
    with pytest.raises(ValueError) as info:
        parse_duration_seconds(value)
    assert f'"{value}" is not a duration; use seconds (95), mm:ss, hh:mm:ss' in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("sí", True), ("Si", True), ("SÍ", True), ("yes", True), ("Y", True), ("true", True), ("1", True),
     ("x", True), ("X", True), (1, True), (True, True), ("no", False), ("NO", False), ("n", False),
     ("false", False), ("0", False), (0, False), (False, False), (None, None), ("", None)],
)  # fmt: skip
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", 2, "quizás"])
def test_parse_bool_errors(value):
    with pytest.raises(ValueError, match=f'"{value}" is not yes or no; use sí/no, yes/no'):
        parse_bool(value)


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        (dt.date(2025, 1, 2), None, dt.date(2025, 1, 2)),
        (dt.datetime(2025, 1, 2, 23, 59), None, dt.date(2025, 1, 2)),
        (1, None, dt.date(1900, 1, 1)),
        (59, None, dt.date(1900, 2, 28)),
        (61, None, dt.date(1900, 3, 1)),
        (45657, None, dt.date(2024, 12, 31)),
        (45657.75, None, dt.date(2024, 12, 31)),
        ("45657", None, dt.date(2024, 12, 31)),
        (2958465, None, dt.date(9999, 12, 31)),
        ("2025-12-31", None, dt.date(2025, 12, 31)),
        ("2025/12/31", None, dt.date(2025, 12, 31)),
        ("2025-1-5", None, dt.date(2025, 1, 5)),
        ("31/12/2025", None, dt.date(2025, 12, 31)),
        ("31-12-2025", None, dt.date(2025, 12, 31)),
        ("31.12.2025", None, dt.date(2025, 12, 31)),
        ("1/2/2025", None, dt.date(2025, 2, 1)),  # day first
        ("31/12/25", None, dt.date(2025, 12, 31)),
        ("01/01/69", None, dt.date(2069, 1, 1)),
        ("01/01/70", None, dt.date(1970, 1, 1)),
        ("12/31/2025", None, dt.date(2025, 12, 31)),  # month first, unambiguous
        ("2025-12-31T23:30:00-05:00", None, dt.date(2025, 12, 31)),
        ("31/12/2025 14:30", None, dt.date(2025, 12, 31)),
        ("  31/12/2025 ", None, dt.date(2025, 12, 31)),
        ("2025.12.31", "%Y.%m.%d", dt.date(2025, 12, 31)),
        ("31/12/2025", "%Y-%m-%d", dt.date(2025, 12, 31)),  # the format first, then the usual forms
        (20251231, "%Y%m%d", dt.date(2025, 12, 31)),
        ("Dec 31 2025", "%b %d %Y", dt.date(2025, 12, 31)),
        (None, None, None),
        ("", None, None),
    ],
)
def test_parse_date(value, date_format, expected):
    assert parse_date(value, date_format=date_format) == expected


@pytest.mark.parametrize(
    ("value", "date_format", "message"),
    [
        ("31/02/2025", None, '"31/02/2025" is not a valid date; expected DD/MM/YYYY or YYYY-MM-DD'),
        ("13/13/2025", None, "is not a valid date"),
        ("2025-02-30", None, '"2025-02-30" is not a valid date'),
        ("hola", None, '"hola" is not a valid date'),
        ("31/02/2025", "%d/%m/%Y", '"31/02/2025" is not a valid date; expected %d/%m/%Y'),
        (60, None, "spreadsheet day 60 is 29 February 1900, which did not exist"),
        (0, None, "must be between 1 and 2958465"),
        (2958466, None, '"2958466" is not a valid date: as a spreadsheet day number it must be between'),
        ("-5", None, "is not a valid date"),
        (True, None, '"True" is not a valid date'),
        (float("nan"), None, "is not a valid date"),
    ],
)
def test_parse_date_errors(value, date_format, message):
    with pytest.raises(ValueError) as info:
        parse_date(value, date_format=date_format)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("31/12/2025 14:30", None, dt.datetime(2025, 12, 31, 14, 30, tzinfo=MADRID)),
        ("31/12/2025 14:30:15", None, dt.datetime(2025, 12, 31, 14, 30, 15, tzinfo=MADRID)),
        ("12/31/2025 2:30 PM", None, dt.datetime(2025, 12, 31, 14, 30, tzinfo=MADRID)),
        ("31/12/2025 12:05 a.m.", None, dt.datetime(2025, 12, 31, 0, 5, tzinfo=MADRID)),
        ("2025-12-31T14:30:00Z", None, dt.datetime(2025, 12, 31, 14, 30, tzinfo=dt.UTC)),
        (
            "2025-12-31 14:30:00+01:00",
            None,
            dt.datetime(2025, 12, 31, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        ),
        ("2025-06-30T10:00", None, dt.datetime(2025, 6, 30, 10, tzinfo=MADRID)),
        ("31/12/2025", None, dt.datetime(2025, 12, 31, tzinfo=MADRID)),
        (dt.date(2025, 6, 1), None, dt.datetime(2025, 6, 1, tzinfo=MADRID)),
        (dt.datetime(2025, 6, 1, 12), None, dt.datetime(2025, 6, 1, 12, tzinfo=MADRID)),
        (45657.604166666664, None, dt.datetime(2024, 12, 31, 14, 30, tzinfo=MADRID)),  # Excel's 14:30
        ("45657,5", None, dt.datetime(2024, 12, 31, 12, tzinfo=MADRID)),
        ("31.12.2025 08.15", "%d.%m.%Y %H.%M", dt.datetime(2025, 12, 31, 8, 15, tzinfo=MADRID)),
        (None, None, None),
    ],
)
def test_parse_datetime(value, date_format, expected):
    result = parse_datetime(value, date_format=date_format, tz=MADRID)
    assert result == expected
    if result is not None:
        assert result.utcoffset() == expected.utcoffset()


def test_parse_datetime_keeps_the_offset_of_aware_values():
    aware = dt.datetime(2025, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert parse_datetime(aware, tz=MADRID).utcoffset() == dt.timedelta(hours=-6)
    parsed = parse_datetime("2025-12-31 14:30:00+01:00", tz=ZoneInfo("America/Mexico_City"))
    assert parsed.utcoffset() == dt.timedelta(hours=1)


def test_parse_datetime_in_the_spring_forward_gap_uses_fold_0():
    result = parse_datetime("30/03/2025 02:30", tz=MADRID)
    assert (result.hour, result.minute, result.fold) == (2, 30, 0)
    assert result.tzinfo is MADRID


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "31/12/2025 25:00",
            '"31/12/2025 25:00" is not a valid date; expected DD/MM/YYYY HH:MM or YYYY-MM-DD HH:MM',
        ),
        ("31/12/2025 13:00 PM", "is not a valid date"),
        ("31/02/2025 10:00", "is not a valid date"),
    ],
)
def test_parse_datetime_errors(value, message):
    with pytest.raises(ValueError) as info:
        parse_datetime(value, tz=MADRID)
    assert message in str(info.value)


# --- neutralise_formula --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+cmd", "'+cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "'-12.5"),  # OWASP: prefixed too, see the docstring
        ("+34 612 345 678", "'+34 612 345 678"),
        ("Ana García", "Ana García"),
        ("12 = 12", "12 = 12"),
        ("", ""),
    ],
)
def test_neutralise_formula(text, expected):
    from clientela.imports.exports import neutralise  # the one formula guard, used by every export

    assert neutralise(text) == expected


# --- infer_party_kind ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "country", "expected"),
    [
        ({"kind": "Empresa", "given_name": "Ana"}, "", "organisation"),
        ({"kind": "persona", "organisation_name": "ACME S.L."}, "", "person"),
        *[
            ({"kind": word}, "", "person")
            for word in ("person", "persona", "individual", "particular", "p", "F", "física", "fisica")
        ],
        *[
            ({"kind": word}, "", "organisation")
            for word in (
                "organisation",
                "organization",
                "organización",
                "org",
                "empresa",
                "company",
                "sociedad",
                "Jurídica",
                "juridica",
                "j",
                "O",
                "business",
            )
        ],
        # Spanish tax ids: CIF is a company, NIF and NIE a person, whatever the names say.
        ({"tax_id": "B12345674", "given_name": "Ana"}, "", "organisation"),
        ({"tax_id": "b-1234567-4"}, "ES", "organisation"),
        ({"tax_id": "ESB12345674"}, "", "organisation"),
        ({"tax_id": "B12345670"}, "", "organisation"),  # wrong check digit: the shape still tells
        ({"tax_id": "12345678Z", "organisation_name": "Talleres SL"}, "", "person"),
        ({"tax_id": "X1234567L"}, "", "person"),
        ({"tax_id": "B12345674", "country": "ES"}, "", "organisation"),
        # Mexican RFC: 12 characters for a company, 13 for a person.
        ({"tax_id": "ABC680524P76"}, "MX", "organisation"),
        ({"tax_id": "GODE561231GR8", "organisation_name": "Grupo SA de CV"}, "MX", "person"),
        # Unknown tax id shape: the names decide.
        ({"tax_id": "123", "organisation_name": "Acme"}, "FR", "organisation"),
        ({"organisation_name": "Talleres Pérez, S.L.", "given_name": "Ana"}, "", "organisation"),
        ({"full_name": "ACME SL"}, "", "organisation"),
        ({"full_name": "Ana García"}, "", "person"),
        ({"organisation_name": "Acme"}, "", "organisation"),
        ({"organisation_name": "Acme", "family_name": "García"}, "", "person"),
        ({"given_name": "Ana"}, "", "person"),
        ({"kind": "", "full_name": None}, "", "person"),
        ({}, "", "person"),
    ],
)
def test_infer_party_kind(fields, country, expected):
    assert infer_party_kind(fields, country=country) == expected


@pytest.mark.parametrize("kind", ["robot", "cliente", "x"])
def test_infer_party_kind_rejects_unknown_kinds(kind):
    with pytest.raises(ValueError, match=f'"{kind}" is not a kind of customer; use person or organisation'):
        infer_party_kind({"kind": kind, "organisation_name": "Acme"})
