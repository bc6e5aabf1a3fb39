"""Checking task input: every problem collected per field (``Errors``) before anything is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from clientela.accounts.models import Team, User
from clientela.activities.choices import (
    ALL_DAY_HOUR,
    DEFAULT_REMIND_ALL_DAY,
    DEFAULT_REMIND_TIMED,
    REMIND_OFFSETS,
    Priority,
    Remind,
    TaskKind,
)
from clientela.activities.models import Task
from clientela.core.permissions import Action
from clientela.parties.models import Party
from clientela.parties.validation import Errors
from clientela.sales.models import Opportunity

TEXT_FIELDS = ("title", "notes", "kind", "priority")
EDITABLE = (
    *TEXT_FIELDS,
    "due_at",
    "all_day",
    "due_date",
    "duration_minutes",
    "remind",
    "remind_at",
    "assignee",
    "team",
    "party",
    "opportunity",
)
MAX_DURATION = 24 * 60
UNSET: Any = object()


def _pk(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _datetime(value: Any, path: str, errors: Errors) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            errors.add(path, _("Enter a date and time like 2025-12-31T10:30:00+01:00."))
            return None
        value = parsed
    if not isinstance(value, dt.datetime):
        errors.add(path, _("Enter a date and time."))
        return None
    if timezone.is_naive(value):
        errors.add(path, _("Give the time zone (for example +01:00 or Z)."))
        return None
    return value


def _date(value: Any, path: str, errors: Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    parsed = parse_date(str(value).strip()) if isinstance(value, str) else None
    if parsed is None:
        errors.add(path, _("Enter a valid date (YYYY-MM-DD)."))
    return parsed


def all_day_moment(day: dt.date) -> dt.datetime:
    """When an all-day task is due: the start of the working day in the server's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(ALL_DAY_HOUR)))


def apply_text(task: Task, data: Mapping[str, Any], errors: Errors) -> None:
    for name in TEXT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.add(name, _("Enter text."))
            continue
        setattr(task, name, value.strip())
    if not task.title:
        errors.add("title", _("Enter a title."))
    elif len(task.title) > 200:
        errors.add("title", _("Enter at most %(limit)s characters.") % {"limit": 200})
    if len(task.notes) > 10000:
        errors.add("notes", _("Enter at most %(limit)s characters.") % {"limit": 10000})
    if task.kind not in TaskKind.values:
        errors.add("kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(TaskKind.values)})
    if task.priority not in Priority.values:
        errors.add("priority", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Priority.values)})


def apply_schedule(task: Task, data: Mapping[str, Any], errors: Errors, *, creating: bool) -> None:
    """Due moment, all-day flag, duration and reminder; ``reminded_at`` is cleared when the reminder moves."""
    old_due, old_remind = task.due_at, task.remind_at
    schedule_keys = {"due_at", "all_day", "due_date"}
    if "all_day" in data:
        if not isinstance(data["all_day"], bool):
            errors.add("all_day", _("Enter true or false."))
        else:
            task.all_day = data["all_day"]
    if creating or schedule_keys & set(data):
        due_at = _datetime(data["due_at"], "due_at", errors) if "due_at" in data else UNSET
        due_date = _date(data["due_date"], "due_date", errors) if "due_date" in data else UNSET
        if task.all_day:
            day = due_date if due_date is not UNSET else None
            if day is None and due_at not in (UNSET, None):
                day = timezone.localdate(due_at)
            if day is None and not creating and due_date is UNSET and due_at is UNSET:
                day = task.due_date
            if day is None:
                if "due_date" not in errors.by_path:
                    errors.add("due_date", _("Enter the due date."))
            else:
                task.due_date = day
                task.due_at = all_day_moment(day)
        else:
            moment = due_at if due_at is not UNSET else (None if creating else task.due_at)
            if moment is None:
                if "due_at" not in errors.by_path:
                    errors.add("due_at", _("Enter the due date and time."))
            else:
                task.due_at = moment
                task.due_date = timezone.localdate(moment)
    if "duration_minutes" in data:
        value = data["duration_minutes"]
        if value in (None, ""):
            task.duration_minutes = None
        else:
            minutes = _as_int(value)
            if minutes is None or not 0 < minutes <= MAX_DURATION:
                errors.add(
                    "duration_minutes",
                    _("Enter a number of minutes between 1 and %(limit)s.") % {"limit": MAX_DURATION},
                )
            else:
                task.duration_minutes = minutes
    if errors.by_path.keys() & {"due_at", "due_date", "all_day"}:
        return
    _apply_reminder(task, data, errors, creating=creating, old_due=old_due)
    if task.remind_at != old_remind or task.due_at != old_due:
        task.reminded_at = None


def _apply_reminder(
    task: Task, data: Mapping[str, Any], errors: Errors, *, creating: bool, old_due: dt.datetime | None
) -> None:
    if "remind_at" in data:
        task.remind_at = _datetime(data["remind_at"], "remind_at", errors)
    elif "remind" in data or creating:
        choice = data.get("remind") or (DEFAULT_REMIND_ALL_DAY if task.all_day else DEFAULT_REMIND_TIMED)
        if choice not in Remind.values:
            errors.add("remind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Remind.values)})
            return
        offset = REMIND_OFFSETS.get(choice)
        task.remind_at = task.due_at - offset if offset is not None else None
        # A default reminder for something already due would only be noise; a chosen one is kept.
        if "remind" not in data and task.due_at <= timezone.now():
            task.remind_at = None
    elif task.remind_at is not None and old_due is not None and task.due_at != old_due:
        # the due moment moved: the reminder keeps its distance to it
        task.remind_at = task.due_at - (old_due - task.remind_at)
    if task.remind_at is not None and task.remind_at > task.due_at:
        errors.add("remind_at", _("The reminder cannot be after the due time."))


def apply_references(task: Task, data: Mapping[str, Any], user: Any, errors: Errors) -> None:
    """Assignee, team, customer and opportunity; the customer and opportunity must be visible to ``user``."""
    if "assignee" in data:
        pk = _as_int(_pk(data["assignee"]))
        assignee = User.objects.filter(pk=pk, is_active=True).first() if pk is not None else None
        if assignee is None:
            errors.add("assignee", _("Choose an active user."))
        else:
            task.assignee = assignee
    if "team" in data:
        value = _pk(data["team"])
        if value in (None, ""):
            task.team = None
        else:
            team_pk = _as_int(value)
            team = Team.objects.filter(pk=team_pk).first() if team_pk is not None else None
            if team is None:
                errors.add("team", _("Choose an existing team."))
            else:
                task.team = team
    if "opportunity" in data:
        value = _pk(data["opportunity"])
        if value in (None, ""):
            task.opportunity = None
        else:
            qs = (
                Opportunity.objects.all() if user is None else Opportunity.objects.restrict(user, Action.VIEW)
            )
            opp = qs.filter(pk=_as_int(value)).first() if _as_int(value) is not None else None
            if opp is None:
                errors.add("opportunity", _("Unknown opportunity."))
            else:
                task.opportunity = opp
                if "party" not in data or data["party"] in (None, ""):
                    task.party_id = opp.party_id
    if "party" in data:
        value = _pk(data["party"])
        if value in (None, ""):
            if task.opportunity_id is None:
                task.party = None
        else:
            qs = Party.objects.all() if user is None else Party.objects.restrict(user, Action.VIEW)
            party = qs.filter(pk=_as_int(value)).first() if _as_int(value) is not None else None
            if party is None:
                errors.add("party", _("Unknown customer."))
            else:
                task.party = party


def default_team(assignee: User, actor_user: Any) -> Team | None:
    """The team a new task is filed under: one the actor and the assignee share, else the assignee's first."""
    teams = list(assignee.teams.order_by("name", "id"))
    if actor_user is not None and teams:
        mine = set(actor_user.teams.values_list("id", flat=True))
        shared = [t for t in teams if t.pk in mine]
        if shared:
            return shared[0]
    return teams[0] if teams else None
