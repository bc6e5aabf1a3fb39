"""Import pages: upload, column mapping with suggestions, dry run, import in the (immediate) worker, the job
page and its live fragment, the error report, undo, permissions, query counts; customer list exports."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from clientela.core.models import SourceSystem
from clientela.imports import selectors
from clientela.imports.jobs import job_create, source_for
from clientela.imports.models import ImportJob, RowError, Status
from clientela.parties.models import Party
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db

CLIENTES = (
    "Razón social;NIF/CIF;Correo electrónico;Teléfono\n"
    "Talleres Pérez SL;B12345674;info@talleres.es;912345678\n"
    ";;correo-malo;\n"
    "Frutas Ruiz SL;;pedidos@frutasruiz.es;\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FORBIDDEN_ROLES = ("sales_rep", "read_only", "manager", "marketing")


@pytest.fixture(autouse=True)
def _storage_and_worker(settings, tmp_path):
    """Uploads under a temporary media root; enqueued tasks run at once (the immediate backend)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def admin(admin_user, client_for):
    return client_for(admin_user)


def upload(client, content: bytes | str = CLIENTES, name: str = "clientes.csv", **fields):
    data = content.encode("utf-8") if isinstance(content, str) else content
    post = {"file": SimpleUploadedFile(name, data), "new_source": "Contabilidad", "source": "",
            "source_kind": "finance", "entity": "parties", "mode": "skip", **fields}  # fmt: skip
    return client.post("/imports/new/", post)


def uploaded_job(client, content: bytes | str = CLIENTES, **fields) -> ImportJob:
    response = upload(client, content, **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    return job


def selected(html: str, name: str) -> str:
    """The value of the selected option of the <select name=...> in ``html`` ("" when none is)."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return option.group(1) if option else ""


def mapping_post(client, job: ImportJob, action: str = "import", **overrides):
    """Submit the mapping page as the browser would: every field with its shown value, plus overrides."""
    html = client.get(f"/imports/{job.pk}/mapping/").content.decode()
    data = dict(re.findall(r'<input type="hidden" name="(hdr_\d+)" value="([^"]*)"', html))
    data = {k: v.replace("&#x27;", "'").replace("&amp;", "&") for k, v in data.items()}
    for name in re.findall(r'<select name="([^"]+)"', html):
        data[name] = selected(html, name)
    for name, value in re.findall(r'<input type="text" name="([^"]+)" value="([^"]*)"', html):
        data[name] = value
    data.update(overrides, action=action)
    return client.post(f"/imports/{job.pk}/mapping/", data)


def test_upload_then_mapping_preselects_suggestions_for_spanish_headers(admin):
    job = uploaded_job(admin)
    assert (job.status, job.mapping, job.dry_run) == (Status.PENDING, {}, False)
    assert job.source.name == "Contabilidad" and job.source.kind == "finance"
    assert Path(job.file_path).read_text() == CLIENTES
    html = admin.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert (selected(html, "col_0"), selected(html, "col_1"), selected(html, "col_2"), selected(html, "col_3")) == (
        "organisation_name", "tax_id", "email", "phone",
    )  # fmt: skip
    assert selected(html, "delimiter") == ";"  # what the reader detected
    assert "Talleres Pérez SL" in html and "info@talleres.es" in html  # first values of each column
    assert '<label for="id_col_1">NIF/CIF</label>' in html


def test_import_runs_in_the_worker_and_lands_the_customers(admin, django_capture_on_commit_callbacks):
    job = uploaded_job(admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = mapping_post(admin, job, "import")
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    # the job is queued once; the finished import announces itself ("import.completed")
    assert [c.__qualname__.split(".")[0] for c in callbacks] == ["enqueue_import", "publish"]
    job.refresh_from_db()
    assert job.status == Status.DONE and job.mapping["columns"]["Razón social"] == "organisation_name"
    assert job.mapping["options"]["delimiter"] == ";"
    assert (job.created, job.failed, job.rows_total) == (2, 1, 3)
    assert sorted(Party.objects.values_list("display_name", flat=True)) == [
        "Frutas Ruiz SL",
        "Talleres Pérez SL",
    ]
    page = admin.get(f"/imports/{job.pk}/").content.decode()
    assert "3 of 3 rows" in page and 'hx-trigger="every 2s"' not in page
    assert "Download errors (CSV)" in page and f"/imports/{job.pk}/undo/" in page
    assert admin.get(f"/imports/{job.pk}/mapping/")["Location"] == f"/imports/{job.pk}/"  # no second import


def test_dry_run_shows_counts_errors_and_preview_and_writes_nothing(admin):
    job = uploaded_job(admin)
    response = mapping_post(admin, job, "dry_run")
    assert response.status_code == 200
    html = response.content.decode()
    dry = ImportJob.objects.get(dry_run=True)
    assert (dry.status, dry.created, dry.failed) == (Status.DONE, 2, 1)
    assert "Dry run result" in html and "Would create" in html
    assert set(RowError.objects.filter(job=dry).values_list("line", flat=True)) == {3}
    assert f"/imports/{dry.pk}/errors.csv" in html
    assert "<code>organisation_name</code></dt><dd>Talleres Pérez SL</dd>" in html  # the preview
    assert Party.objects.count() == 0
    job.refresh_from_db()
    assert selectors.is_draft(job)  # still at the mapping step, with the dry run's choices kept
    assert selected(admin.get(f"/imports/{job.pk}/mapping/").content.decode(), "col_0") == "organisation_name"


def test_large_dry_run_goes_to_the_worker(admin, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(selectors, "SYNC_DRY_RUN_ROWS", 2)
    job = uploaded_job(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = mapping_post(admin, job, "dry_run")
    dry = ImportJob.objects.get(dry_run=True)
    assert response["Location"] == f"/imports/{dry.pk}/"
    dry.refresh_from_db()
    assert (dry.status, dry.created) == (Status.DONE, 2) and Party.objects.count() == 0
    page = admin.get(f"/imports/{dry.pk}/").content.decode()
    assert "Dry run of clientes.csv" in page and f"/imports/{job.pk}/mapping/" in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("clientes.csv", PNG, "This is a PNG file, not a data file."),
        ("clientes.csv", b"", "The submitted file is empty."),
        ("clientes.csv", b"\xef\xbb\xbf\r\n \r\n", "The file is empty."),
        ("clientes.pdf", b"%PDF-1.4", "Unsupported file type."),
    ],
)
def test_unreadable_file_is_a_form_error_and_leaves_nothing(admin, settings, name, content, message):
    response = upload(admin, content, name=name)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "There is a problem" in html and 'href="#id_file"' in html
    assert not ImportJob.objects.exists() and not Party.objects.exists()
    assert not SourceSystem.objects.filter(name="Contabilidad").exists()
    folder = Path(settings.MEDIA_ROOT) / "imports"
    assert not folder.exists() or not any(folder.iterdir())


def test_upload_needs_a_source(admin):
    response = upload(admin, new_source="")
    assert "Choose a source from the list or type the name of a new one." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_mapping_problems_are_shown_and_nothing_starts(admin):
    job = uploaded_job(admin)
    response = mapping_post(admin, job, "import", col_3="email")  # two columns to one field
    html = response.content.decode()
    assert response.status_code == 200 and "is mapped from more than one column" in html
    response = mapping_post(admin, job, "import", col_0="", default_currency="EUX")
    html = response.content.decode()
    assert "is not an ISO 4217 currency code" in html
    response = mapping_post(admin, job, "import", col_0="")
    assert "Map at least one column to a name field" in response.content.decode()
    job.refresh_from_db()
    assert selectors.is_draft(job) and ImportJob.objects.count() == 1 and not Party.objects.exists()


def test_other_reading_options_show_the_new_columns(admin):
    job = uploaded_job(admin)
    response = mapping_post(admin, job, "import", delimiter=",")
    html = response.content.decode()
    assert "With these reading options the file has other columns." in html
    assert 'name="col_1"' not in html  # read with commas the file has a single column
    job.refresh_from_db()
    assert selectors.is_draft(job)


def test_errors_csv_has_the_exact_header_and_one_row_per_error(admin, django_capture_on_commit_callbacks):
    bad = CLIENTES + "=HYPERLINK(1);;otro-malo;\n"
    job = uploaded_job(admin, bad)
    with django_capture_on_commit_callbacks(execute=True):
        mapping_post(admin, job, "import")
    response = admin.get(f"/imports/{job.pk}/errors.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert text.startswith("\ufeffline,column,value,message\r\n")
    errors = list(RowError.objects.filter(job=job).order_by("line", "id"))
    assert len(errors) >= 2 and len(rows) == len(errors) + 1
    assert [int(r[0]) for r in rows[1:]] == [e.line for e in errors]
    assert all(not cell.startswith("=") for row in rows for cell in row)  # neutralised for spreadsheets


def test_undo_removes_created_customers_and_a_second_undo_says_why_not(
    admin, django_capture_on_commit_callbacks
):
    job = uploaded_job(admin)
    with django_capture_on_commit_callbacks(execute=True):
        mapping_post(admin, job, "import")
    assert Party.objects.count() == 2
    confirm = admin.get(f"/imports/{job.pk}/undo/")
    assert confirm.status_code == 200 and "Undo the import of clientes.csv?" in confirm.content.decode()
    response = admin.post(f"/imports/{job.pk}/undo/", follow=True)
    assert "Import undone:" in response.content.decode()
    assert Party.objects.count() == 0
    job.refresh_from_db()
    assert job.status == Status.UNDONE
    again = admin.post(f"/imports/{job.pk}/undo/", follow=True)
    assert again.status_code == 200
    assert "This import was already undone." in again.content.decode()
    assert "Traceback" not in again.content.decode()


def test_progress_fragment_polls_while_running_and_stops_when_done(admin, admin_user, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text(CLIENTES)
    job = job_create(actor=actor_for(admin_user), path=path, source=source_for("ERP"), entity="parties")
    job.mapping = {"columns": {"Razón social": "organisation_name"}}
    job.status, job.rows_total, job.cursor = Status.RUNNING, 3000, 1000
    job.save()
    fragment = admin.get(f"/imports/{job.pk}/progress/?seen=pending").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "1,000 of 3,000 rows" in fragment
    assert 'role="progressbar"' in fragment or "<progress" in fragment
    assert 'id="job-announce" hx-swap-oob="innerHTML">Running' in fragment  # the new status, announced once
    assert "job-announce" not in admin.get(f"/imports/{job.pk}/progress/?seen=running").content.decode()
    job.status, job.cursor = Status.DONE, 3000
    job.save()
    fragment = admin.get(f"/imports/{job.pk}/progress/?seen=running").content.decode()
    assert "hx-trigger" not in fragment and "hx-get" not in fragment and "Finished" in fragment


def test_job_list_newest_first_with_a_constant_number_of_queries(admin, admin_user, users, tmp_path):
    def add_jobs(n: int, start: int) -> None:
        for i in range(start, start + n):
            path = tmp_path / f"f{i}.csv"
            path.write_text(f"Nombre\nCliente {i}\n")
            owner = admin_user if i % 2 else users["support_agent"]
            job_create(
                actor=actor_for(owner), path=path, source=source_for(f"Fuente {i % 3}"), entity="parties"
            )

    add_jobs(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert admin.get("/imports/").status_code == 200
    add_jobs(20, 2)
    with CaptureQueriesContext(connection) as many:
        html = admin.get("/imports/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert html.index("f21.csv") < html.index("f20.csv") < html.index("f0.csv")
    assert "Columns not mapped yet" in html and "Fuente 1" in html


def test_job_list_pages_by_fifty(admin, admin_user, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Nombre\nAna\n")
    source = source_for("ERP")
    ImportJob.objects.bulk_create(
        ImportJob(source=source, entity="parties", file_path=str(path), original_name=f"f{i}.csv", format="csv",
                  status=Status.DONE, created_by=admin_user)
        for i in range(55)
    )  # fmt: skip
    first = admin.get("/imports/").content.decode()
    assert first.count("<tr>") == 50 + 1  # the header row too
    cursor = re.search(r'href="\?cursor=([^"]+)"', first).group(1)
    second = admin.get(f"/imports/?cursor={cursor}").content.decode()
    assert second.count("<tr>") == 5 + 1


@pytest.mark.parametrize("role", FORBIDDEN_ROLES)
def test_users_who_may_not_import_get_403_everywhere(role, users, client_for, admin_user, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text(CLIENTES)
    job = job_create(actor=actor_for(admin_user), path=path, source=source_for("ERP"), entity="parties")
    client = client_for(users[role])
    gets = ["/imports/", "/imports/new/", f"/imports/{job.pk}/", f"/imports/{job.pk}/mapping/",
            f"/imports/{job.pk}/progress/", f"/imports/{job.pk}/errors.csv", f"/imports/{job.pk}/undo/"]  # fmt: skip
    for url in gets:
        assert client.get(url).status_code == 403, url
    posts = {
        "/imports/new/": {"file": SimpleUploadedFile("c.csv", CLIENTES.encode()), "new_source": "X",
                          "entity": "parties", "mode": "skip", "source_kind": "other"},
        f"/imports/{job.pk}/mapping/": {"hdr_0": "Razón social", "col_0": "organisation_name", "action": "import"},
        f"/imports/{job.pk}/undo/": {},
    }  # fmt: skip
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    job.refresh_from_db()
    assert ImportJob.objects.count() == 1 and selectors.is_draft(job) and not Party.objects.exists()
    assert 'href="/imports/"' not in client.get("/customers/").content.decode()  # no menu entry either


def test_support_agents_may_import_and_see_the_menu_entry(users, client_for):
    client = client_for(users["support_agent"])
    page = client.get("/imports/")
    assert page.status_code == 200 and 'href="/imports/"' in page.content.decode()
    assert 'aria-current="page" href="/imports/"' in page.content.decode()


def test_anonymous_users_are_sent_to_sign_in():
    for url in ("/imports/", "/imports/new/", "/imports/1/", "/imports/export/customers.csv"):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- exports ----------------------------------------------------------------------------------------------


def export_rows(client, url: str = "/imports/export/customers.csv") -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_contains_only_the_sales_reps_customers_and_neutralises_formulas(users, client_for):
    rep, other = users["sales_rep"], users["sales_rep_b"]
    make_person(rep, given_names='=HYPERLINK("http://x")', family_name_1="Mala", family_name_2="")
    make_person(rep, given_names="Lucía", family_name_1="Suya", family_name_2="")
    make_person(other, given_names="Pedro", family_name_1="Ajeno", family_name_2="")
    rows = export_rows(client_for(rep))
    header, body = rows[0], rows[1:]
    names = sorted(r[header.index("display_name")] for r in body)
    assert len(body) == 2 and not any("Ajeno" in n for n in names)
    given = sorted(r[header.index("given_names")] for r in body)
    assert given == ['\'=HYPERLINK("http://x")', "Lucía"]
    everyone = export_rows(client_for(users["administrator"]))
    assert len(everyone) == 1 + 3


def test_csv_export_follows_the_list_filters(users, client_for):
    admin = users["administrator"]
    make_person(admin, given_names="Lucía", family_name_1="Buscada", family_name_2="")
    make_person(admin, given_names="Pedro", family_name_1="Otro", family_name_2="")
    rows = export_rows(client_for(admin), "/imports/export/customers.csv?q=Buscada&sort=name")
    assert [r[2] for r in rows[1:]] == ["Lucía Buscada"]


@pytest.mark.parametrize("role", ["support_agent", "read_only"])
def test_roles_without_export_scope_get_403(role, users, client_for):
    client = client_for(users[role])
    make_person(users["administrator"], given_names="Secreta")
    for url in ("/imports/export/customers.csv", "/imports/export/customers.xlsx"):
        response = client.get(url)
        assert response.status_code == 403 and "Secreta" not in response.content.decode()


def test_xlsx_export_and_its_size_limit(users, client_for, monkeypatch):
    from clientela.imports import views_export

    admin = client_for(users["administrator"])
    make_person(users["administrator"], given_names="=1+1", family_name_1="Uno", family_name_2="")
    make_person(users["administrator"], given_names="Dos", family_name_1="Dos", family_name_2="")
    response = admin.get("/imports/export/customers.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    given = rows[0].index("given_names")
    assert sorted(r[given] for r in rows[1:]) == ["'=1+1", "Dos"]  # text, never a formula
    monkeypatch.setattr(views_export, "XLSX_MAX_ROWS", 1)
    response = admin.get("/imports/export/customers.xlsx?sort=name")
    html = response.content.decode()
    assert response.status_code == 200 and "This list has more than 1 customers" in html
    assert 'href="/imports/export/customers.csv?sort=name"' in html


# --- other files ------------------------------------------------------------------------------------------

INVOICES = "Nº factura;Fecha;Código cliente;Total\nF-1;15/03/2025;C-1;1.234,56\nF-2;16/03/2025;C-9;99,90\n"


def test_interactions_with_a_kind_for_every_row_and_reading_options(
    admin, django_capture_on_commit_callbacks
):
    customers = uploaded_job(admin, "Código cliente;Razón social\nC-1;Talleres Pérez SL\n")
    with django_capture_on_commit_callbacks(execute=True):
        mapping_post(admin, customers, "import")
    upload(admin, INVOICES, name="facturas.csv", entity="interactions", source="", new_source="Contabilidad")
    job = ImportJob.objects.get(entity="interactions")
    html = admin.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert (selected(html, "col_0"), selected(html, "col_1"), selected(html, "col_2"), selected(html, "col_3")) == (
        "document_number", "occurred_at", "party_external_id", "amount",
    )  # fmt: skip
    assert 'name="kind"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = mapping_post(
            admin, job, "import", col_0="external_id", kind="invoice", decimal=",", date_format="%d/%m/%Y",
            default_currency="eur",
        )  # fmt: skip
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["options"]["kind"] == "invoice" and job.mapping["options"]["default_currency"] == "EUR"
    assert (job.status, job.created, job.failed) == (Status.DONE, 1, 1)
    from clientela.interactions.models import Interaction

    invoice = Interaction.objects.get(external_id="F-1")
    assert (invoice.kind, str(invoice.amount), invoice.party.display_name) == (
        "invoice",
        "1234.56",
        "Talleres Pérez SL",
    )


def test_excel_files_have_no_text_reading_options(admin, tmp_path, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Nombre", "Apellidos", "Email"])
    sheet.append(["Lucía", "Martín Sanz", "lucia@example.es"])
    path = tmp_path / "contactos.xlsx"
    book.save(path)
    job = uploaded_job(admin, path.read_bytes(), name="contactos.xlsx")
    html = admin.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert 'name="delimiter"' not in html and 'name="encoding"' not in html and 'name="kind"' not in html
    assert (selected(html, "col_0"), selected(html, "col_1"), selected(html, "col_2")) == (
        "given_name", "family_name", "email",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        mapping_post(admin, job, "import")
    person = Party.objects.get()
    assert (person.given_names, person.family_name_1, person.family_name_2) == ("Lucía", "Martín", "Sanz")


def test_a_typed_source_name_finds_the_existing_source_whatever_its_case(admin):
    from clientela.interactions.services import source_get_or_create

    existing = source_get_or_create("erp")
    job = uploaded_job(admin, new_source="ERP")
    assert job.source == existing and SourceSystem.objects.filter(slug="erp").count() == 1
    html = admin.get("/imports/new/").content.decode()
    assert f'<option value="{existing.pk}">' in html  # now offered in the list


def test_the_task_survives_a_crash_and_never_runs_a_job_twice(admin_user, tmp_path, monkeypatch):
    from clientela.imports import tasks

    path = tmp_path / "clientes.csv"
    path.write_text(CLIENTES)
    job = job_create(actor=actor_for(admin_user), path=path, source=source_for("ERP"), entity="parties")

    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "job_run", explode)
    assert tasks.run_import.call(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == Status.FAILED and "unexpected error" in job.message and job.finished_at
    monkeypatch.undo()
    assert tasks.run_import.call(job.pk) == "failed"  # not waiting any more: left alone
    assert tasks.run_import.call(999_999) == "missing"
    assert not Party.objects.exists()


def test_a_mapping_kept_as_the_sources_template_prefills_its_next_upload(
    admin, django_capture_on_commit_callbacks
):
    job = uploaded_job(admin)
    # the person maps "Teléfono" to the mobile rather than the suggested phone
    with django_capture_on_commit_callbacks(execute=True):
        response = mapping_post(admin, job, col_3="mobile", save_template="on")
    assert response.status_code == 302
    source = ImportJob.objects.get(pk=job.pk).source
    assert "parties" in source.mapping_templates
    ImportJob.objects.all().delete()
    second = uploaded_job(admin, new_source="", source=str(source.pk))
    html = admin.get(f"/imports/{second.pk}/mapping/").content.decode()
    assert selected(html, "col_3") == "mobile"  # the template's choice, not the suggestion
    assert selected(html, "col_1") == "tax_id"
