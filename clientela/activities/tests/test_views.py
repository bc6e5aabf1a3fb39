"""Pages: my day and the task list (query budgets independent of the number of rows), quick add, the form,
completing in place with htmx, the customer panel, the bell and the notifications page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.activities.models import Notification, Task
from clientela.activities.reminders import reminders_send_due
from clientela.activities.tests.helpers import make_task
from clientela.core.models import ObjectChange
from clientela.interactions.services import interaction_log
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


def _queries(client, url: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


def _fill(user, n: int, party=None) -> None:
    now = timezone.now()
    for i in range(n):
        make_task(
            user,
            title=f"Tarea {i}",
            due_at=now + dt.timedelta(hours=i - n // 2),
            party=party.pk if party else None,
        )


def test_my_day_sections_and_query_budget(users, client_for):
    rep = users["sales_rep"]
    party = make_person(rep, given_names="Carmen")
    client = client_for(rep)
    make_task(rep, title="Atrasada", due_at=timezone.now() - dt.timedelta(days=2))
    make_task(rep, title="Semana", due_at=timezone.now() + dt.timedelta(days=3))
    make_task(rep, title="Lejana", due_at=timezone.now() + dt.timedelta(days=30))
    make_task(users["sales_rep_b"], title="Ajena")
    interaction_log(
        actor=actor_for(rep),
        party=party,
        kind="meeting",
        occurred_at=timezone.localtime().replace(hour=23, minute=30),
        payload={"objective": "Revisión anual"},
    )
    few, response = _queries(client, "/tasks/")
    text = response.content.decode()
    assert "Atrasada" in text and "Semana" in text and "Revisión anual" in text
    assert "Lejana" not in text and "Ajena" not in text
    assert text.index("Atrasada") < text.index("Semana")
    _fill(rep, 20, party)
    many, response = _queries(client, "/tasks/")
    assert "Tarea 19" in response.content.decode()
    assert many == few, "my day must not run a query per task"


def test_task_list_filters_and_query_budget(users, client_for):
    rep, manager = users["sales_rep"], users["manager"]
    party = make_person(manager, given_names="Pilar")
    client = client_for(manager)
    _fill(manager, 3, party)
    make_task(manager, title="De Tanya", assignee=rep.pk)
    few, _r = _queries(client, "/tasks/all/")
    _fill(manager, 25, party)
    make_task(manager, title="Del otro equipo", assignee=manager.pk)
    many, response = _queries(client, "/tasks/all/")
    assert many == few, "the task list must not run a query per row"
    assert "De Tanya" in response.content.decode()
    _n, response = _queries(client, f"/tasks/all/?assignee={rep.pk}")
    text = response.content.decode()
    assert "De Tanya" in text and "Tarea 1" not in text
    _n, response = _queries(client, f"/tasks/all/?party={party.pk}&status=open")
    assert "Tarea 1" in response.content.decode() and "De Tanya" not in response.content.decode()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    _n, response = _queries(client, f"/tasks/all/?due_after={tomorrow}")
    assert "De Tanya" not in response.content.decode()
    _n, response = _queries(client, "/tasks/all/?status=bogus&due_after=31-31-2020")
    assert "not valid" in response.content.decode()


def test_task_list_pages_with_a_cursor(users, client_for, settings):
    rep = users["sales_rep"]
    _fill(rep, 55)
    client = client_for(rep)
    first = client.get("/tasks/all/").content.decode()
    assert "Load more" in first
    import re

    cursor = re.search(r'href="\?cursor=([^"]+)"', first).group(1)
    more = client.get(f"/tasks/all/?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in more and "Tarea" in more
    assert client.get("/tasks/all/?cursor=garbage").status_code == 302


def test_complete_in_place_with_htmx(users, client_for):
    rep = users["sales_rep"]
    party = make_person(rep)
    task = make_task(rep, title="Llamar", kind="call", party=party.pk)
    client = client_for(rep)
    response = client.post(f"/tasks/{task.pk}/complete/", {"outcome": "Todo bien"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith("<li") and f'id="task-{task.pk}"' in text and "<html" not in text
    assert "Reopen" in text
    task.refresh_from_db()
    assert task.status == "done" and task.interaction is not None
    # reopen in place too
    response = client.post(f"/tasks/{task.pk}/reopen/", HTTP_HX_REQUEST="true")
    assert "Reopen" not in response.content.decode()
    task.refresh_from_db()
    assert task.status == "open"
    # without htmx it redirects back where it came from
    response = client.post(f"/tasks/{task.pk}/complete/", {"next": "/tasks/all/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/all/"
    response = client.post(f"/tasks/{task.pk}/cancel/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/tasks/{task.pk}/"


def test_quick_add_and_its_errors(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    response = client.post("/tasks/quick/", {"title": "Enviar catálogo", "kind": "email"})
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.all_day and task.due_date == timezone.localdate() and task.assignee == rep
    before = (Task.objects.count(), ObjectChange.objects.count())
    response = client.post("/tasks/quick/", {"title": "", "kind": "lunch"})
    assert response.status_code == 422
    assert "There is a problem" in response.content.decode()
    assert (Task.objects.count(), ObjectChange.objects.count()) == before


def test_task_form_create_edit_and_conflict(users, client_for):
    rep = users["sales_rep"]
    party = make_person(rep, given_names="Rocío")
    client = client_for(rep)
    assert "Rocío" in client.get(f"/tasks/new/?party={party.pk}").content.decode()
    day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    data = {"title": "Reunión", "kind": "meeting", "due_date": day, "due_time": "10:30", "remind": "1h",
            "priority": "high", "party": party.pk, "duration_minutes": "60"}  # fmt: skip
    response = client.post("/tasks/new/", data)
    assert response.status_code == 302 and response["Location"] == f"/customers/{party.pk}/"
    task = Task.objects.get()
    assert timezone.localtime(task.due_at).strftime("%H:%M") == "10:30"
    assert task.due_at - task.remind_at == dt.timedelta(hours=1) and task.party == party
    # errors: no time for a timed task, nothing written
    response = client.post("/tasks/new/", {**data, "due_time": "", "title": "Otra"})
    assert response.status_code == 422 and Task.objects.count() == 1
    # edit, then a stale form is refused
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'value="Reunión"' in page
    edit = {**data, "title": "Reunión anual", "version": "1"}
    assert client.post(f"/tasks/{task.pk}/", edit).status_code == 302
    task.refresh_from_db()
    assert task.title == "Reunión anual" and task.version == 2
    response = client.post(f"/tasks/{task.pk}/", {**edit, "title": "Vieja"})
    assert response.status_code == 409
    task.refresh_from_db()
    assert task.title == "Reunión anual"


def test_customer_panel_loads_the_open_tasks(users, client_for):
    rep = users["sales_rep"]
    party = make_person(rep, given_names="Inés")
    make_task(rep, title="Visitar a Inés", party=party.pk)
    client = client_for(rep)
    page = client.get(f"/customers/{party.pk}/").content.decode()
    assert f"/tasks/customer/{party.pk}/" in page and "Visitar a Inés" not in page  # loaded later
    panel = client.get(f"/tasks/customer/{party.pk}/").content.decode()
    assert "Visitar a Inés" in panel


def test_bell_and_notifications(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    assert "bell-count" in client.get("/tasks/all/").content.decode()
    task = make_task(rep, title="Recordar", due_at=timezone.now() + dt.timedelta(minutes=5))
    make_task(rep, title="Otra", due_at=timezone.now() + dt.timedelta(minutes=6))
    make_task(users["sales_rep_b"], title="Ajena", due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    n, response = _queries(client, "/tasks/notifications/count/")
    assert ">2<" in response.content.decode()
    assert n <= 3  # session, user, one count
    page = client.get("/tasks/notifications/").content.decode()
    assert "Recordar" in page and "Ajena" not in page
    mine = Notification.objects.get(task=task)
    response = client.post(f"/tasks/notifications/{mine.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/tasks/{task.pk}/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = Notification.objects.get(recipient=users["sales_rep_b"])
    assert client.post(f"/tasks/notifications/{other.pk}/read/").status_code == 404
    client.post("/tasks/notifications/read-all/")
    assert Notification.objects.filter(recipient=rep, read_at__isnull=True).count() == 0
    other.refresh_from_db()
    assert other.read_at is None
    _n, response = _queries(client, "/tasks/notifications/count/")
    assert response.content.decode().strip() == ""


def test_notifications_page_query_budget(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    make_task(rep, title="Primera", due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    few, _r = _queries(client, "/tasks/notifications/")
    for i in range(15):
        make_task(rep, title=f"Aviso {i}", due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    many, response = _queries(client, "/tasks/notifications/")
    assert "Aviso 14" in response.content.decode()
    assert many == few


def test_a_swapped_row_points_back_at_the_page(users, client_for):
    rep = users["sales_rep"]
    task = make_task(rep)
    response = client_for(rep).post(
        f"/tasks/{task.pk}/complete/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/tasks/all/?status=all",
    )
    assert 'name="next" value="/tasks/all/?status=all"' in response.content.decode()


def test_the_feed_answers_head_requests(users):
    from django.test import Client

    from clientela.activities.services import calendar_feed_regenerate

    _feed, secret = calendar_feed_regenerate(actor=actor_for(users["sales_rep"]))
    assert Client().head(f"/tasks/calendar/{secret}.ics").status_code == 200
