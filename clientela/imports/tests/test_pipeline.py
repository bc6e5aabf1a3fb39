"""The import pipeline end to end through ``clientela import``: create, re-import, match, modes, undo."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clientela.core.models import SourceSystem
from clientela.imports.jobs import job_create
from clientela.imports.models import Effect, FieldProvenance, ImportJob, RowError, SourceRecord, Status
from clientela.imports.pipeline import Progress, job_run
from clientela.imports.undo import UndoRefused, import_undo
from clientela.interactions.models import Interaction
from clientela.parties.models import ContactPoint, Party, SourceLink
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db

FINANCE = (
    "Código cliente;Razón social;NIF/CIF;Correo electrónico;Teléfono;Población;C.P.\n"
    "C-001;TALLERES PÉREZ SL;B12345674;info@talleres.es;912 345 678;Madrid;28001\n"
    "C-002;GARCÍA LÓPEZ, JOSÉ;12345678Z;jose@ejemplo.es;612345678;Cádiz;11001\n"
    "C-003;;;correo-malo;;Sevilla;41001\n"
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def live_parties() -> list[Party]:
    return list(Party.objects.order_by("pk"))


def test_spanish_customer_master_lands_with_links_contacts_and_provenance(tmp_path):
    path = write(tmp_path, "clientes.csv", FINANCE, "cp1252")
    out = run(str(path), "--source", "Contabilidad", "--source-kind", "finance")
    assert "2 created" in out and "1 with errors" in out
    taller, jose = live_parties()
    assert (taller.kind, taller.display_name, taller.tax_id) == (
        "organisation",
        "Talleres Pérez SL",
        "B12345674",
    )
    assert (jose.kind, jose.given_names, jose.family_name_1, jose.family_name_2) == (
        "person", "José", "García", "López",
    )  # fmt: skip
    assert sorted(ContactPoint.objects.filter(party=jose).values_list("kind", "normalized")) == [
        ("address", ContactPoint.objects.get(party=jose, kind="address").normalized),
        ("email", "jose@ejemplo.es"),
        ("mobile", "+34612345678"),
    ]
    assert ContactPoint.objects.get(party=taller, kind="landline").source == "contabilidad"
    source = SourceSystem.objects.get(slug="contabilidad")
    assert source.kind == "finance"
    assert set(SourceLink.objects.values_list("external_id", "party_id")) == {
        ("C-001", taller.pk),
        ("C-002", jose.pk),
    }
    assert FieldProvenance.objects.filter(party=jose, field="tax_id", source=source).exists()
    error_lines = set(RowError.objects.values_list("line", "column"))
    assert (4, "Correo electrónico") in error_lines and (4, "Razón social") in error_lines
    bad = RowError.objects.get(column="Correo electrónico")
    assert bad.value == "correo-malo"


def test_reimport_is_unchanged_and_a_newer_export_updates_only_this_sources_fields(tmp_path, admin_user):
    path = write(tmp_path, "clientes.csv", FINANCE, "cp1252")
    run(str(path), "--source", "Contabilidad")
    out = run(str(path), "--source", "Contabilidad")
    assert "0 created" in out and "2 unchanged" in out
    assert Party.objects.count() == 2
    jose = Party.objects.get(tax_id="12345678Z")
    # someone corrects the birth date by hand; a newer export changes the email and the tax id stays
    from clientela.parties.services import party_update

    party_update(actor=actor_for(admin_user), party=jose, data={"notes": "cliente VIP"})
    newer = FINANCE.replace("jose@ejemplo.es", "jose@nuevo.es").replace(
        "TALLERES PÉREZ SL", "TALLERES PÉREZ E HIJOS SL"
    )
    path2 = write(tmp_path, "clientes2.csv", newer, "cp1252")
    out = run(str(path2), "--source", "Contabilidad")
    assert "2 updated" in out, out
    assert Party.objects.count() == 2
    jose.refresh_from_db()
    assert jose.notes == "cliente VIP"
    assert ContactPoint.objects.filter(party=jose, kind="email", normalized="jose@nuevo.es").exists()
    assert Party.objects.get(tax_id="B12345674").legal_name == "Talleres Pérez e Hijos SL"


def test_another_source_matches_existing_customers_and_never_overwrites(tmp_path):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    shop = "id,first_name,last_name,email,mobile\nS-9,Pepe,Garcia,JOSE@EJEMPLO.ES,\nS-10,Ana,Ruiz,ana@ruiz.es,+34 699 111 222\n"
    out = run(str(write(tmp_path, "shop.csv", shop)), "--source", "Tienda")
    assert "1 created" in out and "1 matched" in out
    jose = Party.objects.get(tax_id="12345678Z")
    assert jose.given_names == "José"  # the finance name stays
    assert SourceLink.objects.get(source__slug="tienda", external_id="S-9").party_id == jose.pk
    assert Party.objects.count() == 3


def test_atomic_mode_writes_nothing_when_a_row_is_bad(tmp_path):
    path = write(tmp_path, "clientes.csv", FINANCE, "cp1252")
    with pytest.raises(SystemExit) as exit_info:
        run(str(path), "--source", "Contabilidad", "--mode", "atomic")
    assert exit_info.value.code == 1
    assert Party.objects.count() == 0 and SourceLink.objects.count() == 0
    job = ImportJob.objects.get()
    assert job.status == Status.FAILED and job.failed == 1
    assert RowError.objects.filter(job=job, line=4).exists()
    good = FINANCE.rsplit("C-003", 1)[0]
    out = run(
        str(write(tmp_path, "good.csv", good, "cp1252")), "--source", "Contabilidad", "--mode", "atomic"
    )
    assert "2 created" in out and Party.objects.count() == 2


def test_dry_run_counts_and_writes_nothing(tmp_path):
    out = run(str(write(tmp_path, "c.csv", FINANCE, "cp1252")), "--source", "Contabilidad", "--dry-run")
    assert "Dry run" in out and "2 created" in out and "1 with errors" in out
    assert Party.objects.count() == 0 and SourceRecord.objects.count() == 0 and Effect.objects.count() == 0
    assert RowError.objects.count() == 2  # the report of the dry run is kept


def test_undo_removes_what_the_import_created_and_restores_what_it_changed(tmp_path, admin_user):
    existing = make_person(admin_user, given_names="Ana", family_name_1="Ruiz",
                           contact_points=[{"kind": "email", "value": "ana@ruiz.es"}])  # fmt: skip
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    shop = (
        "id,first_name,last_name,email,mobile,tax_id\nS-10,Ana,Ruiz,ana@ruiz.es,+34 699 111 222,00000000T\n"
    )
    run(str(write(tmp_path, "shop.csv", shop)), "--source", "Tienda")
    existing.refresh_from_db()
    assert existing.tax_id == "00000000T"  # an empty field is filled by the matching source
    job = ImportJob.objects.get(source__slug="tienda")
    counts = import_undo(actor=actor_for(admin_user), job=job)
    assert counts["restored"] == 1
    existing.refresh_from_db()
    assert existing.tax_id == "" and existing.deleted_at is None
    assert not SourceLink.objects.filter(source__slug="tienda").exists()
    assert not ContactPoint.objects.filter(party=existing, kind="mobile", deleted_at__isnull=True).exists()
    finance = ImportJob.objects.get(source__slug="contabilidad")
    import_undo(actor=actor_for(admin_user), job=finance)
    assert Party.objects.filter(pk=existing.pk).exists() and Party.objects.count() == 1
    assert Party.all_objects.filter(tax_id="12345678Z", deleted_at__isnull=False).exists()
    with pytest.raises(UndoRefused):
        import_undo(actor=actor_for(admin_user), job=finance)


INVOICES = (
    "Nº factura;Documento;Fecha;Código cliente;Total;Estado\n"
    "F-1;F-1;15/03/2025;C-001;1.234,56;Pagada\n"
    "F-2;F-2;16/03/2025;C-002;99,90;Vencida\n"
    "F-3;F-3;31/02/2025;C-002;10;Pagada\n"
    "F-4;F-4;01/04/2025;C-999;5,00;Pendiente\n"
)
INVOICE_MAPPING = {
    "columns": {"Nº factura": "external_id", "Documento": "document_number", "Fecha": "occurred_at",
                "Código cliente": "party_external_id", "Total": "amount", "Estado": "status"},
    "options": {"delimiter": ";", "encoding": "cp1252", "decimal": ",", "date_format": "%d/%m/%Y",
                "kind": "invoice", "default_currency": "EUR", "timezone": "Europe/Madrid"},
}  # fmt: skip


def test_records_attach_to_customers_through_the_sources_ids_and_reimport_corrects(tmp_path, admin_user):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    mapping = tmp_path / "facturas.json"
    mapping.write_text(json.dumps(INVOICE_MAPPING), encoding="utf-8")
    path = write(tmp_path, "facturas.csv", INVOICES, "cp1252")
    out = run(str(path), "--source", "Contabilidad", "--entity", "interactions", "--mapping", str(mapping))
    assert "2 created" in out and "2 with errors" in out
    f1 = Interaction.objects.get(external_id="F-1")
    assert (f1.kind, f1.party.tax_id, str(f1.amount), f1.currency, f1.status) == (
        "invoice", "B12345674", "1234.56", "EUR", "paid",
    )  # fmt: skip
    assert f1.occurred_at.isoformat() == "2025-03-14T23:00:00+00:00"
    job = ImportJob.objects.get(entity="interactions")
    messages = dict(RowError.objects.filter(job=job).values_list("line", "column"))
    assert messages[4] == "Fecha" and messages[5] == "Código cliente"
    assert "2 unchanged" in run(
        str(path), "--source", "Contabilidad", "--entity", "interactions", "--mapping", str(mapping)
    )
    corrected = write(tmp_path, "facturas2.csv", INVOICES.replace("99,90", "109,90"), "cp1252")
    out = run(
        str(corrected), "--source", "Contabilidad", "--entity", "interactions", "--mapping", str(mapping)
    )
    assert "1 updated" in out and "1 unchanged" in out
    current = Interaction.objects.get(external_id="F-2", is_current=True)
    assert str(current.amount) == "109.90" and current.supersedes.amount == current.supersedes.amount
    assert Interaction.objects.filter(external_id="F-2").count() == 2
    import_undo(actor=actor_for(admin_user), job=ImportJob.objects.order_by("-id").first())
    assert str(Interaction.objects.get(external_id="F-2", is_current=True).amount) == "99.90"


def test_support_records_find_customers_by_email_or_phone(tmp_path):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    lines = [
        {"id": "T-1", "type": "queja", "created": "2025-11-03T10:15:00+01:00", "customer_email": "JOSE@ejemplo.es",
         "subject": "Retraso", "description": "El pedido llegó tarde"},
        {"id": "T-2", "type": "call", "created": "2025-11-04T09:00:00+01:00", "customer_phone": "+34 91 234 56 78",
         "description": "Pide presupuesto", "duration": "3:05", "outcome": "contestada"},
        {"id": "T-3", "type": "suggestion", "created": "2025-11-05", "customer_email": "nadie@nada.es", "subject": "x"},
        {"id": "T-4", "type": "llamada", "created": "2025-11-06T09:00:00+01:00", "customer_email": "jose@ejemplo.es",
         "duration": "mucho rato", "channel": "teléfono"},
        {"id": "T-5", "type": "sugerencia", "created": "2025-11-07T09:00:00+01:00", "customer_email": "jose@ejemplo.es",
         "subject": "Abrir los sábados", "channel": "Tienda"},
        {"id": "T-6", "type": "nota", "created": "2025-11-07T09:00:00+01:00", "customer_email": "jose@ejemplo.es",
         "subject": "x", "channel": "paloma mensajera"},
    ]  # fmt: skip
    path = write(
        tmp_path, "tickets.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    )
    mapping = tmp_path / "tickets.json"
    mapping.write_text(json.dumps({"columns": {"id": "external_id", "type": "kind", "created": "occurred_at",
        "customer_email": "party_email", "customer_phone": "party_phone", "subject": "subject",
        "description": "text", "duration": "duration_seconds", "outcome": "outcome", "channel": "channel"}}),
        encoding="utf-8")  # fmt: skip
    out = run(str(path), "--source", "Soporte", "--entity", "interactions", "--mapping", str(mapping))
    assert "3 created" in out and "3 with errors" in out
    errors = {e.line: (e.column, e.value) for e in RowError.objects.filter(job__source__slug="soporte")}
    assert errors[3] == ("customer_email", "nadie@nada.es")  # the column the row named its customer by
    assert errors[4] == ("duration", "mucho rato") and errors[6] == ("channel", "paloma mensajera")
    assert Interaction.objects.get(external_id="T-5").channel == "store"
    complaint = Interaction.objects.get(external_id="T-1")
    assert complaint.kind == "complaint" and complaint.party.tax_id == "12345678Z"
    call = Interaction.objects.get(external_id="T-2")
    assert call.party.tax_id == "B12345674"
    assert call.payload["duration_seconds"] == 185 and call.payload["outcome"] == "answered"


def test_a_job_stopped_midway_resumes_after_its_last_commit(tmp_path, monkeypatch):
    from clientela.imports import jobs, pipeline

    monkeypatch.setattr(pipeline, "CHUNK", 10)
    rows = ["id,first_name,last_name,email"] + [f"P{i},Ana{i},Ruiz,ana{i}@x.es" for i in range(35)]
    path = write(tmp_path, "p.csv", "\n".join(rows) + "\n")
    source = jobs.source_for("Web")
    actor = actor_for(None)
    job = job_create(actor=actor, path=path, source=source, entity="parties")

    class Crash(BaseException):  # like a KeyboardInterrupt: not an error of the import itself
        pass

    def crash(progress: Progress) -> None:
        if progress.done >= 20:
            raise Crash

    with pytest.raises(Crash):
        job_run(job=job, actor=actor, progress=crash)
    job.refresh_from_db()
    assert (job.status, job.cursor, Party.objects.count()) == (Status.RUNNING, 20, 20)
    again = job_create(actor=actor, path=path, source=source, entity="parties")
    assert again.pk == job.pk  # the same file from the same source resumes its unfinished job
    job_run(job=again, actor=actor)
    again.refresh_from_db()
    assert again.status == Status.DONE and again.cursor == 35 and again.created == 35
    assert Party.objects.count() == 35 and SourceLink.objects.count() == 35


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty"),
        ("bin.csv", "\x89PNG\r\n\x1a\n....", "PNG"),
        ("x.pdf", "%PDF-1.4", "file type"),
    ],
)
def test_unreadable_files_fail_with_a_clear_message(tmp_path, name, content, message):
    path = write(tmp_path, name, content, "latin-1")
    with pytest.raises(CommandError) as err:
        run(str(path), "--source", "Web")
    assert message.lower() in str(err.value).lower()
    assert Party.objects.count() == 0


def test_a_bad_mapping_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "c.csv", FINANCE, "cp1252")
    mapping = write(tmp_path, "m.json", '{"columns": {"NIF/CIF": "nif"}, "options": {"delimiter": "x"}}')
    with pytest.raises(CommandError) as err:
        run(str(path), "--source", "Web", "--mapping", str(mapping))
    text = str(err.value)
    assert "nif" in text and "delimiter" in text
    with pytest.raises(CommandError):
        run(str(tmp_path / "missing.csv"), "--source", "Web")


def test_a_source_is_found_by_code_or_name_whatever_the_case(db):
    from clientela.imports.jobs import source_for

    erp = SourceSystem.objects.create(slug="erp", name="SAP Business One", kind="erp")
    assert source_for("ERP") == erp and source_for("erp") == erp and source_for("sap business one") == erp
    new = source_for("Tienda  online", "sales")
    assert (new.slug, new.name, new.kind) == ("tienda-online", "Tienda online", "sales")
    assert source_for("TIENDA ONLINE") == new
    assert SourceSystem.objects.filter(slug__in=["erp", "tienda-online"]).count() == 2


def test_customer_page_shows_where_each_imported_value_came_from(tmp_path, admin_user, client_for, users):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    shop = "id,first_name,last_name,email\nS-9,Pepe,Garcia,jose@ejemplo.es\n"
    run(str(write(tmp_path, "shop.csv", shop)), "--source", "Tienda")
    jose = Party.objects.get(tax_id="12345678Z")
    client = client_for(admin_user)
    page = client.get(f"/customers/{jose.pk}/").content.decode()
    assert f"/imports/customers/{jose.pk}/sources/" in page
    body = client.get(f"/imports/customers/{jose.pk}/sources/").content.decode()
    assert "Contabilidad" in body and "Tienda" in body
    assert "<code>C-002</code>" in body and "<code>S-9</code>" in body
    assert "Tax id" in body and "/imports/" in body  # the field, and a link to the import that set it
    untouched = make_person(admin_user, given_names="Nadie")
    assert (
        "entered in Clientela" in client.get(f"/imports/customers/{untouched.pk}/sources/").content.decode()
    )


def test_a_value_corrected_by_hand_is_not_overwritten_by_the_next_import(tmp_path, admin_user):
    from clientela.parties.services import party_update

    run(str(write(tmp_path, "c.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    taller = Party.objects.get(tax_id="B12345674")
    party_update(actor=actor_for(admin_user), party=taller, data={"legal_name": "Talleres Pérez Hermanos SL"})
    newer = FINANCE.replace("TALLERES PÉREZ SL", "TALLERES PÉREZ E HIJOS SL").replace(
        "GARCÍA LÓPEZ, JOSÉ", "GARCÍA LÓPEZ, JOSEP"
    )
    run(str(write(tmp_path, "c2.csv", newer, "cp1252")), "--source", "Contabilidad")
    taller.refresh_from_db()
    assert taller.legal_name == "Talleres Pérez Hermanos SL"  # the person's correction stands
    assert (
        Party.objects.get(tax_id="12345678Z").given_names == "Josep"
    )  # untouched fields still follow the source


def test_an_unexpected_error_fails_the_job_with_a_message_not_a_traceback(tmp_path, monkeypatch):
    from clientela.imports import party_bulk

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(party_bulk, "existing_matches", broken)
    with pytest.raises(CommandError) as err:
        run(str(write(tmp_path, "c.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    assert "internal error" in str(err.value) and "disk on fire" not in str(err.value)
    job = ImportJob.objects.get()
    assert job.status == Status.FAILED and "internal error" in job.message
    assert Party.objects.count() == 0


def test_values_too_long_for_their_field_are_row_errors(tmp_path):
    rows = FINANCE.replace("28001", "2" * 30).replace("Cádiz", "C" * 150)
    out = run(str(write(tmp_path, "c.csv", rows, "cp1252")), "--source", "Contabilidad")
    assert "0 created" in out
    errors = {(e.line, e.column) for e in RowError.objects.all()}
    assert (2, "C.P.") in errors and (3, "Población") in errors
    assert "at most" in RowError.objects.filter(column="C.P.").first().message


def test_a_mapping_saved_for_a_source_is_used_for_its_next_files(tmp_path):
    mapping = tmp_path / "facturas.json"
    mapping.write_text(json.dumps(INVOICE_MAPPING), encoding="utf-8")
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    with pytest.raises(CommandError):
        run(str(write(tmp_path, "f0.csv", INVOICES, "cp1252")), "--source", "Contabilidad", "--save-mapping")
    out = run(str(write(tmp_path, "f1.csv", INVOICES, "cp1252")), "--source", "Contabilidad", "--entity",
              "interactions", "--mapping", str(mapping), "--save-mapping")  # fmt: skip
    assert "Saved the mapping" in out and "2 created" in out
    assert (
        SourceSystem.objects.get(slug="contabilidad").mapping_templates["interactions"]["options"]["kind"]
        == "invoice"
    )
    # a newer export, no --mapping: the template reads it (the headers alone would not say it is invoices)
    newer = INVOICES.replace("F-2;F-2;16/03/2025;C-002;99,90", "F-5;F-5;16/04/2025;C-002;19,90")
    out = run(
        str(write(tmp_path, "f2.csv", newer, "cp1252")),
        "--source",
        "Contabilidad",
        "--entity",
        "interactions",
    )
    assert "1 created" in out and "1 unchanged" in out
    assert Interaction.objects.get(external_id="F-5").kind == "invoice"


def test_without_an_id_column_the_document_number_identifies_a_record(tmp_path):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    mapping = {**INVOICE_MAPPING, "columns": {**INVOICE_MAPPING["columns"], "Nº factura": ""}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    run(str(write(tmp_path, "f.csv", INVOICES, "cp1252")), "--source", "Contabilidad", "--entity", "interactions",
        "--mapping", str(path))  # fmt: skip
    assert Interaction.objects.filter(external_id="F-1", is_current=True).count() == 1
    corrected = INVOICES.replace("1.234,56", "1.300,00")
    out = run(str(write(tmp_path, "f2.csv", corrected, "cp1252")), "--source", "Contabilidad", "--entity",
              "interactions", "--mapping", str(path))  # fmt: skip
    assert "1 updated" in out
    assert str(Interaction.objects.get(external_id="F-1", is_current=True).amount) == "1300.00"
    assert (
        Interaction.objects.filter(external_id="F-1").count() == 2
    )  # the correction and the version it replaced


def test_undoing_an_update_gives_the_fields_back_to_the_import_that_had_set_them(tmp_path, admin_user):
    run(str(write(tmp_path, "c1.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    first = ImportJob.objects.get()
    renamed = FINANCE.replace("TALLERES PÉREZ SL", "TALLERES PÉREZ E HIJOS SL")
    run(str(write(tmp_path, "c2.csv", renamed, "cp1252")), "--source", "Contabilidad")
    second = ImportJob.objects.exclude(pk=first.pk).get()
    taller = Party.objects.get(tax_id="B12345674")
    assert FieldProvenance.objects.get(party=taller, field="legal_name").job_id == second.pk
    import_undo(actor=actor_for(admin_user), job=second)
    taller.refresh_from_db()
    assert taller.legal_name == "Talleres Pérez SL"
    assert FieldProvenance.objects.get(party=taller, field="legal_name").job_id == first.pk
    # the source still owns the field: its next export updates it as before
    again = FINANCE.replace("TALLERES PÉREZ SL", "TALLERES PÉREZ HERMANOS SL")
    assert "1 updated" in run(str(write(tmp_path, "c3.csv", again, "cp1252")), "--source", "Contabilidad")
    taller.refresh_from_db()
    assert taller.legal_name == "Talleres Pérez Hermanos SL"


def test_the_employee_a_record_names_is_found_by_username_or_email_or_reported(tmp_path, django_user_model):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    marta = django_user_model.objects.create_user("marta", email="marta@empresa.es", password="x")
    lines = [
        {"id": "L-1", "type": "call", "created": "2025-11-04T09:00:00+01:00", "customer_email": "jose@ejemplo.es",
         "agent": "MARTA"},
        {"id": "L-2", "type": "call", "created": "2025-11-05T09:00:00+01:00", "customer_email": "jose@ejemplo.es",
         "agent": "marta@empresa.es"},
        {"id": "L-3", "type": "call", "created": "2025-11-06T09:00:00+01:00", "customer_email": "jose@ejemplo.es",
         "agent": "pedro.desconocido"},
    ]  # fmt: skip
    path = write(tmp_path, "calls.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    mapping = tmp_path / "calls.json"
    mapping.write_text(json.dumps({"columns": {"id": "external_id", "type": "kind", "created": "occurred_at",
        "customer_email": "party_email", "agent": "user"}}), encoding="utf-8")  # fmt: skip
    run(str(path), "--source", "Centralita", "--entity", "interactions", "--mapping", str(mapping))
    assert {i.external_id: i.user_id for i in Interaction.objects.filter(source__slug="centralita")} == {
        "L-1": marta.pk,
        "L-2": marta.pk,
    }
    error = RowError.objects.get(job__source__slug="centralita")
    assert (error.line, error.column, error.value) == (3, "agent", "pedro.desconocido")
    assert "pedro.desconocido" in error.message


def test_an_import_is_undone_from_the_command_line_once(tmp_path):
    run(str(write(tmp_path, "clientes.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    job = ImportJob.objects.get()
    out = StringIO()
    call_command("import_undo", str(job.pk), stdout=out)
    assert out.getvalue().startswith("Import undone:")
    assert Party.objects.count() == 0 and Party.all_objects.count() == 2  # in the recycle bin
    job.refresh_from_db()
    assert job.status == Status.UNDONE
    with pytest.raises(CommandError, match="already undone"):
        call_command("import_undo", str(job.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="no import 999"):
        call_command("import_undo", "999", stdout=StringIO())


def test_a_finished_import_is_announced_once_and_a_dry_run_is_not(
    tmp_path, django_capture_on_commit_callbacks
):
    """Webhook subscribers hear one "import.completed" per file with its counts, never one event per row."""
    from clientela.core.events import register_listener, unregister_listener

    seen: list[tuple[str, dict]] = []

    def listener(event_type, payload):
        if event_type == "import.completed":
            seen.append((event_type, dict(payload)))

    register_listener(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(str(write(tmp_path, "c.csv", FINANCE, "cp1252")), "--source", "Contabilidad", "--dry-run")
        assert seen == []
        with django_capture_on_commit_callbacks(execute=True):
            run(str(write(tmp_path, "c.csv", FINANCE, "cp1252")), "--source", "Contabilidad")
    finally:
        unregister_listener(listener)
    [(_type, payload)] = seen
    assert payload["source"] == SourceSystem.objects.get(name="Contabilidad").slug
    assert payload["entity"] == "parties" and payload["status"] == "done"
    assert payload["created"] == 2 and payload["failed"] == 1 and payload["file"] == "c.csv"


def test_new_customers_search_documents_are_those_read_back_from_the_database(tmp_path, monkeypatch):
    # documents of new customers are built with the drafts (in the reader process for large files)
    from clientela.parties import search

    written: list = []
    original = search.party_index_write
    monkeypatch.setattr(search, "party_index_write", lambda docs: (written.extend(docs), original(docs)))
    path = write(tmp_path, "clientes.csv", (
        "id;name;tax;email;email_2;phone;mobile;city;street\n"
        "C-1;TALLERES PÉREZ SL;B12345674;info@talleres.es;INFO@talleres.es;912 345 678;;Madrid;Gran Vía 1\n"
        "C-2;GARCÍA LÓPEZ, JOSÉ;12345678Z;jose@ejemplo.es;pepe@ejemplo.es;612345678;+34 622 000 111;;\n"
        ";Ana Ruiz;;;;;0034 633 444 555;Cádiz;\n"
    ))  # fmt: skip
    mapping = write(tmp_path, "m.json", json.dumps({"columns": {
        "id": "external_id", "name": "full_name", "tax": "tax_id", "email": "email", "email_2": "email_2",
        "phone": "phone", "mobile": "mobile", "city": "city", "street": "street"}}))  # fmt: skip
    out = run(str(path), "--source", "ERP", "--mapping", str(mapping))
    assert "3 created" in out
    ids = [p.pk for p in live_parties()]

    def fields(doc):  # the card is a JSON object: the order of its keys follows the contacts' reading order
        return (doc.id, doc.name, doc.contact, doc.ids, json.loads(doc.card))

    assert sorted(map(fields, written)) == [fields(d) for d in search.party_documents(ids)]
    assert all(d.contact for d in written)
    # so are the values the change log recorded for them (also worked out with the drafts)
    from clientela.core.changes import field_values
    from clientela.core.models import ObjectChange
    from clientela.imports.party_rows import CONTACT_LOGGED, SETTABLE

    logged = {(c.object_type.model, c.object_id): c.new_value for c in ObjectChange.objects.all()}
    points = list(ContactPoint.objects.all())
    assert len(points) == 9 and len(logged) == 3 + 9
    for cp in points:
        assert logged["contactpoint", cp.pk] == field_values(cp, CONTACT_LOGGED)
    for party in live_parties():
        assert logged["party", party.pk] == field_values(party, ("kind", *SETTABLE, "display_name"))
    # the source records keep each row as a JSON object (the bulk writer hands it over as JSON text)
    raw = SourceRecord.objects.get(external_id="C-1").raw
    assert raw["name"] == "TALLERES PÉREZ SL" and raw["tax"] == "B12345674"
    assert SourceRecord.objects.filter(raw__city="Madrid").count() == 1
