"""In Chromium: my day, completing a task in place (htmx swaps the row, no page load), the bell's count
loading on its own, and the customer page's lazy "Open tasks" card; screenshots at desktop and phone widths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.accounts.models import Role
from clientela.activities.models import Task
from clientela.activities.reminders import reminders_send_due
from clientela.activities.tests.helpers import make_task
from clientela.testing.browser import screenshot
from clientela.testing.factories import UserFactory, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


def test_my_day_complete_in_place_and_bell(live_server, page):
    user = UserFactory(username="rosa", role=Role.objects.get(slug="sales_rep"), first_name="Rosa")
    party = make_person(user, given_names="Elena")
    task = make_task(user, title="Llamar a Elena", kind="call", party=party.pk,
                     due_at=timezone.now() + dt.timedelta(minutes=10))  # fmt: skip
    make_task(user, title="Enviar propuesta", due_at=timezone.now() - dt.timedelta(days=1))
    make_task(
        user, title="Preparar visita", all_day=True, due_date=timezone.localdate() + dt.timedelta(days=2)
    )
    reminders_send_due()

    page.goto(f"{live_server.url}/accounts/login/?next=/tasks/")
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/tasks/")
    page.locator("#bell-count .badge", has_text="1").wait_for()
    screenshot(page, "tasks-my-day")

    row = page.locator(f"#task-{task.pk}")
    row.get_by_text("Done, with an outcome").click()
    row.get_by_label("Outcome (optional)").fill("Pide una demo")
    page.evaluate("window.__same_page = true")
    row.get_by_role("button", name="Save and mark done").click()
    page.locator(f"#task-{task.pk}").get_by_role("button", name="Reopen").wait_for()
    assert page.evaluate("window.__same_page") is True  # swapped in place, not a new page
    task.refresh_from_db()
    assert task.status == "done" and task.interaction is not None

    page.goto(f"{live_server.url}/customers/{party.pk}/")
    page.locator("#open-tasks-h", has_text="Open tasks").wait_for()
    page.get_by_text("No open tasks for this customer.").wait_for()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tasks/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "tasks-my-day-phone")
    page.goto(f"{live_server.url}/tasks/all/?status=all")
    screenshot(page, "tasks-list-phone")
    assert Task.objects.count() == 3
