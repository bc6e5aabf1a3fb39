"""Kinds, priorities, statuses and reminder offsets of tasks; kinds of notifications (translated)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    TODO = "todo", _("To-do")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Remind(models.TextChoices):
    """When to remind, relative to the moment the task is due."""

    NONE = "none", _("No reminder")
    AT_TIME = "at_time", _("At the due time")
    MIN_15 = "15m", _("15 minutes before")
    HOUR_1 = "1h", _("1 hour before")
    DAY_1 = "1d", _("1 day before")


REMIND_OFFSETS: dict[str, dt.timedelta] = {
    Remind.AT_TIME: dt.timedelta(0),
    Remind.MIN_15: dt.timedelta(minutes=15),
    Remind.HOUR_1: dt.timedelta(hours=1),
    Remind.DAY_1: dt.timedelta(days=1),
}

# Timed tasks are reminded 15 minutes ahead unless the user chooses otherwise; all-day tasks at the start
# of their working day (ALL_DAY_HOUR), when their due moment is.
DEFAULT_REMIND_TIMED = Remind.MIN_15
DEFAULT_REMIND_ALL_DAY = Remind.AT_TIME
ALL_DAY_HOUR = 9


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    ASSIGNED = "assigned", _("Task assigned to you")
