"""The per-user iCalendar feed: a secret token URL (only its hash stored), events that parse back with
``icalendar`` at the right moments, stable UIDs, and a bare 404 for any wrong or revoked token."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from clientela.activities.models import CalendarFeed
from clientela.activities.services import calendar_feed_regenerate, task_cancel
from clientela.activities.tests.helpers import make_task
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


def _feed_url(client: Client) -> str:
    response = client.post("/tasks/calendar/regenerate/")
    assert response.status_code == 200
    match = re.search(
        r'value="(http://testserver(/tasks/calendar/cal_[^"]+\.ics))"', response.content.decode()
    )
    assert match, "the new address is shown once"
    return match.group(2)


def _events(body: bytes) -> dict[str, dict]:
    cal = Calendar.from_ical(body)
    out = {}
    for event in cal.walk("VEVENT"):
        out[str(event["summary"])] = {
            "uid": str(event["uid"]),
            "start": event.decoded("dtstart"),
            "end": event.decoded("dtend"),
            "description": str(event.get("description", "")),
            "dtstamp": event.decoded("dtstamp"),
        }
    return out


def test_feed_has_the_owners_tasks_at_the_right_times(users, client_for):
    rep = users["sales_rep"]
    party = make_person(rep, given_names="Lucía")
    due = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    meeting = make_task(rep, title="Demo", kind="meeting", due_at=due, duration_minutes=45, party=party.pk)
    day = timezone.localdate() + dt.timedelta(days=3)
    make_task(rep, title="Preparar oferta", all_day=True, due_date=day)
    cancelled = make_task(rep, title="Anulada")
    task_cancel(actor=actor_for(rep), task=cancelled)
    make_task(users["sales_rep_b"], title="Ajena")

    url = _feed_url(client_for(rep))
    anonymous = Client()
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert set(events) == {"Meeting: Demo", "To-do: Preparar oferta"}
    demo = events["Meeting: Demo"]
    assert demo["start"] == due and demo["start"].utcoffset() == dt.timedelta(0)
    assert demo["end"] - demo["start"] == dt.timedelta(minutes=45)
    assert demo["uid"].startswith(f"clientela-task-{meeting.pk}@")
    assert f"http://testserver/customers/{party.pk}/" in demo["description"]
    assert "Lucía" in demo["description"]
    assert isinstance(demo["dtstamp"], dt.datetime)
    allday = events["To-do: Preparar oferta"]
    assert allday["start"] == day and allday["end"] == day + dt.timedelta(days=1)
    # UIDs are stable: a second read names the same events the same way
    again = _events(anonymous.get(url).content)
    assert {k: v["uid"] for k, v in again.items()} == {k: v["uid"] for k, v in events.items()}


def test_only_a_hash_is_stored_and_regenerating_revokes_the_old_url(users, client_for):
    rep = users["sales_rep"]
    make_task(rep, title="Uno")
    client = client_for(rep)
    old = _feed_url(client)
    secret = old.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=rep)
    assert secret not in (feed.key_hash, feed.prefix) and len(feed.key_hash) == 64
    new = _feed_url(client)
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    client.post("/tasks/calendar/revoke/")
    assert Client().get(new).status_code == 404
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("token", ["cal_wrong", "nonsense", "cal_" + "x" * 43, "clt_" + "y" * 43])
def test_wrong_tokens_are_a_bare_404(users, token):
    calendar_feed_regenerate(actor=actor_for(users["sales_rep"]))
    make_task(users["sales_rep"], title="Secreta")
    response = Client().get(f"/tasks/calendar/{token}.ics")
    assert response.status_code == 404
    assert b"Secreta" not in response.content and len(response.content) == 0


def test_an_inactive_users_feed_stops(users):
    rep = users["sales_rep"]
    _feed, secret = calendar_feed_regenerate(actor=actor_for(rep))
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    assert Client().get(f"/tasks/calendar/{secret}.ics").status_code == 404


def test_calendar_page_never_shows_the_secret_again(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    url = _feed_url(client)
    page = client.get("/tasks/calendar/").content.decode()
    assert url not in page and "cal_" in page  # the prefix names it, the secret is gone
