"""Helpers of the activities tests: tasks made through the service, at fixed moments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from clientela.activities.models import Task
from clientela.activities.services import task_create
from clientela.testing.factories import actor_for


def soon(hours: float = 2) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def make_task(user: Any, **data: Any) -> Task:
    """A task created by ``user`` (assigned to them unless ``assignee`` is given), due in two hours."""
    fields: dict[str, Any] = {"title": "Llamar a Ana", "due_at": soon(), **data}
    if fields.get("all_day"):
        fields.pop("due_at", None)
    return task_create(actor=actor_for(user), data=fields)
