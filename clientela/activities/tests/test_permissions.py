"""Every task route, for every role: tasks outside the user's scope are refused (403/404) without leaking
their data or changing anything; lists, the bell and the calendar feed only ever show the user's own scope.

``WEB_ROUTE_NAMES`` and ``API_ROUTE_KEYS`` list every route of this app (the project-wide inventory test
reads them); ``test_the_inventory_matches_the_routes`` fails when a route is added without being listed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clientela.accounts.services import api_token_create
from clientela.activities.models import CalendarFeed, Notification, Task
from clientela.activities.reminders import reminders_send_due
from clientela.activities.services import calendar_feed_regenerate
from clientela.activities.tests.helpers import make_task
from clientela.core.models import ObjectChange
from clientela.core.permissions import Action, can, user_scope
from clientela.core.tests.test_permission_inventory import api_operations, web_routes
from clientela.interactions.models import Interaction
from clientela.testing.factories import actor_for, make_person
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

WEB_ROUTE_NAMES = {
    "activities:my_day",
    "activities:list",
    "activities:create",
    "activities:quick_add",
    "activities:detail",
    "activities:complete",
    "activities:reopen",
    "activities:cancel",
    "activities:customer_tasks",
    "activities:notifications",
    "activities:notifications_count",
    "activities:notification_read",
    "activities:notifications_read_all",
    "activities:calendar",
    "activities:calendar_regenerate",
    "activities:calendar_revoke",
    "activities:calendar_feed",  # public: the secret token in the URL is the credential
}
API_ROUTE_KEYS = {
    ("GET", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks/{task_id}"),
    ("PATCH", "/api/v1/tasks/{task_id}"),
    ("POST", "/api/v1/tasks/{task_id}/complete"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/{notification_id}/read"),
    ("POST", "/api/v1/notifications/read-all"),
}

# Routes acting on one task: (method, URL template, body).
TASK_ROUTES = [
    ("GET", "/tasks/{task}/", None),
    ("POST", "/tasks/{task}/", "form"),
    ("POST", "/tasks/{task}/complete/", {"outcome": "HACKED"}),
    ("POST", "/tasks/{task}/reopen/", {}),
    ("POST", "/tasks/{task}/cancel/", {}),
    ("GET", "/api/v1/tasks/{task}", None),
    ("PATCH", "/api/v1/tasks/{task}", {"title": "HACKED"}),
    ("POST", "/api/v1/tasks/{task}/complete", {"outcome": "HACKED"}),
]
NOTIFICATION_ROUTES = [
    ("POST", "/tasks/notifications/{notification}/read/", {}),
    ("POST", "/api/v1/notifications/{notification}/read", {}),
]
LIST_PAGES = [
    "/tasks/",
    "/tasks/all/",
    "/tasks/all/?status=all",
    "/tasks/notifications/",
    "/tasks/notifications/count/",
    "/api/v1/tasks?limit=200&status=all",
    "/api/v1/notifications?limit=200",
]


@dataclass
class Target:
    task: Task
    notification: Notification
    party: Any
    markers: tuple[str, ...]


def _target(user, label: str) -> Target:
    party = make_person(user, given_names=f"Cliente{label}")
    title = f"SecretoTarea{label}"
    task = make_task(
        user,
        title=title,
        notes=f"NotaOculta{label}",
        kind="call",
        party=party.pk,
        due_at=timezone.now() + dt.timedelta(minutes=5),
    )
    reminders_send_due()
    return Target(task, Notification.objects.get(task=task), party, (title, f"NotaOculta{label}"))


@pytest.fixture
def world(users, team_a, team_b):
    """foreign: a task of another team's rep; teammate: a task of the manager of the roles' own team."""
    return {
        "foreign": _target(users["sales_rep_b"], "Ajena"),
        "teammate": _target(users["manager"], "Vecina"),
    }


def _snapshot() -> tuple:
    return (
        sorted(Task.objects.values_list("pk", "version", "status", "title", "assignee_id", "team_id")),
        sorted(Notification.objects.values_list("pk", "read_at")),
        ObjectChange.objects.count(),
        Interaction.objects.count(),
        sorted(CalendarFeed.objects.values_list("pk", "key_hash")),
    )


def _client(user) -> tuple[Client, Client]:
    web = Client()
    web.force_login(user)
    _token, secret = api_token_create(user=user, name="perm")
    return web, Client(headers={"Authorization": f"Bearer {secret}"})


def _call(web: Client, api: Client, method: str, url: str, body: Any) -> Any:
    client = api if url.startswith("/api/") else web
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    if body == "form":
        day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        body = {"title": "HACKED", "kind": "todo", "due_date": day, "due_time": "10:00", "remind": "none",
                "priority": "normal"}  # fmt: skip
    return client.post(url, body)


def test_the_inventory_matches_the_routes():
    mine = {name for name, _pattern in web_routes() if name.startswith("activities:")}
    assert mine == WEB_ROUTE_NAMES
    api = {
        (method, path)
        for method, path, _op in api_operations()
        if path.startswith(("/api/v1/tasks", "/api/v1/notifications"))
    }
    assert api == API_ROUTE_KEYS


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_tasks_outside_the_scope_never_leak_or_change(role, users, world):
    user = users[role]
    web, api = _client(user)
    checked = 0
    for target in world.values():
        visible = can(user, Action.VIEW, target.task)
        changeable = can(user, Action.CHANGE, target.task)
        for method, template, body in TASK_ROUTES:
            read_only = method == "GET"
            if (read_only and visible) or (not read_only and changeable):
                continue
            url = template.format(task=target.task.pk)
            before = _snapshot()
            response = _call(web, api, method, url, body)
            checked += 1
            assert response.status_code in (403, 404), f"{role} {method} {url}: {response.status_code}"
            assert _snapshot() == before, f"{role} {method} {url} changed data"
            if not visible:
                text = response.content.decode(errors="replace")
                assert not [m for m in target.markers if m in text], f"{role} {method} {url} leaked"
        # someone else's notification: always refused, whatever the role
        if target.notification.recipient_id != user.pk:
            for method, template, body in NOTIFICATION_ROUTES:
                url = template.format(notification=target.notification.pk)
                before = _snapshot()
                response = _call(web, api, method, url, body)
                checked += 1
                assert response.status_code == 404, f"{role} {method} {url}: {response.status_code}"
                assert _snapshot() == before
        # the customer panel never lists tasks the user may not see
        panel = web.get(f"/tasks/customer/{target.party.pk}/")
        if not can(user, Action.VIEW, target.party):
            assert panel.status_code == 404
        if not visible:
            assert not [m for m in target.markers if m in panel.content.decode()]
    assert checked > 0


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_lists_and_creation_stay_inside_the_scope(role, users, world, team_b):
    user = users[role]
    web, api = _client(user)
    for target in world.values():
        visible = can(user, Action.VIEW, target.task)
        for url in LIST_PAGES:
            response = (api if url.startswith("/api/") else web).get(url)
            assert response.status_code == 200, f"{role} GET {url}: {response.status_code}"
            text = response.content.decode()
            # notifications are personal: even an administrator never sees another user's
            personal = "notifications" in url
            hidden = target.notification.recipient_id != user.pk if personal else not visible
            if hidden:
                assert target.markers[0] not in text, f"{role} GET {url} leaked"
    # assigning a new task to another team's rep: only roles whose task "add" scope is "all" may
    anywhere = user_scope(user, "task", Action.ADD) == "all"
    before = Task.objects.count()
    other = users["sales_rep_b"]
    day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    web.post("/tasks/new/", {"title": "HACKED", "kind": "todo", "due_date": day, "due_time": "10:00",
                             "remind": "none", "priority": "normal", "assignee": other.pk})  # fmt: skip
    api.generic(
        "POST",
        "/api/v1/tasks",
        json.dumps(
            {"title": "HACKED", "due_at": "2030-01-01T10:00:00Z", "assignee": other.pk, "team": team_b.pk}
        ),
        content_type="application/json",
    )
    created = Task.objects.count() - before
    # the web form only offers assignees inside the scope, so a refused choice is a form error
    assert created == (2 if anywhere else 0), f"{role} created {created}"
    # filing a task under a customer the user cannot see is refused too
    foreign_party = world["foreign"].party
    response = api.generic(
        "POST",
        "/api/v1/tasks",
        json.dumps({"title": "HACKED", "due_at": "2030-01-01T10:00:00Z", "party": foreign_party.pk}),
        content_type="application/json",
    )
    if not can(user, Action.VIEW, foreign_party):
        assert response.status_code in (403, 422)
        assert not Task.objects.filter(party=foreign_party, title="HACKED").exists()


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_calendar_routes_only_touch_the_users_own_feed(role, users, world):
    other = users["sales_rep_b"]
    _feed, secret = calendar_feed_regenerate(actor=actor_for(other))
    user = users[role]
    web, _api = _client(user)
    assert web.post("/tasks/calendar/regenerate/").status_code == 200
    web.post("/tasks/calendar/revoke/")
    page = web.get("/tasks/calendar/").content.decode()
    assert secret[:12] not in page
    response = Client().get(f"/tasks/calendar/{secret}.ics")
    assert response.status_code == 200 and b"SecretoTareaAjena" in response.content


def test_the_public_feed_serves_only_its_owners_tasks(users, world):
    _feed, secret = calendar_feed_regenerate(actor=actor_for(users["sales_rep_b"]))
    body = Client().get(f"/tasks/calendar/{secret}.ics").content.decode()
    assert "SecretoTareaAjena" in body and "SecretoTareaVecina" not in body
    _feed, manager_secret = calendar_feed_regenerate(actor=actor_for(users["manager"]))
    body = Client().get(f"/tasks/calendar/{manager_secret}.ics").content.decode()
    assert "SecretoTareaVecina" in body and "SecretoTareaAjena" not in body
    # a manager sees the team's tasks in the app, but the feed is the user's own tasks only
    make_task(users["manager"], title="Para el equipo", assignee=users["sales_rep"].pk)
    assert "Para el equipo" not in Client().get(f"/tasks/calendar/{manager_secret}.ics").content.decode()


def test_anonymous_gets_nothing(world):
    client = Client()
    target = world["foreign"]
    patterns = dict(web_routes())
    for name in WEB_ROUTE_NAMES - {"activities:calendar_feed"}:
        url = "/" + patterns[name]
        for param in ("<int:pk>",):
            url = url.replace(param, str(target.task.pk))
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, {})
            assert response.status_code in (302, 405), f"anonymous {method} {url}: {response.status_code}"
    before = _snapshot()
    for method, path in API_ROUTE_KEYS:
        url = path.replace("{task_id}", str(target.task.pk)).replace(
            "{notification_id}", str(target.notification.pk)
        )
        response = client.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 401, f"anonymous {method} {url}: {response.status_code}"
        assert target.markers[0] not in response.content.decode()
    assert client.get("/tasks/calendar/cal_nothing.ics").status_code == 404
    assert _snapshot() == before
