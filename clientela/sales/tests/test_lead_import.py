"""Lead imports: Spanish cp1252 CSV, XLSX, row errors beside created rows, dry run, duplicates, the
``import_leads`` command and the upload page."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.imports.mapping import MappingError
from clientela.imports.suggest import suggest_mapping
from clientela.sales.choices import LeadOrigin
from clientela.sales.lead_import import LeadImportError, leads_import
from clientela.sales.leads import lead_create
from clientela.sales.models import Lead
from clientela.testing.factories import UserFactory, actor_for

pytestmark = pytest.mark.django_db

SPANISH_CSV = (
    "Nombre;Apellidos;Correo electrónico;Teléfono;Empresa;Cargo;Campaña;Interés;País;Comercial\r\n"
    "José;Núñez Peña;jose@ejemplo.es;612 345 678;Cañas S.L.;Director;Feria2026;Tractores;;admin\r\n"
    "Begoña;Ibáñez;no-es-un-correo;;;;Feria2026;;;\r\n"
    ";;;;;;Feria2026;;;\r\n"
    "Íñigo;Aróstegui;inigo@ejemplo.es;;;;;;MX;nadie\r\n"
    "Ana;Ruiz;ana@ejemplo.es;+34 699 111 222;;;;;;\r\n"
)


def _csv(tmp_path, text: str = SPANISH_CSV, name: str = "feria.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("cp1252"))
    return path


def _xlsx(tmp_path, rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / "leads.xlsx"
    book.save(path)
    return path


def test_spanish_headers_are_recognised_for_leads():
    headers = ["Nombre", "Apellidos", "Correo electrónico", "Teléfono", "Empresa", "Cargo", "Campaña"]
    headers += ["Interés", "Nombre completo", "First name", "Job title", "Fuente"]
    assert suggest_mapping(headers, "leads") == {
        "Nombre": "given_names",
        "Apellidos": "family_names",
        "Correo electrónico": "email",
        "Teléfono": "phone",
        "Empresa": "company",
        "Cargo": "job_title",
        "Campaña": "utm_campaign",
        "Interés": "interest",
        "Nombre completo": "full_name",
        "First name": None,  # given_names is taken by "Nombre"
        "Job title": None,
        "Fuente": "utm_source",
    }


def test_cp1252_semicolon_csv_creates_good_rows_and_reports_bad_ones(tmp_path, admin_user):
    result = leads_import(actor=actor_for(admin_user), path=_csv(tmp_path), default_country="ES")
    assert (result.read, result.created, result.duplicates, result.errors) == (5, 2, 0, 3)
    jose = Lead.objects.get(email="jose@ejemplo.es")
    assert (jose.given_names, jose.family_names, jose.company, jose.job_title) == (
        "José",
        "Núñez Peña",
        "Cañas S.L.",
        "Director",
    )
    assert (jose.utm_campaign, jose.interest, jose.country, jose.phone) == (
        "Feria2026",
        "Tractores",
        "ES",
        "+34612345678",
    )
    assert jose.origin == LeadOrigin.IMPORT and jose.owner == admin_user
    assert jose.raw["Correo electrónico"] == "jose@ejemplo.es" and jose.raw["Empresa"] == "Cañas S.L."
    assert Lead.objects.get(email="ana@ejemplo.es").phone == "+34699111222"
    errors = {(e.line, e.field) for e in result.row_errors}
    assert errors == {(3, "email"), (4, ""), (5, "owner")}
    email_error = next(e for e in result.row_errors if e.line == 3)
    assert email_error.column == "Correo electrónico" and email_error.value == "no-es-un-correo"
    assert not Lead.objects.filter(given_names__in=["Begoña", "Íñigo"]).exists()


def test_xlsx_with_full_name_and_numeric_phone(tmp_path, admin_user):
    path = _xlsx(
        tmp_path,
        [
            ["Full name", "Email", "Phone", "Company", "Campaign", "Owner"],
            [
                "María del Carmen López García",
                "mcarmen@ejemplo.es",
                612345678,
                "Olivar SA",
                "expo",
                "manager",
            ],
            ["Pedro Gil", "pedro@ejemplo.es", None, None, "expo", None],
        ],
    )
    manager = UserFactory(username="manager")
    result = leads_import(actor=actor_for(admin_user), path=path, default_country="ES")
    assert (result.read, result.created, result.errors) == (2, 2, 0), result.row_errors
    carmen = Lead.objects.get(email="mcarmen@ejemplo.es")
    assert (carmen.given_names, carmen.family_names) == ("María del Carmen", "López García")
    assert carmen.phone == "+34612345678" and carmen.owner == manager and carmen.utm_campaign == "expo"


def test_dry_run_checks_everything_and_writes_nothing(tmp_path, admin_user):
    before = (Lead.objects.count(), ObjectChange.objects.count())
    result = leads_import(
        actor=actor_for(admin_user), path=_csv(tmp_path), dry_run=True, default_country="ES"
    )
    assert result.dry_run and (result.read, result.created, result.errors) == (5, 2, 3)
    assert (Lead.objects.count(), ObjectChange.objects.count()) == before


def test_duplicates_of_existing_leads_and_within_the_file_are_skipped(tmp_path, admin_user):
    lead_create(actor=actor_for(admin_user), data={"email": "Jose@Ejemplo.es", "given_names": "Ya"})
    lead_create(actor=actor_for(admin_user), data={"phone": "611 000 111", "country": "ES"})
    text = (
        "Email,Nombre,Teléfono\n"
        "jose@ejemplo.es,José,\n"  # same email, other case
        ",Sin correo,+34 611 000 111\n"  # no email: same phone
        "nueva@ejemplo.es,Nueva,\n"
        "nueva@ejemplo.es,Nueva otra vez,\n"  # repeated inside the file
        "otra@ejemplo.es,Otra,611 000 111\n"  # has an email: the phone does not make it a duplicate
    )
    path = tmp_path / "dups.csv"
    path.write_text(text, encoding="utf-8")
    result = leads_import(actor=actor_for(admin_user), path=path, default_country="ES")
    assert (result.read, result.created, result.duplicates, result.errors) == (5, 2, 3, 0)
    assert Lead.objects.filter(email="nueva@ejemplo.es").count() == 1
    assert Lead.objects.filter(email="otra@ejemplo.es").exists()


def test_mapping_and_permission_and_unusable_files(tmp_path, admin_user, users):
    path = _csv(tmp_path)
    mapping = '{"columns": {"Correo electrónico": "email", "Empresa": "company", "Nombre": ""}}'
    result = leads_import(actor=actor_for(admin_user), path=path, mapping=mapping)
    assert result.columns == {"Correo electrónico": "email", "Empresa": "company"}
    assert Lead.objects.get(email="jose@ejemplo.es").given_names == ""
    with pytest.raises(MappingError):
        leads_import(actor=actor_for(admin_user), path=path, mapping='{"columns": {"Nombre": "nombre"}}')
    with pytest.raises(LeadImportError):
        leads_import(actor=actor_for(admin_user), path=path, mapping='{"columns": {"Cargo": "job_title"}}')
    with pytest.raises(NotPermitted):
        leads_import(actor=actor_for(users["sales_rep"]), path=path)


def test_command_imports_and_writes_the_error_report(tmp_path, admin_user):
    path = _csv(tmp_path)
    out = io.StringIO()
    call_command("import_leads", str(path), "--country", "ES", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "5 rows read; 2 leads created, 0 duplicates skipped, 3 rows with errors" in text
    report = tmp_path / "feria.errors.csv"
    assert str(report) in text
    rows = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["line", "field"] and {r[0] for r in rows[1:]} == {"3", "4", "5"}
    # the command acts as no user: the owner column names who gets each lead
    assert Lead.objects.get(email="jose@ejemplo.es").owner == admin_user
    assert Lead.objects.get(email="ana@ejemplo.es").owner is None
    # run again: the two leads are now duplicates; a clean file leaves no stale report behind
    path.write_bytes("Email\r\njose@ejemplo.es\r\n".encode("cp1252"))
    out = io.StringIO()
    call_command("import_leads", str(path), stdout=out, stderr=io.StringIO())
    assert "1 rows read; 0 leads created, 1 duplicates skipped, 0 rows with errors" in out.getvalue()
    assert not report.exists()


def test_command_dry_run_and_bad_input(tmp_path):
    path = _csv(tmp_path)
    out = io.StringIO()
    call_command("import_leads", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Nothing was written" in out.getvalue() and not Lead.objects.exists()
    with pytest.raises(CommandError, match="There is no file"):
        call_command(
            "import_leads", str(tmp_path / "missing.csv"), stdout=io.StringIO(), stderr=io.StringIO()
        )
    bad = tmp_path / "bad.json"
    bad.write_text('{"columns": {"Nombre": "nombre"}}')
    with pytest.raises(CommandError, match="The mapping is not valid"):
        call_command(
            "import_leads", str(path), "--mapping", str(bad), stdout=io.StringIO(), stderr=io.StringIO()
        )
    pdf = tmp_path / "leads.csv"
    pdf.write_bytes(b"%PDF-1.4 binary")
    with pytest.raises(CommandError):
        call_command("import_leads", str(pdf), stdout=io.StringIO(), stderr=io.StringIO())


def test_cli_missing_file_exits_1_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "clientela.cli", "import-leads", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "There is no file" in done.stderr and "Traceback" not in done.stderr


def test_page_runs_a_dry_run_then_the_import(tmp_path, admin_user, client_for):
    client = client_for(admin_user)
    page = client.get("/sales/leads/import/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    assert "/sales/leads/import/" in client.get("/sales/leads/").content.decode()
    data = SPANISH_CSV.encode("cp1252")
    response = client.post(
        "/sales/leads/import/",
        {"file": SimpleUploadedFile("feria.csv", data), "dry_run": "on", "country": "ES"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-count="created">2<' in html and not Lead.objects.exists()
    assert "no-es-un-correo" in html and 'data-count="errors">3<' in html
    response = client.post(
        "/sales/leads/import/", {"file": SimpleUploadedFile("feria.csv", data), "country": "ES"}
    )
    assert 'data-count="created">2<' in response.content.decode()
    assert Lead.objects.filter(origin=LeadOrigin.IMPORT).count() == 2


def test_page_shows_file_and_mapping_problems_as_form_errors(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post("/sales/leads/import/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")})
    assert response.status_code == 422 and "Unsupported file type" in response.content.decode()
    response = client.post(
        "/sales/leads/import/",
        {
            "file": SimpleUploadedFile("a.csv", b"Email\na@b.es\n"),
            "mapping": SimpleUploadedFile("m.json", b"{not json"),
        },
    )
    assert response.status_code == 422 and "not valid JSON" in response.content.decode()
    assert not Lead.objects.exists()
