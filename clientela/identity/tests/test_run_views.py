"""Starting duplicate detection from the review page, its progress, and one run at a time."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError

from clientela.identity.models import MatchCandidate, ResolutionRun, RunStatus
from clientela.identity.tests.test_resolution import population
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def immediate(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_the_queue_offers_to_find_duplicates_with_the_default_thresholds(admin_user, client_for):
    html = client_for(admin_user).get("/duplicates/").content.decode()
    assert 'action="/duplicates/runs/"' in html
    assert 'name="review_threshold"' in html and 'value="50.0"' in html and 'value="99.0"' in html


def test_the_button_runs_detection_in_the_background_and_queues_pairs(
    admin_user, client_for, immediate, django_capture_on_commit_callbacks
):
    population(60)
    make_person(admin_user, given_names="Ana", family_name_1="García", family_name_2="López",
                contact_points=[{"kind": "email", "value": "ana.gl@example.es"}])  # fmt: skip
    make_person(admin_user, given_names="Ana", family_name_1="Garcia", family_name_2="",
                contact_points=[{"kind": "email", "value": "ANA.GL@example.es"}])  # fmt: skip
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/duplicates/runs/", {"review_threshold": "50", "merge_threshold": "99", "auto_merge": ""}
        )
    assert response.status_code == 302
    run = ResolutionRun.objects.get()
    assert any(f"Run {run.pk} is looking for duplicates" in t for t in texts(response))
    assert run.status == RunStatus.DONE and not run.auto_merge
    assert run.created_by == admin_user and run.review_threshold == 0.5
    assert MatchCandidate.objects.filter(run=run).exists()
    status = client.get(f"/duplicates/runs/{run.pk}/").content.decode()
    assert "every 2s" not in status and f"Last run {run.pk}: Finished" in status


def test_a_waiting_run_is_polled_and_blocks_a_second_one(admin_user, client_for):
    client = client_for(admin_user)
    client.post("/duplicates/runs/", {"review_threshold": "50", "merge_threshold": "99"})
    run = ResolutionRun.objects.get()
    assert run.status == RunStatus.PENDING  # no worker in this test: it waits
    fragment = client.get(f"/duplicates/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "Waiting for a worker" in fragment
    second = client.post("/duplicates/runs/", {"review_threshold": "50", "merge_threshold": "99"})
    assert ResolutionRun.objects.count() == 1
    assert any(f"Run {run.pk} is already looking for duplicates" in t for t in texts(second))
    with pytest.raises(CommandError, match="already looking for duplicates"):
        call_command("resolve")
    assert ResolutionRun.objects.count() == 1


def test_bad_thresholds_are_messages_not_runs(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post("/duplicates/runs/", {"review_threshold": "95", "merge_threshold": "90"})
    assert any("cannot be higher than the merge threshold" in t for t in texts(response))
    response = client.post("/duplicates/runs/", {"review_threshold": "abc", "merge_threshold": "190"})
    shown = texts(response)
    assert "Sure from (%): Ensure this value is less than or equal to 100." in shown
    assert "Queue for review from (%): Enter a number." in shown
    assert not ResolutionRun.objects.exists()


def test_only_roles_that_may_merge_start_runs(users, client_for):
    response = client_for(users["support_agent"]).post(
        "/duplicates/runs/", {"review_threshold": "50", "merge_threshold": "99"}
    )
    assert response.status_code == 403 and not ResolutionRun.objects.exists()
