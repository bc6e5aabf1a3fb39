"""Legal forms, full-name splitting and tidy casing (no database)."""

from __future__ import annotations

import pytest

from clientela.imports.names import (
    COMPOUND_GIVEN_NAMES,
    LEGAL_FORMS,
    has_legal_form,
    split_full_name,
    split_legal_form,
    tidy_case,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Talleres Pérez, S.L.", ("Talleres Pérez", "S.L.")),
        ("ACME SL", ("ACME", "SL")),
        ("Grupo SA de CV", ("Grupo", "SA de CV")),
        ("Grupo Bimbo, S.A.B. de C.V.", ("Grupo Bimbo", "S.A.B. de C.V.")),
        ("Constructora Norte S. de R.L. de C.V.", ("Constructora Norte", "S. de R.L. de C.V.")),
        ("Bar Pepe, s.l.u.", ("Bar Pepe", "s.l.u.")),
        ("Frutas López S. L.", ("Frutas López", "S. L.")),
        ("Cooperativa del Campo S. Coop.", ("Cooperativa del Campo", "S. Coop.")),
        ("Inversiones Sur Sociedad Limitada", ("Inversiones Sur", "Sociedad Limitada")),
        ("Hermanos Ruiz C.B.", ("Hermanos Ruiz", "C.B.")),
        ("Comercial Andina Ltda.", ("Comercial Andina", "Ltda.")),
        ("Widgets Inc", ("Widgets", "Inc")),
        ("Widgets, Inc.", ("Widgets", "Inc.")),
        ("Acme Corporation", ("Acme", "Corporation")),
        ("Acme LLC", ("Acme", "LLC")),
        ("Acme Ltd", ("Acme", "Ltd")),
        ("Tesco PLC", ("Tesco", "PLC")),
        ("Siemens AG", ("Siemens", "AG")),
        ("Bosch GmbH", ("Bosch", "GmbH")),
        ("Philips N.V.", ("Philips", "N.V.")),
        ("  Talleres  Pérez,S.L.  ", ("Talleres  Pérez", "S.L.")),
        # No legal form, or nothing but one.
        ("S.L.", ("S.L.", "")),
        ("Sociedad Limitada", ("Sociedad Limitada", "")),
        (", SL", (", SL", "")),
        ("Consul", ("Consul", "")),
        ("Talleres Pérez", ("Talleres Pérez", "")),
        ("Balneario Spa", ("Balneario Spa", "")),  # word-like forms need their dots
        ("Pimienta y Sal", ("Pimienta y Sal", "")),
        ("Cerámicas Levante S.A.L.", ("Cerámicas Levante", "S.A.L.")),
        ("Ferrari S.p.A.", ("Ferrari", "S.p.A.")),
        ("", ("", "")),
    ],
)
def test_split_legal_form(name, expected):
    assert split_legal_form(name) == expected
    assert has_legal_form(name) is bool(expected[1])


def test_legal_forms_list_has_the_common_spellings():
    for form in ("S.L.", "SL", "S.L.U.", "S.A.", "SA de CV", "S. de R.L.", "Ltda.", "Inc.", "LLC", "GmbH"):
        assert form in LEGAL_FORMS
        assert has_legal_form(f"Empresa {form}"), form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("García López, José Luis", ("José Luis", "García López")),
        ("GARCÍA LÓPEZ , JOSÉ", ("JOSÉ", "GARCÍA LÓPEZ")),
        ("José García López", ("José", "García López")),
        ("José García", ("José", "García")),
        ("Miguel Ángel Ruiz Sánchez", ("Miguel Ángel", "Ruiz Sánchez")),
        ("MIGUEL ANGEL RUIZ", ("MIGUEL ANGEL", "RUIZ")),
        ("María del Carmen Ruiz Gómez", ("María del Carmen", "Ruiz Gómez")),
        ("María de los Ángeles Soto", ("María de los Ángeles", "Soto")),
        ("Juan de Dios Pérez", ("Juan de Dios", "Pérez")),
        ("María de la Fuente Díaz", ("María", "de la Fuente Díaz")),
        ("Juan del Río", ("Juan", "del Río")),
        ("John Smith", ("John", "Smith")),
        ("Mary Ann Smith", ("Mary", "Ann Smith")),
        ("Ana", ("Ana", "")),
        ("José Luis", ("José Luis", "")),
        ("  José   García  López ", ("José", "García López")),
        ("Sr. D. José García", ("José", "García")),
        ("Dña. María José Pérez", ("María José", "Pérez")),
        ("Doña Ana Ruiz", ("Ana", "Ruiz")),
        ("Dr. Luis Gómez", ("Luis", "Gómez")),
        ("Mrs Jane Doe", ("Jane", "Doe")),
        ("Ruiz, Sra. Ana", ("Ana", "Ruiz")),
        ("Don Johnson", ("Don", "Johnson")),  # an English given name, not the Spanish honorific
        ("Dª Carmen Soto", ("Carmen", "Soto")),
        ("Da Silva Costa", ("Da", "Silva Costa")),  # "Da" without dot or ª is not "Doña"
        ("García, ", ("García", "")),
        ("", ("", "")),
    ],
)
def test_split_full_name(text, expected):
    assert split_full_name(text) == expected


def test_compound_given_names_are_many_and_kept_together():
    assert len(COMPOUND_GIVEN_NAMES) >= 30
    for name in COMPOUND_GIVEN_NAMES:
        assert split_full_name(f"{name} Pérez") == (name, "Pérez"), name


@pytest.mark.parametrize(
    ("text", "organisation", "expected"),
    [
        ("JOSÉ GARCÍA DE LA FUENTE", False, "José García de la Fuente"),
        ("josé garcía", False, "José García"),
        ("DE LA FUENTE DÍAZ", False, "De la Fuente Díaz"),
        ("ÁLVARO ÑÚÑEZ Y PÉREZ", False, "Álvaro Ñúñez y Pérez"),
        ("LUDWIG VAN BEETHOVEN", False, "Ludwig van Beethoven"),
        ("O'BRIEN", False, "O'Brien"),
        ("GARCÍA-PELAYO", False, "García-Pelayo"),
        ("MC DONALD", False, "Mc Donald"),
        ("ANA", False, "Ana"),
        ("José García", False, "José García"),  # mixed case is left alone
        ("McDonald", False, "McDonald"),
        ("BBVA", False, "Bbva"),
        ("12345", False, "12345"),
        ("", False, ""),
        ("TALLERES PEREZ SL", True, "Talleres Perez SL"),
        ("TALLERES PÉREZ, S.L.", True, "Talleres Pérez, S.L."),
        ("talleres pérez s.l.", True, "Talleres Pérez S.L."),
        ("CONSTRUCCIONES DEL SUR SA DE CV", True, "Construcciones del Sur SA de CV"),
        ("BOSCH GMBH", True, "Bosch GmbH"),
        ("ACME INC.", True, "ACME Inc."),
        ("BBVA", True, "BBVA"),
        ("CASA MARTÍNEZ SL", True, "Casa Martínez SL"),
        ("CASA PEPE SL", True, "Casa PEPE SL"),  # short words are taken for acronyms (documented)
        ("BANK OF SPAIN PLC", True, "Bank of Spain PLC"),
        ("MCDONALD'S", True, "Mcdonald's"),
        ("bbva", True, "Bbva"),
        ("Talleres PÉREZ SL", True, "Talleres PÉREZ SL"),
    ],
)
def test_tidy_case(text, organisation, expected):
    assert tidy_case(text, organisation=organisation) == expected
