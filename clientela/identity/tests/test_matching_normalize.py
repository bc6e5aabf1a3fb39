"""Normalisation and nickname handling of the matching engine (pure, no database)."""

from __future__ import annotations

import datetime

from clientela.identity.matching import PartyRecord, normalize_record
from clientela.identity.matching.nicknames import canonical_given
from clientela.identity.matching.normalize import (
    fold,
    is_generic_email,
    name_tokens,
    normalize_email,
    normalize_phone,
    normalize_street,
    normalize_tax_id,
    organisation_key,
)


def test_fold_removes_accents_case_and_punctuation():
    assert fold("  José-María  GARCÍA, López ") == "jose maria garcia lopez"
    assert fold("Muñoz") == "munoz"


def test_legal_forms_are_removed_from_organisation_names():
    expected = "talleres perez"
    for raw in (
        "Talleres Pérez S.L.",
        "TALLERES PEREZ SL",
        "Talleres Pérez, S.L.U.",
        "Talleres Pérez SLU",
        "Talleres Pérez S.A.",
        "Talleres Pérez Sociedad Limitada",
        "Talleres Pérez Sociedad Anónima",
        "Talleres Pérez S. Coop.",
        "Talleres Pérez S.A. de C.V.",
        "Talleres Pérez S. de R.L.",
        "Talleres Pérez S.R.L.",
    ):
        assert organisation_key(raw) == expected, raw
    assert (
        organisation_key("Acme Inc.")
        == organisation_key("ACME LLC")
        == organisation_key("Acme GmbH")
        == "acme"
    )


def test_garbage_values_become_missing():
    assert normalize_email("test@test.com") == ""
    assert normalize_email("a@a.com") == ""
    assert normalize_email("n/a") == ""
    assert normalize_phone("+34000000000") == ""
    assert normalize_phone("123456789") == ""
    assert normalize_tax_id("n/a") == ""
    assert normalize_tax_id("000000000") == ""
    assert name_tokens("Cliente") == ()
    assert name_tokens("contado") == ()
    assert name_tokens("VARIOS") == ()
    assert name_tokens("-") == ()
    assert name_tokens("none") == ()
    party = normalize_record(
        PartyRecord(id="x", given_name="n/a", family_name="-", birth_date=datetime.date(1900, 1, 1))
    )
    assert party.given == party.family == party.birth_date == ""


def test_generic_mailboxes_are_detected():
    assert is_generic_email("info@talleres.es")
    assert is_generic_email("ventas@talleres.es")
    assert not is_generic_email("jgarcia@talleres.es")


def test_street_abbreviations_are_normalised():
    assert normalize_street("C/ Mayor, nº 5, piso 3") == normalize_street("Calle Mayor 5 3")
    assert normalize_street("Avda. de la Paz 7") == normalize_street("Avenida de la Paz 7")
    assert normalize_street("Pº Castellana 1") == normalize_street("Paseo Castellana 1")
    assert normalize_street("Pza. España 2") == normalize_street("Plaza España 2")
    assert normalize_street("Ctra. de Burgos km 3") == normalize_street("Carretera de Burgos km 3")


def test_tax_ids_are_compacted():
    assert normalize_tax_id("12.345.678-z") == normalize_tax_id("12345678 Z") == "12345678Z"


def test_nicknames_map_to_canonical_names():
    assert canonical_given(("pepe",)) == "jose"
    assert canonical_given(("paco",)) == "francisco"
    assert canonical_given(("chema",)) == "jose maria"
    assert canonical_given(("bill",)) == "william"
    assert canonical_given(("peggy",)) == "margaret"
    assert canonical_given(("alex",), 1) == "alejandro"
