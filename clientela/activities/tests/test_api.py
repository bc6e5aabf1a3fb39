"""The tasks and notifications API: filters and cursor pages, create with 422 field errors, PATCH with
If-Match, complete, and the caller's own notifications."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.accounts.services import api_token_create
from clientela.activities.models import Notification, Task
from clientela.activities.reminders import reminders_send_due
from clientela.activities.tests.helpers import make_task
from clientela.core.models import ObjectChange
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user) -> None:
        _token, secret = api_token_create(user=user, name="tests")
        self.client = Client(headers={"Authorization": f"Bearer {secret}"})

    def __call__(self, method: str, path: str, body=None, **headers):
        if body is None and method == "GET":
            return self.client.get(path, headers=headers)
        return self.client.generic(
            method, path, json.dumps(body or {}), content_type="application/json", headers=headers
        )


def _fields(response) -> set[str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return {e["field"] for e in response.json()["errors"]}


def test_create_read_patch_with_if_match_and_complete(users):
    rep = users["sales_rep"]
    party = make_person(rep)
    api = Api(rep)
    due = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    response = api("POST", "/api/v1/tasks", {"title": "Llamar", "kind": "call", "due_at": due.isoformat(),
                                              "party": party.pk, "remind": "1h"})  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assignee"]["id"] == rep.pk and body["party"]["id"] == party.pk
    assert dt.datetime.fromisoformat(body["remind_at"]) == due - dt.timedelta(hours=1)
    etag = response["ETag"]
    assert response["Location"].endswith(f"/api/v1/tasks/{body['id']}")
    url = f"/api/v1/tasks/{body['id']}"
    assert api("GET", url).json()["title"] == "Llamar"
    changed = api("PATCH", url, {"title": "Llamar a Ana"}, **{"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api("PATCH", url, {"title": "Vieja"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert Task.objects.get().title == "Llamar a Ana"
    done = api("POST", f"{url}/complete", {"outcome": "Interesada"})
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["interaction_id"] is not None


def test_invalid_input_is_a_422_with_field_paths_and_writes_nothing(users):
    api = Api(users["sales_rep"])
    before = (Task.objects.count(), ObjectChange.objects.count())
    assert _fields(api("POST", "/api/v1/tasks", {"title": "x"})) == {"due_at"}
    assert _fields(
        api(
            "POST",
            "/api/v1/tasks",
            {"title": "x", "due_at": "2030-01-01T10:00:00Z", "remind_at": "2030-01-01T11:00:00Z"},
        )
    ) == {"remind_at"}
    assert "kind" in _fields(api("POST", "/api/v1/tasks", {"title": "x", "kind": "lunch"}))
    assert "colour" in _fields(api("POST", "/api/v1/tasks", {"title": "x", "colour": "red"}))
    assert _fields(
        api(
            "POST",
            "/api/v1/tasks",
            {"title": "x", "due_at": "2030-01-01T10:00:00Z", "assignee": users["manager"].pk},
        )
    ) == {"assignee"}
    assert (Task.objects.count(), ObjectChange.objects.count()) == before
    assert api("POST", "/api/v1/tasks", {}).status_code == 422


def test_read_only_role_may_not_create(users):
    response = Api(users["read_only"])(
        "POST", "/api/v1/tasks", {"title": "x", "due_at": "2030-01-01T10:00:00Z"}
    )
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_list_filters_cursor_and_query_budget(users):
    manager, rep = users["manager"], users["sales_rep"]
    api = Api(manager)
    party = make_person(manager)
    for i in range(5):
        make_task(manager, title=f"M{i}", due_at=timezone.now() + dt.timedelta(hours=i + 1), party=party.pk)
    make_task(manager, title="Para Tanya", assignee=rep.pk)
    make_task(users["sales_rep_b"], title="Ajena")
    with CaptureQueriesContext(connection) as few:
        page = api("GET", "/api/v1/tasks?limit=2")
    assert page.status_code == 200
    items = page.json()["items"]
    assert len(items) == 2 and page.json()["next_cursor"]
    titles = [t["title"] for t in items]
    cursor = page.json()["next_cursor"]
    rest = api("GET", f"/api/v1/tasks?limit=200&cursor={cursor}").json()["items"]
    titles += [t["title"] for t in rest]
    assert "Ajena" not in titles and set(titles) == {"M0", "M1", "M2", "M3", "M4", "Para Tanya"}
    with CaptureQueriesContext(connection) as many:
        api("GET", "/api/v1/tasks?limit=200")
    assert len(many) == len(few)
    only = api("GET", f"/api/v1/tasks?assignee={rep.pk}").json()["items"]
    assert [t["title"] for t in only] == ["Para Tanya"]
    assert len(api("GET", f"/api/v1/tasks?party={party.pk}").json()["items"]) == 5
    assert api("GET", "/api/v1/tasks?status=later").status_code == 422
    assert api("GET", "/api/v1/tasks?cursor=garbage").status_code == 422


def test_notifications_are_the_callers_own(users):
    rep = users["sales_rep"]
    make_task(rep, title="Mía", due_at=timezone.now() + dt.timedelta(minutes=5))
    make_task(users["sales_rep_b"], title="Ajena", due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    api = Api(rep)
    listed = api("GET", "/api/v1/notifications?unread=true").json()["items"]
    assert [n["title"] for n in listed] == ["Mía"]
    other = Notification.objects.get(title="Ajena")
    assert api("POST", f"/api/v1/notifications/{other.pk}/read").status_code == 404
    assert api("POST", f"/api/v1/notifications/{listed[0]['id']}/read").json()["read_at"]
    assert api("GET", "/api/v1/notifications?unread=true").json()["items"] == []
    assert api("POST", "/api/v1/notifications/read-all").json() == {"marked": 0}
    other.refresh_from_db()
    assert other.read_at is None
