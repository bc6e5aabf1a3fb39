"""Large imports prepare their rows in a reader process: the result must be the one-process result."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from clientela.imports import pipeline, prepare
from clientela.imports.models import ImportJob, RowError, Status
from clientela.imports.party_bulk import Item
from clientela.imports.prepare import Prepared, pack, parallel_allowed, unpack
from clientela.imports.readers import Row
from clientela.parties.choices import ContactKind, PartyKind
from clientela.parties.models import ContactPoint, Party, SourceLink
from clientela.parties.search import PARTY_INDEX

HEADER = "Código cliente;Nombre;Apellidos;NIF;Correo electrónico;Teléfono\n"


def customers(rows: int, bad_every: int = 0) -> str:
    lines = [HEADER]
    for i in range(rows):
        email = "no-es-correo" if bad_every and i % bad_every == 7 else f"cliente{i}@ejemplo.es"
        lines.append(f"C-{i:05d};Ana;Ruiz Gil;;{email};6{i:08d}\n")
    return "".join(lines)


def run(path: Path, source: str) -> str:
    out = StringIO()
    call_command("import", str(path), "--source", source, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def reader_used(monkeypatch):
    """Every import of the test prepares in a reader process; the list records that it did."""
    used: list[bool] = []
    real = prepare._from_reader

    def spy(*args, **kwargs):
        used.append(True)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(prepare, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(prepare, "_from_reader", spy)
    return used


@pytest.mark.django_db(transaction=True)
def test_a_reader_process_gives_the_same_customers_errors_and_index_as_one_process(tmp_path, reader_used):
    path = tmp_path / "clientes.csv"
    path.write_bytes(customers(1_203, bad_every=100).encode("cp1252"))  # three chunks and a bit
    out = run(path, "Contabilidad")
    assert reader_used == [True]
    job = ImportJob.objects.get()
    assert (job.status, job.created, job.failed, job.cursor) == (Status.DONE, 1_191, 12, 1_203)
    assert "1,191" in out  # the summary (in whichever language the test runs)
    # errors found in the reader arrive with their line, column and value, once per bad row
    errors = list(RowError.objects.filter(job=job).order_by("row_index"))
    assert [e.line for e in errors] == [i + 2 for i in range(7, 1_203, 100)]
    assert {(e.column, e.value) for e in errors} == {("Correo electrónico", "no-es-correo")}
    assert Party.objects.count() == 1_191 and SourceLink.objects.count() == 1_191
    last = Party.objects.get(source_links__external_id="C-01202")
    assert sorted(ContactPoint.objects.filter(party=last).values_list("kind", "normalized")) == [
        (ContactKind.EMAIL, "cliente1202@ejemplo.es"),
        (ContactKind.MOBILE, "+34600001202"),
    ]
    assert [h.id for h in PARTY_INDEX.search("cliente1202@ejemplo.es")] == [last.pk]
    # a second run of the same file changes nothing, through the reader as well
    run(path, "Contabilidad")
    assert ImportJob.objects.order_by("-id").first().unchanged == 1_191
    assert Party.objects.count() == 1_191


@pytest.mark.django_db(transaction=True)
def test_a_file_problem_found_by_the_reader_fails_the_job_with_its_message(
    tmp_path, reader_used, settings, monkeypatch
):
    monkeypatch.setattr(pipeline, "CHUNK", 500)
    settings.CLIENTELA_IMPORT_LIMITS = {"max_rows": 700}
    path = tmp_path / "clientes.csv"
    path.write_bytes(customers(900).encode("cp1252"))
    with pytest.raises(CommandError) as failure:
        run(path, "Contabilidad")
    assert reader_used == [True]
    job = ImportJob.objects.get()
    assert job.status == Status.FAILED and "700" in job.message and "700" in str(failure.value)
    # the chunk before the limit committed; nothing after it was half-written
    assert job.cursor == 500 and Party.objects.count() == 500


def test_inside_a_transaction_and_for_small_files_rows_are_prepared_in_process(db):
    with transaction.atomic():
        assert not parallel_allowed(10_000_000)  # a new connection would not see this transaction
    assert not parallel_allowed(100)


def test_packing_keeps_models_their_state_and_choice_values():
    party = Party(kind=PartyKind.ORGANISATION, legal_name="Talleres Pérez SL")
    point = ContactPoint(kind=ContactKind.EMAIL, value="info@talleres.es", normalized="info@talleres.es")
    point.party = party
    saved = Party(pk=41, kind=PartyKind.PERSON, given_names="Ana")
    saved._state.adding, saved._state.db = False, "default"
    row = Row(index=3, line=5, values={"Nombre": "Ana"})
    chunk = Prepared(
        last_index=3, items=[Item(row=row, draft=(point, saved), external_id="C-1", digest="d", raw={})]
    )
    back = unpack(pack(chunk))
    point2, saved2 = back.items[0].draft
    assert type(point2.kind) is str and point2.kind == "email"
    assert point2.party.legal_name == "Talleres Pérez SL" and point2.party._state.adding
    assert (saved2.pk, saved2._state.adding, saved2._state.db) == (41, False, "default")
    assert back.items[0].row == row and back.last_index == 3


def test_the_reader_process_can_be_switched_off(settings):
    settings.CLIENTELA_IMPORT_PARALLEL = True
    assert parallel_allowed(1_000_000)  # outside any transaction, on Linux
    settings.CLIENTELA_IMPORT_PARALLEL = False
    assert not parallel_allowed(1_000_000)
