"""``/api/v1/imports``: multipart upload run by the (immediate) worker, validation problems, list, detail, row
errors, undo and its refusal, and the import permission, all with real API tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clientela.accounts.services import api_token_create
from clientela.imports.jobs import job_create, source_for
from clientela.imports.models import ImportJob, Status
from clientela.parties.models import Party
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db

CLIENTES = (
    "Código cliente;Razón social;NIF/CIF;Correo electrónico\n"
    "C-1;Talleres Pérez SL;B12345674;info@talleres.es\n"
    "C-2;;;correo-malo\n"
    "C-3;Frutas Ruiz SL;;pedidos@frutasruiz.es\n"
    "C-4;;;otro-malo\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _storage_and_worker(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class Api:
    """A test client sending ``Authorization: Bearer`` with a real token of ``user``."""

    def __init__(self, user) -> None:
        _token, secret = api_token_create(user=user, name="tests")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, data: dict | None = None):
        return self.client.post(path, data or {}, headers=self.headers)

    def upload(self, content: bytes | str = CLIENTES, name: str = "clientes.csv", **fields):
        raw = content.encode() if isinstance(content, str) else content
        data = {
            "file": SimpleUploadedFile(name, raw),
            "source": "Contabilidad",
            "entity": "parties",
            **fields,
        }
        return self.post("/api/v1/imports", data)


@pytest.fixture
def api(admin_user):
    return Api(admin_user)


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_multipart_upload_creates_a_job_that_the_worker_finishes(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.upload(source_kind="finance")
    assert response.status_code == 202, response.content
    # queued after commit, and run by the immediate backend (whose finished import announces itself)
    assert [c.__qualname__.split(".")[0] for c in callbacks] == ["enqueue_import", "publish"]
    job = ImportJob.objects.get()
    assert response["Location"].endswith(f"/api/v1/imports/{job.pk}")
    assert response.json()["id"] == job.pk
    body = api.get(f"/api/v1/imports/{job.pk}").json()
    assert body["status"] == "done" and body["status_label"] == "Finished"
    assert (body["created"], body["failed"], body["rows_total"], body["cursor"]) == (2, 2, 4, 4)
    assert body["source"]["name"] == "Contabilidad" and body["source"]["kind"] == "finance"
    # no mapping sent: the job records the columns recognised from the Spanish headers
    assert body["mapping"]["columns"] == {
        "Código cliente": "external_id", "Razón social": "organisation_name", "NIF/CIF": "tax_id",
        "Correo electrónico": "email",
    }  # fmt: skip
    assert sorted(Party.objects.values_list("display_name", flat=True)) == [
        "Frutas Ruiz SL",
        "Talleres Pérez SL",
    ]
    detail = api.get(f"/api/v1/imports/{job.pk}").json()
    assert (
        detail["status"] == "done" and detail["finished_at"] and detail["started_at"] and detail["created_at"]
    )
    assert detail["message"] == ""


def test_upload_with_a_mapping_and_a_dry_run(api, django_capture_on_commit_callbacks):
    mapping = {"columns": {"Razón social": "organisation_name", "Correo electrónico": "email"},
               "options": {"delimiter": ";", "encoding": "utf-8"}}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = api.upload(mapping=json.dumps(mapping), dry_run="true")
    assert response.status_code == 202
    body = api.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert body["dry_run"] is True and body["status"] == "done"
    assert body["created"] == 2 and body["mapping"]["options"] == {"delimiter": ";", "encoding": "utf-8"}
    assert not Party.objects.exists()


def test_bad_mapping_is_a_422_with_every_message(api):
    mapping = {"columns": {"Razón social": "razon", "NIF/CIF": "tax_id"}, "options": {"decimal": ";"}}
    body = problem(api.upload(mapping=json.dumps(mapping)), 422)
    messages = [e["message"] for e in body["errors"] if e["field"] == "mapping"]
    assert len(messages) == 2
    assert any('"razon" is not a field' in m for m in messages)
    assert any("decimal separator" in m for m in messages)
    assert not ImportJob.objects.exists()
    body = problem(api.upload(mapping="{not json"), 422)
    assert body["errors"][0]["field"] == "mapping" and "not valid JSON" in body["errors"][0]["message"]
    body = problem(api.upload(mapping=json.dumps({"columns": {"NIF/CIF": "tax_id"}})), 422)
    assert "customer's name" in body["errors"][0]["message"]
    assert not ImportJob.objects.exists() and not Party.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"), [(PNG, "This is a PNG file"), ("  \n", "The file is empty.")]
)
def test_unreadable_file_is_a_422_and_leaves_nothing(api, settings, content, message):
    body = problem(api.upload(content), 422)
    assert body["errors"][0]["field"] == "file" and message in body["errors"][0]["message"]
    assert not ImportJob.objects.exists()
    folder = Path(settings.MEDIA_ROOT) / "imports"
    assert not folder.exists() or not any(folder.iterdir())


def test_missing_fields_are_422(api):
    body = problem(api.post("/api/v1/imports", {"source": "X"}), 422)
    assert "file" in {e["field"] for e in body["errors"]}
    body = problem(api.upload(entity="invoices"), 422)
    assert "entity" in {e["field"] for e in body["errors"]}


def test_list_detail_and_paginated_errors(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.upload().json()
        second = api.upload(CLIENTES.replace("C-", "D-"), name="otros.csv").json()
    listed = api.get("/api/v1/imports?limit=1").json()
    assert [j["id"] for j in listed["items"]] == [second["id"]] and listed["next_cursor"]
    rest = api.get(f"/api/v1/imports?limit=1&cursor={listed['next_cursor']}").json()
    assert [j["id"] for j in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    page = api.get(f"/api/v1/imports/{first['id']}/errors?limit=2").json()
    assert set(page["items"][0]) == {"line", "column", "value", "message"}
    lines = [e["line"] for e in page["items"]]
    while page["next_cursor"]:
        page = api.get(f"/api/v1/imports/{first['id']}/errors?limit=2&cursor={page['next_cursor']}").json()
        lines += [e["line"] for e in page["items"]]
    assert lines == sorted(lines) and set(lines) == {3, 5}
    assert any(
        e["value"] == "correo-malo" for e in api.get(f"/api/v1/imports/{first['id']}/errors").json()["items"]
    )
    assert problem(api.get("/api/v1/imports/999999"), 404)["status"] == 404
    assert problem(api.get("/api/v1/imports/999999/errors"), 404)["status"] == 404


def test_undo_then_409(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = api.upload().json()["id"]
    assert Party.objects.count() == 2
    response = api.post(f"/api/v1/imports/{job_id}/undo")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["removed"] >= 2 and body["job"]["status"] == "undone" and body["job"]["undone_at"]
    assert Party.objects.count() == 0
    again = problem(api.post(f"/api/v1/imports/{job_id}/undo"), 409)
    assert again["detail"] == "This import was already undone."


def test_same_file_while_waiting_returns_the_waiting_job(api, admin_user, tmp_path):
    # the database backend's worker is not running here: the first job stays waiting
    first = api.upload().json()
    assert first["status"] == "pending"
    second = api.upload().json()
    assert second["id"] == first["id"] and ImportJob.objects.count() == 1


@pytest.mark.parametrize("role", ["sales_rep", "read_only", "manager", "marketing"])
def test_users_who_may_not_import_get_403_problems(role, users, admin_user, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text(CLIENTES)
    job = job_create(actor=actor_for(admin_user), path=path, source=source_for("ERP"), entity="parties")
    job.status = Status.DONE
    job.save()
    api = Api(users[role])
    calls = [
        api.upload(),
        api.post("/api/v1/imports", {}),  # refused before its fields are read: no 422 to such users
        api.get("/api/v1/imports"),
        api.get(f"/api/v1/imports/{job.pk}"),
        api.get(f"/api/v1/imports/{job.pk}/errors"),
        api.post(f"/api/v1/imports/{job.pk}/undo"),
    ]
    for response in calls:
        body = problem(response, 403)
        assert body["detail"] == "Only users who may add and change every customer can import files."
    job.refresh_from_db()
    assert job.status == Status.DONE and ImportJob.objects.count() == 1 and not Party.objects.exists()


def test_support_agents_may_import(users, django_capture_on_commit_callbacks):
    api = Api(users["support_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.upload()
    assert response.status_code == 202
    assert api.get(f"/api/v1/imports/{response.json()['id']}").json()["status"] == "done"


def test_anonymous_gets_401():
    client = Client()
    assert client.get("/api/v1/imports").status_code == 401
    assert client.post("/api/v1/imports", {"source": "X"}).status_code == 401


def test_openapi_documents_the_imports_operations():
    schema = Client().get("/api/openapi.json").json()
    create = schema["paths"]["/api/v1/imports"]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
    assert {"202", "422", "403"} <= set(create["responses"])
    assert "409" in schema["paths"]["/api/v1/imports/{import_id}/undo"]["post"]["responses"]
    for path in ("/api/v1/imports", "/api/v1/imports/{import_id}", "/api/v1/imports/{import_id}/errors"):
        assert schema["paths"][path]["get"]["tags"] == ["imports"]
