"""Services of tasks: create, change, complete, reopen, cancel, reassign; notifications; calendar feeds.

Each service is keyword-only, runs in one transaction, checks the actor's ``task`` scope, validates all
input before writing (one ValidationError with every field's messages) and writes the change log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.activities.choices import NotificationKind, TaskKind, TaskStatus
from clientela.activities.models import CalendarFeed, Notification, Task
from clientela.activities.validation import (
    EDITABLE,
    apply_references,
    apply_schedule,
    apply_text,
    default_team,
)
from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.events import publish
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, Scope, can, can_assign, user_scope
from clientela.parties.validation import Errors, unknown_fields

TASK_LOGGED = (
    "title",
    "notes",
    "kind",
    "due_at",
    "all_day",
    "due_date",
    "duration_minutes",
    "remind_at",
    "priority",
    "status",
    "done_at",
    "outcome",
    "assignee",
    "team",
    "party",
    "opportunity",
)
SAVED = (*TASK_LOGGED, "reminded_at", "interaction", "version", "updated_at")
FEED_PREFIX = "cal_"


def task_url(task: Task) -> str:
    return reverse("activities:detail", args=[task.pk])


def task_payload(task: Task) -> dict[str, Any]:
    """The JSON shape of the task.* events (documented in docs/tasks.md)."""
    return {"id": task.pk, **field_values(task, TASK_LOGGED)}


def _check_assign(actor: Actor, action: str, task: Task, errors: Errors) -> None:
    if actor.user is not None and not can_assign(
        actor.user, action, "task", owner_id=task.assignee_id, team_id=task.team_id
    ):
        errors.add("assignee", _("You can only assign tasks to yourself or to your teams."))


def _notify_assigned(actor: Actor, task: Task) -> None:
    if actor.user is not None and actor.user.pk == task.assignee_id:
        return
    Notification.objects.create(
        recipient_id=task.assignee_id,
        kind=NotificationKind.ASSIGNED,
        title=task.title,
        body=str(actor.display)[:200],
        link=task_url(task),
        task=task,
    )


@transaction.atomic
def task_create(*, actor: Actor, data: Mapping[str, Any]) -> Task:
    """Create a task; the assignee defaults to the actor and the reminder to 15 minutes before (timed) or
    the due moment (all-day). Assigning it outside the actor's scope is refused like any invalid field."""
    if actor.user is not None and user_scope(actor.user, "task", Action.ADD) == Scope.NONE:
        raise NotPermitted()
    errors = Errors()
    unknown_fields(data, EDITABLE, errors)
    task = Task(created_by=actor.user)
    apply_text(task, data, errors)
    apply_references(task, data, actor.user, errors)
    if task.assignee_id is None and "assignee" not in errors.by_path:
        if actor.user is None:
            errors.add("assignee", _("Choose who the task is for."))
        else:
            task.assignee = actor.user
    if "team" not in data and task.assignee_id is not None:
        task.team = default_team(task.assignee, actor.user)
    apply_schedule(task, data, errors, creating=True)
    if task.assignee_id is not None and not errors.by_path.keys() & {"assignee", "team"}:
        _check_assign(actor, Action.ADD, task, errors)
    errors.raise_if_any()
    task.save()
    record_snapshot(
        actor=actor,
        obj=task,
        aggregate=task,
        action=ChangeAction.CREATE,
        snapshot=field_values(task, TASK_LOGGED),
    )
    _notify_assigned(actor, task)
    publish("task.created", lambda: task_payload(Task.objects.get(pk=task.pk)))
    return task


def _lock(actor: Actor, task: Task, action: str, expected_version: int | None) -> Task:
    """Re-read the task under a row lock and check the actor may change it and saw its current version."""
    locked = Task.objects.select_for_update().filter(pk=task.pk).first()
    if locked is None:
        raise Task.DoesNotExist
    if actor.user is not None and not can(actor.user, action, locked):
        raise NotPermitted()
    if expected_version is not None and expected_version != locked.version:
        raise ConcurrencyConflict(expected=expected_version, current=locked.version)
    return locked


def _save(actor: Actor, task: Task, before: Mapping[str, Any]) -> Task:
    task.version += 1
    task.save(update_fields=list(SAVED))
    record_update(actor=actor, obj=task, aggregate=task, before=before, after=field_values(task, TASK_LOGGED))
    return task


@transaction.atomic
def task_update(
    *, actor: Actor, task: Task, data: Mapping[str, Any], expected_version: int | None = None
) -> Task:
    """Change the given fields; moving the due moment moves the reminder with it. Changing the assignee
    or team must keep the task inside the actor's scope; a stale ``expected_version`` changes nothing."""
    task = _lock(actor, task, Action.CHANGE, expected_version)
    errors = Errors()
    unknown_fields(data, EDITABLE, errors)
    before = field_values(task, TASK_LOGGED)
    old_assignee = task.assignee_id
    apply_text(task, data, errors)
    apply_references(task, data, actor.user, errors)
    if "assignee" in data and "team" not in data and task.assignee_id != old_assignee:
        task.team = default_team(task.assignee, actor.user)
    apply_schedule(task, data, errors, creating=False)
    if ("assignee" in data or "team" in data) and not errors.by_path.keys() & {"assignee", "team"}:
        _check_assign(actor, Action.CHANGE, task, errors)
    errors.raise_if_any()
    _save(actor, task, before)
    if task.assignee_id != old_assignee:
        _notify_assigned(actor, task)
    return task


def task_reassign(
    *, actor: Actor, task: Task, assignee: User, team: Any = None, expected_version: int | None = None
) -> Task:
    """Hand the task to someone else (and optionally another team); they get a notification. Refused (as
    an invalid ``assignee``) when the new owner lies outside the actor's scope."""
    data: dict[str, Any] = {"assignee": assignee}
    if team is not None:
        data["team"] = team
    return task_update(actor=actor, task=task, data=data, expected_version=expected_version)


# What a completed task logs on the customer's timeline: calls as calls, meetings as meetings (with the
# outcome as the conclusion), everything else as a note. Only when an outcome was written and there is a
# customer: a bare tick says nothing worth keeping in the ledger.
def _log_outcome(actor: Actor, task: Task, outcome: str) -> Any:
    from clientela.interactions.services import interaction_log, may_log

    if task.party is None or not outcome or task.party.deleted_at is not None:
        return None
    if actor.user is not None and not may_log(actor.user, task.party):
        return None
    now = timezone.now()
    if task.kind == TaskKind.CALL:
        kind, payload, when = "call", {"summary": outcome}, now
    elif task.kind == TaskKind.MEETING:
        kind = "meeting"
        payload = {"objective": task.title, "conclusion": outcome}
        when = min(task.due_at, now)
    else:
        kind, payload, when = "note", {"text": f"{task.title}\n{outcome}"}, now
    logged = interaction_log(
        actor=actor, party=task.party, kind=kind, occurred_at=when, payload=payload, user=task.assignee
    )
    return logged.interaction


@transaction.atomic
def task_complete(
    *,
    actor: Actor,
    task: Task,
    outcome: str = "",
    log_interaction: bool = True,
    expected_version: int | None = None,
) -> Task:
    """Mark an open task done (done already: nothing changes). With an outcome and a customer, the outcome
    is logged on the customer's timeline (a call for call tasks, a meeting for meetings, else a note)."""
    task = _lock(actor, task, Action.CHANGE, expected_version)
    outcome = (outcome or "").strip()
    if len(outcome) > 5000:
        raise ValidationError({"outcome": [_("Enter at most %(limit)s characters.") % {"limit": 5000}]})
    if task.status == TaskStatus.DONE:
        return task
    if task.status == TaskStatus.CANCELLED:
        raise ValidationError({"status": [_("A cancelled task cannot be completed; reopen it first.")]})
    before = field_values(task, TASK_LOGGED)
    task.status = TaskStatus.DONE
    task.done_at = timezone.now()
    task.outcome = outcome
    if log_interaction:
        try:
            task.interaction = _log_outcome(actor, task, outcome)
        except ValidationError as exc:
            raise ValidationError({"outcome": exc.messages}) from exc
    _save(actor, task, before)
    publish("task.completed", lambda: task_payload(Task.objects.get(pk=task.pk)))
    return task


@transaction.atomic
def task_reopen(*, actor: Actor, task: Task, expected_version: int | None = None) -> Task:
    """Open a done or cancelled task again (its reminder is not sent a second time)."""
    task = _lock(actor, task, Action.CHANGE, expected_version)
    if task.status == TaskStatus.OPEN:
        return task
    before = field_values(task, TASK_LOGGED)
    task.status = TaskStatus.OPEN
    task.done_at = None
    return _save(actor, task, before)


@transaction.atomic
def task_cancel(*, actor: Actor, task: Task, expected_version: int | None = None) -> Task:
    """Cancel an open task: it leaves the lists of open work and is never reminded."""
    task = _lock(actor, task, Action.CHANGE, expected_version)
    if task.status == TaskStatus.CANCELLED:
        return task
    if task.status == TaskStatus.DONE:
        raise ValidationError({"status": [_("A done task cannot be cancelled; reopen it first.")]})
    before = field_values(task, TASK_LOGGED)
    task.status = TaskStatus.CANCELLED
    return _save(actor, task, before)


# --- notifications -----------------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read (someone else's is refused)."""
    if actor.user is None or notification.recipient_id != actor.user.pk:
        raise NotPermitted()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: Actor) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    if actor.user is None:
        raise NotPermitted()
    return Notification.objects.filter(recipient=actor.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- calendar feed -----------------------------------------------------------------------------------------


def hash_feed_token(secret: str) -> str:
    """SHA-256 of the token (256 random bits: nothing to brute-force, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def calendar_feed_regenerate(*, actor: Actor) -> tuple[CalendarFeed, str]:
    """Issue a new secret feed token for the actor (the old URL stops working); the secret is returned
    once and never stored."""
    if actor.user is None:
        raise NotPermitted()
    secret = FEED_PREFIX + secrets.token_urlsafe(32)
    feed, _created = CalendarFeed.objects.update_or_create(
        user=actor.user,
        defaults={
            "prefix": secret[:10],
            "key_hash": hash_feed_token(secret),
            "created_at": timezone.now(),
            "last_used_at": None,
        },
    )
    return feed, secret


@transaction.atomic
def calendar_feed_revoke(*, actor: Actor) -> bool:
    """Turn the actor's feed off; returns whether there was one."""
    if actor.user is None:
        raise NotPermitted()
    deleted, _rows = CalendarFeed.objects.filter(user=actor.user).delete()
    return bool(deleted)
