"""The iCalendar document of a user's tasks (RFC 5545), built with the ``icalendar`` library.

Timed tasks and meetings are VEVENTs in UTC (meetings last their duration, other tasks 15 minutes);
all-day tasks are all-day VEVENTs (a DATE start and the next day as end), which every calendar app shows,
unlike VTODO. UIDs are stable per task, so a calendar updates an event instead of duplicating it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from clientela.activities.choices import TaskKind, TaskStatus
from clientela.activities.models import Task

DEFAULT_MINUTES = {TaskKind.MEETING: 30}
OTHER_MINUTES = 15


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def task_event(task: Task, *, host: str, party_url: str | None, task_link: str) -> Event:
    event = Event()
    event.add("uid", f"clientela-task-{task.pk}@{host}")
    event.add("dtstamp", _utc(task.updated_at or timezone.now()))
    event.add("summary", f"{task.get_kind_display()}: {task.title}")
    if task.all_day:
        event.add("dtstart", task.due_date)
        event.add("dtend", task.due_date + dt.timedelta(days=1))
    else:
        minutes = task.duration_minutes or DEFAULT_MINUTES.get(task.kind, OTHER_MINUTES)
        event.add("dtstart", _utc(task.due_at))
        event.add("dtend", _utc(task.due_at + dt.timedelta(minutes=minutes)))
    lines = [task.notes] if task.notes else []
    if party_url and task.party is not None:
        lines.append(_("Customer: %(name)s %(url)s") % {"name": task.party.display_name, "url": party_url})
    lines.append(task_link)
    event.add("description", "\n".join(lines))
    event.add("url", task_link)
    event.add("categories", [str(task.get_kind_display())])
    event.add("status", "CONFIRMED")
    if task.status == TaskStatus.DONE:
        event.add("transp", "TRANSPARENT")
    if task.status == TaskStatus.OPEN and task.remind_at is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", task.title)
        alarm.add("trigger", task.remind_at - task.due_at)
        event.add_component(alarm)
    return event


def build_calendar(
    tasks: Iterable[Task],
    *,
    host: str,
    name: str,
    absolute: Callable[[str], str],
    visible_party_ids: set[int],
) -> bytes:
    """The feed's bytes. ``absolute`` turns a path into a URL; customers the owner may no longer see are
    not named."""
    from django.urls import reverse

    cal = Calendar()
    cal.add("prodid", "-//Clientela//Tasks//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for task in tasks:
        party_url: Any = None
        if task.party_id in visible_party_ids:
            party_url = absolute(reverse("parties:detail", args=[task.party_id]))
        link = absolute(reverse("activities:detail", args=[task.pk]))
        cal.add_component(task_event(task, host=host, party_url=party_url, task_link=link))
    return cal.to_ical()
