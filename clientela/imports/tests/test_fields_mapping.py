"""Canonical fields, header suggestion and mapping files (no database)."""

from __future__ import annotations

import json

import pytest

from clientela.imports.fields import (
    ENTITIES,
    FIELD_HELP,
    INTERACTION_FIELDS,
    PARTY_FIELDS,
    fields_for,
)
from clientela.imports.mapping import ImportOptions, Mapping, MappingError, parse_mapping, resolve_columns
from clientela.imports.suggest import header_key, suggest_mapping, synonyms_for

# --- fields ------------------------------------------------------------------------------------------


def test_field_names_are_the_documented_ones():
    assert PARTY_FIELDS == (
        "external_id", "kind", "full_name", "given_name", "family_name", "organisation_name", "tax_id",
        "email", "email_2", "phone", "mobile", "fax", "website", "social_network", "social_handle", "street",
        "postal_code", "city", "region", "country", "birth_date", "language", "owner", "tags", "notes",
    )  # fmt: skip
    assert INTERACTION_FIELDS == (
        "external_id", "kind", "occurred_at", "party_external_id", "party_email", "party_phone",
        "party_tax_id", "direction", "channel", "subject", "text", "amount", "currency", "document_number",
        "reference", "product", "quantity", "status", "user", "objective", "conclusion", "duration_seconds",
        "outcome",
    )  # fmt: skip
    assert ENTITIES == ("parties", "interactions")


@pytest.mark.parametrize(
    ("entity", "expected"), [("parties", PARTY_FIELDS), ("interactions", INTERACTION_FIELDS)]
)
def test_fields_for_and_help_cover_every_field(entity, expected):
    assert fields_for(entity) == expected
    assert tuple(FIELD_HELP[entity]) == expected
    assert all(len(str(text)) > 5 for text in FIELD_HELP[entity].values())


def test_fields_for_unknown_entity():
    with pytest.raises(ValueError, match="unknown import entity 'contacts'"):
        fields_for("contacts")


# --- suggest_mapping ---------------------------------------------------------------------------------

PARTY_EXAMPLES = {
    "organisation_name": ["Razón social", "Nombre fiscal", "Empresa", "Company", "Company name", "Organisation",
                          "Organization", "Account name"],
    "tax_id": ["NIF/CIF", "NIF", "CIF", "DNI", "NIE", "VAT", "VAT number", "Tax ID", "RFC"],
    "email": ["Correo electrónico", "Correo", "Email", "E-mail", "Mail"],
    "email_2": ["Email 2", "Correo 2", "Otro email"],
    "phone": ["Teléfono", "Tel.", "Tfno", "Phone", "Telephone"],
    "mobile": ["Móvil", "Celular", "Mobile", "Cell"],
    "fax": ["Fax"],
    "city": ["Población", "Localidad", "Ciudad", "Municipio", "City", "Town"],
    "postal_code": ["C.P.", "CP", "Código postal", "Postal code", "Zip", "Zip code", "Postcode"],
    "street": ["Dirección", "Domicilio", "Calle", "Address", "Street"],
    "region": ["Provincia", "Región", "Comunidad", "State", "Region", "County"],
    "country": ["País", "Country"],
    "given_name": ["Nombre", "First name", "first_name", "Given name", "Forename"],
    "family_name": ["Apellidos", "Apellido", "Last name", "Surname", "Family name"],
    "full_name": ["Nombre completo", "Nombre y apellidos", "Cliente", "Full name", "Name", "Customer",
                  "Customer name"],
    "external_id": ["Código cliente", "Cód. cliente", "Nº cliente", "Id cliente", "Customer ID",
                    "Customer number", "Account number", "ID"],
    "website": ["Web", "Página web", "Website", "URL"],
    "birth_date": ["Fecha de nacimiento", "Birth date", "Date of birth", "DOB"],
    "language": ["Idioma", "Language"],
    "owner": ["Comercial", "Responsable", "Owner", "Account owner", "Sales rep"],
    "tags": ["Etiquetas", "Tags", "Categoría"],
    "notes": ["Observaciones", "Notas", "Comentarios", "Notes", "Comments"],
    "social_network": ["Red social"],
    "social_handle": ["Usuario", "Handle", "Twitter"],
}  # fmt: skip

INTERACTION_EXAMPLES = {
    "document_number": ["Nº factura", "Número de factura", "Factura", "Invoice number", "Nº pedido", "Pedido",
                        "Order number", "Document", "Documento"],
    "occurred_at": ["Fecha", "Fecha factura", "Fecha pedido", "Date", "Created at", "Timestamp"],
    "amount": ["Importe", "Total", "Importe total", "Amount", "Total amount"],
    "currency": ["Moneda", "Divisa", "Currency"],
    "party_external_id": ["Código cliente", "Cliente", "Customer ID", "Customer number", "Account"],
    "party_email": ["Email cliente", "Customer email", "Correo"],
    "party_phone": ["Teléfono cliente", "Phone"],
    "party_tax_id": ["NIF cliente", "NIF", "CIF", "Tax ID"],
    "external_id": ["Id", "Ticket", "Nº incidencia", "Record ID", "ID"],
    "kind": ["Tipo", "Type", "Kind"],
    "subject": ["Asunto", "Subject", "Título", "Title"],
    "text": ["Descripción", "Texto", "Mensaje", "Detalle", "Description", "Text", "Body", "Message"],
    "reference": ["Referencia", "Ref.", "Factura relacionada", "Reference"],
    "product": ["Producto", "Artículo", "Product", "Item", "SKU"],
    "quantity": ["Cantidad", "Uds.", "Unidades", "Quantity", "Qty"],
    "status": ["Estado", "Status"],
    "objective": ["Objetivo", "Objective"],
    "conclusion": ["Conclusión", "Conclusion", "Resultado de la reunión"],
    "duration_seconds": ["Duración (s)", "Duración", "Duration", "Duration seconds"],
    "outcome": ["Resultado", "Outcome"],
    "channel": ["Canal", "Channel"],
    "direction": ["Dirección", "Direction", "Sentido"],
    "user": ["Usuario", "User", "Agente", "Agent", "Atendido por"],
}  # fmt: skip


def _cases(entity, examples):
    return [(entity, header, field) for field, headers in examples.items() for header in headers]


@pytest.mark.parametrize(
    ("entity", "header", "field"),
    _cases("parties", PARTY_EXAMPLES) + _cases("interactions", INTERACTION_EXAMPLES),
)
def test_suggest_documented_examples(entity, header, field):
    assert suggest_mapping([header], entity) == {header: field}


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_synonym_and_canonical_name_suggests_its_field(entity):
    # Also proves that no synonym key belongs to two fields (the index would raise).
    for field, headers in synonyms_for(entity).items():
        for header in headers:
            assert suggest_mapping([header], entity)[header] == field, header
    for field in fields_for(entity):
        for variant in (field, field.upper(), field.replace("_", " ").title(), field.replace("_", "-")):
            assert suggest_mapping([variant], entity)[variant] == field, variant


@pytest.mark.parametrize(
    ("entity", "header", "field"),
    [
        ("parties", "Telefono movil", "mobile"),
        ("parties", "TFNO. MÓVIL", "mobile"),
        ("parties", "Correo-e", "email"),
        ("parties", "Telefonno", "phone"),
        ("parties", "Comentario", "notes"),
        ("parties", "Observacion", "notes"),
        ("parties", "  razon   SOCIAL ", "organisation_name"),
        ("parties", "Apellido 1", "family_name"),
        ("interactions", "Importes", "amount"),
        # Conservative: a longer header is not the short synonym it contains.
        ("parties", "Nombre de contacto", None),
        ("parties", "Fecha de alta", None),
        ("parties", "Importe", None),
        ("parties", "Xyz", None),
        ("interactions", "Nombre", None),
        ("interactions", "Fecha de vencimiento", None),
    ],
)
def test_suggest_fuzzy_and_unknown(entity, header, field):
    assert suggest_mapping([header], entity) == {header: field}


@pytest.mark.parametrize(
    ("entity", "headers", "expected"),
    [
        # First header (file order) wins a field.
        ("parties", ["Empresa", "Razón social"], ["organisation_name", None]),
        # A second email-like header goes to email_2, a second phone-like one to mobile.
        ("parties", ["Email", "Correo", "Teléfono", "Tel."], ["email", "email_2", "phone", "mobile"]),
        ("parties", ["Móvil", "Celular"], ["mobile", "phone"]),
        # A header naming the field directly beats the overflow of another one.
        ("parties", ["Email", "Correo", "Email 2"], ["email", None, "email_2"]),
        ("parties", ["Teléfono", "Telefono 2", "Móvil"], ["phone", None, "mobile"]),
        # Exact matches beat fuzzy ones even when the fuzzy header comes first.
        ("parties", ["Correo-e", "Email", "Correo"], [None, "email", "email_2"]),
        ("parties", ["Telefonno", "Teléfono"], ["mobile", "phone"]),
        # No overflow for interactions.
        ("interactions", ["Email", "Correo"], ["party_email", None]),
        # Same word, different entity.
        (
            "parties",
            ["Dirección", "Usuario", "Cliente", "NIF"],
            ["street", "social_handle", "full_name", "tax_id"],
        ),
        (
            "interactions",
            ["Dirección", "Usuario", "Cliente", "NIF"],
            ["direction", "user", "party_external_id", "party_tax_id"],
        ),
        ("parties", [], []),
    ],
)
def test_suggest_assigns_each_field_once(entity, headers, expected):
    result = suggest_mapping(headers, entity)
    assert list(result) == headers
    assert list(result.values()) == expected


def test_header_key_ignores_accents_case_and_punctuation():
    assert header_key("  Nº  Cliente. ") == header_key("no_cliente") == "nocliente"
    assert header_key("C.P.") == "cp"


def test_suggest_unknown_entity():
    with pytest.raises(ValueError, match="unknown import entity"):
        suggest_mapping(["Nombre"], "contacts")


# --- parse_mapping -----------------------------------------------------------------------------------

FULL = {
    "columns": {"Teléfono": "phone", "Razón social": "organisation_name", "Fax": "", "Notas internas": None},
    "options": {
        "delimiter": ";", "encoding": "cp1252", "decimal": ",", "date_format": "%d/%m/%Y",
        "default_country": "es", "format": "CSV", "sheet": "Clientes", "default_currency": "eur",
        "timezone": "Europe/Madrid",
    },
}  # fmt: skip


def test_parse_full_mapping_normalises_and_round_trips():
    mapping = parse_mapping(json.dumps(FULL), entity="parties")
    assert mapping.columns == {
        "Teléfono": "phone",
        "Razón social": "organisation_name",
        "Fax": "",
        "Notas internas": "",
    }
    assert mapping.options == ImportOptions(
        delimiter=";", encoding="cp1252", decimal=",", date_format="%d/%m/%Y", default_country="ES",
        format="csv", sheet="Clientes", default_currency="EUR", timezone="Europe/Madrid",
    )  # fmt: skip
    data = mapping.to_json()
    assert data["options"]["default_country"] == "ES"
    assert "kind" not in data["options"]
    assert parse_mapping(data, entity="parties") == mapping
    assert parse_mapping(json.dumps(data).encode(), entity="parties") == mapping


def test_to_json_leaves_out_unset_options():
    mapping = Mapping(columns={"A": "email"}, options=ImportOptions(decimal=","))
    assert mapping.to_json() == {"columns": {"A": "email"}, "options": {"decimal": ","}}


@pytest.mark.parametrize(
    "data",
    [
        '{"columns": {"Correo": "email"}}',
        '\ufeff{"columns": {"Correo": "EMAIL "}}'.encode(),
        {"columns": {"Correo": "email"}},
    ],
)
def test_parse_minimal_mapping(data):
    mapping = parse_mapping(data, entity="parties")
    assert mapping == Mapping(columns={"Correo": "email"}, options=ImportOptions())


@pytest.mark.parametrize(
    ("given", "expected"),
    [(",", ","), (";", ";"), ("\t", "\t"), ("|", "|"), ("tab", "\t"), ("TAB", "\t"), ("comma", ","),
     ("semicolon", ";"), ("pipe", "|"), ("\\t", "\t")],
)  # fmt: skip
def test_delimiter_words(given, expected):
    mapping = parse_mapping({"columns": {}, "options": {"delimiter": given}}, entity="parties")
    assert mapping.options.delimiter == expected


def test_interaction_options():
    mapping = parse_mapping(
        {
            "columns": {"Fecha": "occurred_at"},
            "options": {"kind": "Invoice", "date_format": "%Y-%m-%d %H:%M"},
        },
        entity="interactions",
    )
    assert mapping.options.kind == "invoice"
    assert mapping.options.date_format == "%Y-%m-%d %H:%M"


@pytest.mark.parametrize(
    ("data", "entity", "expected"),
    [
        ('{"columns": {"A": "email",}}', "parties", ["not valid JSON", "line 1, column 27"]),
        ('{\n  "columns": \n}', "parties", ["line 3, column 1"]),
        (b"\xff\xfe{}", "parties", ["not UTF-8"]),
        ("[1, 2]", "parties", ['must be a JSON object with "columns"']),
        ('"columns"', "parties", ["must be a JSON object"]),
        ({"options": {}}, "parties", ["columns: missing"]),
        ({"columns": {}, "extra": 1}, "parties", ['"extra" is not a mapping key']),
        ({"columns": ["A"]}, "parties", ['columns: must be an object of "column header": "field" pairs']),
        ({"columns": {"A": 3}}, "parties", ['columns["A"]: the field must be text']),
        (
            {"columns": {"Teléfono": "telefono"}},
            "parties",
            ['columns["Teléfono"]: "telefono" is not a field (did you mean "phone"?); fields are: external_id, kind'],
        ),
        ({"columns": {"X": "zzz"}}, "parties", ['columns["X"]: "zzz" is not a field; fields are: external_id']),
        ({"columns": {"X": "party_email"}}, "parties", ['"party_email" is not a field']),
        ({"columns": {"X": "given_name"}}, "interactions", ['"given_name" is not a field']),
        ('{"columns": {"A": "email", "A": "phone"}}', "parties", ['The key "A" appears twice']),
        (
            {"columns": {"Tel": "phone", "Teléfono": "phone"}},
            "parties",
            ['columns: the field "phone" is mapped from more than one column: "Tel", "Teléfono"'],
        ),
        ({"columns": {}, "options": []}, "parties", ["options: must be an object"]),
        ({"columns": {}, "options": {"quote": '"'}}, "parties", ['options: "quote" is not an option; options are: delimiter']),
        ({"columns": {}, "options": {"delimiter": 1}}, "parties", ["options.delimiter: must be text"]),
        ({"columns": {}, "options": {"delimiter": "::"}}, "parties", ['options.delimiter: "::" is not a delimiter']),
        ({"columns": {}, "options": {"encoding": "klingon"}}, "parties", ['options.encoding: "klingon" is not a known encoding']),
        ({"columns": {}, "options": {"decimal": ";"}}, "parties", ['options.decimal: the decimal separator must be "," or "."']),
        ({"columns": {}, "options": {"date_format": "dd/mm/yyyy"}}, "parties", ['options.date_format: "dd/mm/yyyy" is not a usable date format']),
        ({"columns": {}, "options": {"date_format": "%d/%m"}}, "parties", ["needs the day, month and year"]),
        ({"columns": {}, "options": {"date_format": "%d/%m/%Q"}}, "parties", ['"%d/%m/%Q" is not a usable date format']),
        ({"columns": {}, "options": {"default_country": "XX"}}, "parties", ['options.default_country: "XX" is not a two-letter ISO country code']),
        ({"columns": {}, "options": {"default_country": "ESP"}}, "parties", ['"ESP" is not a two-letter']),
        ({"columns": {}, "options": {"format": "xls"}}, "parties", ['options.format: "xls" is not a file format; formats are: "csv", "xlsx", "jsonl"']),
        ({"columns": {}, "options": {"kind": "call"}}, "parties", ["options.kind: a fixed kind is only possible for interactions files"]),
        ({"columns": {}, "options": {"kind": "llamada"}}, "interactions", ['options.kind: "llamada" is not a kind of interaction; kinds are: email, call']),
        ({"columns": {}, "options": {"sheet": "  "}}, "parties", ["options.sheet: give the name of the sheet"]),
        ({"columns": {}, "options": {"default_currency": "EURO"}}, "parties", ['options.default_currency: "EURO" is not an ISO 4217 currency code']),
        ({"columns": {}, "options": {"default_currency": "XYZ"}}, "parties", ['"XYZ" is not an ISO 4217']),
        ({"columns": {}, "options": {"timezone": "Mars/Base"}}, "parties", ['options.timezone: "Mars/Base" is not a time zone name']),
        ({"columns": {}, "options": {"timezone": "../etc/passwd"}}, "parties", ['"../etc/passwd" is not a time zone name']),
    ],
)  # fmt: skip
def test_parse_mapping_errors(data, entity, expected):
    with pytest.raises(MappingError) as info:
        parse_mapping(data, entity=entity)
    assert len(info.value.messages) == 1, info.value.messages
    for text in expected:
        assert text in info.value.messages[0]


def test_parse_mapping_reports_every_problem_at_once():
    data = {
        "columns": {"A": "nope", "B": "email", "C": "email"},
        "options": {"delimiter": "x", "decimal": "x", "timezone": "x", "bogus": "1"},
        "extra": True,
    }
    with pytest.raises(MappingError) as info:
        parse_mapping(data, entity="parties")
    messages = info.value.messages
    assert len(messages) == 7
    for fragment in ['"extra"', 'columns["A"]', '"email" is mapped', "options.delimiter", "options.decimal",
                     "options.timezone", '"bogus"']:  # fmt: skip
        assert any(fragment in message for message in messages), fragment
    assert str(info.value) == "; ".join(messages)


# --- resolve_columns ---------------------------------------------------------------------------------


def test_resolve_with_mapping_matches_exactly_then_loosely():
    mapping = parse_mapping(
        {
            "columns": {
                "teléfono": "phone",
                "NOMBRE": "given_name",
                "Fax": "",
                "Falta": "city",
                "Email": "email",
            }
        },
        entity="parties",
    )
    headers = ["Email", "Fax", " Nombre ", "Teléfono", "Observaciones"]
    columns, warnings = resolve_columns(headers, mapping, "parties")
    # File order; "Fax" ignored on purpose; "Observaciones" left out of the mapping is not suggested.
    assert list(columns.items()) == [("Email", "email"), (" Nombre ", "given_name"), ("Teléfono", "phone")]
    assert warnings == ['Column "Falta" of the mapping is not in the file.']


def test_resolve_prefers_the_exact_header():
    mapping = parse_mapping({"columns": {"tel": "mobile", "Tel": "phone"}}, entity="parties")
    columns, _warnings = resolve_columns(["TEL", "Tel", "Nombre"], mapping, "parties")
    assert columns == {"TEL": "mobile", "Tel": "phone"}


def test_resolve_without_mapping_suggests():
    columns, warnings = resolve_columns(["Razón social", "Desconocida", "Teléfono"], None, "parties")
    assert columns == {"Razón social": "organisation_name", "Teléfono": "phone"}
    assert warnings == []


@pytest.mark.parametrize(
    ("entity", "headers", "expected"),
    [
        (
            "parties",
            ["Teléfono", "Email"],
            "No column gives the customer's name (full_name, given_name, family_name, organisation_name)",
        ),
        (
            "interactions",
            ["Fecha", "Importe"],
            "No column identifies the customer (party_external_id, party_email, party_phone, party_tax_id)",
        ),
    ],
)
def test_resolve_warns_without_identifying_fields(entity, headers, expected):
    _columns, warnings = resolve_columns(headers, None, entity)
    assert len(warnings) == 1
    assert warnings[0].startswith(expected)


@pytest.mark.parametrize(
    ("entity", "headers"),
    [
        ("parties", ["Apellidos"]),
        ("parties", ["Empresa"]),
        ("interactions", ["Email cliente"]),
        ("interactions", ["NIF"]),
    ],
)
def test_resolve_no_warning_with_an_identifying_field(entity, headers):
    assert resolve_columns(headers, None, entity)[1] == []
