"""``/v1/tasks`` and ``/v1/notifications``: tasks (list with filters and cursor pages, create, read, change
with If-Match, complete) and the caller's notifications (list, mark read).

Input schemas only shape the request; the rules (due moment, reminders, who a task may be assigned to,
visible customers) are the services', so the API, the web pages and the CLI agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from clientela.activities import selectors, services
from clientela.activities.choices import Priority, Remind, TaskKind
from clientela.activities.models import Notification, Task
from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import (
    MAX_ID,
    READ_ERRORS,
    VERSIONED_WRITE_ERRORS,
    WRITE_ERRORS,
    InputSchema,
    PartyRef,
    TeamRef,
    UserRef,
    id_path,
)

router = Router(tags=["tasks"])


# --- schemas --------------------------------------------------------------------------------------------------


def _id(description: str) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


class TaskPatch(InputSchema):
    """The fields to change (absent ones stay as they are)."""

    title: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=10000)
    kind: TaskKind | None = None
    due_at: dt.datetime | None = Field(
        None, description="ISO 8601 with a time zone, for timed tasks (2025-03-01T10:30:00+01:00)"
    )
    all_day: bool | None = None
    due_date: dt.date | None = Field(None, description="The day of an all-day task")
    duration_minutes: int | None = Field(None, description="How long a meeting lasts (1-1440)")
    remind: Remind | None = Field(
        None, description="When to remind, relative to the due moment (default: 15m timed, at_time all-day)"
    )
    remind_at: dt.datetime | None = Field(None, description="An exact reminder moment (null: no reminder)")
    priority: Priority | None = None
    assignee: int | None = _id("The user who must do it (default: you)")
    team: int | None = _id("The team it belongs to (default: one you share with the assignee)")
    party: int | None = _id("The customer it is about")
    opportunity: int | None = _id("The opportunity it is about (its customer is used when none is given)")


class TaskIn(TaskPatch):
    """A new task: a title and a due moment (``due_at``, or ``all_day`` with ``due_date``)."""

    title: str = Field(..., max_length=200)  # type: ignore[assignment]


class TaskOut(Schema):
    """A task as the API shows it."""

    id: int
    title: str
    notes: str
    kind: str
    status: str
    priority: str
    due_at: dt.datetime
    all_day: bool
    due_date: dt.date
    duration_minutes: int | None
    remind_at: dt.datetime | None
    reminded_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: str
    assignee: UserRef
    team: TeamRef | None
    party: PartyRef | None
    opportunity_id: int | None
    interaction_id: int | None = Field(None, description="The ledger entry its outcome was logged as")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class TaskCompleteIn(InputSchema):
    """The outcome (optional); with a customer it is logged on their timeline unless ``log_interaction``
    is false (a call for call tasks, a meeting for meetings, a note otherwise)."""

    outcome: str = Field("", max_length=5000)
    log_interaction: bool = True


class TaskListQuery(Schema):
    status: Literal["open", "done", "cancelled", "all"] = Field("open", description="Default: open")
    assignee: int | None = _id("Only tasks of this user")
    party: int | None = _id("Only tasks about this customer")
    kind: TaskKind | None = None
    due_after: dt.date | None = Field(None, description="Due on or after this day")
    due_before: dt.date | None = Field(None, description="Due on or before this day")


class NotificationOut(Schema):
    """One of your notifications; ``link`` is a path in the web interface."""

    id: int
    kind: str
    title: str
    body: str
    link: str
    task_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None


class NotificationListQuery(Schema):
    unread: bool = Field(False, description="Only unread notifications")


class ReadAllOut(Schema):
    marked: int


# --- tasks ----------------------------------------------------------------------------------------------------


def _detail(request: HttpRequest, response: HttpResponse, pk: int) -> Task:
    task = selectors.task_detail(user=request.user, pk=pk)
    with_etag(response, task)
    return task


@router.get(
    "/tasks",
    response={200: Paged[TaskOut], **READ_ERRORS},
    operation_id="tasks_list",
    summary="List tasks",
)
def tasks_list(
    request: HttpRequest,
    filters: Query[TaskListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Tasks the user may see, soonest due first, one keyset page at a time (open ones by default)."""
    task_filter = selectors.TaskFilter(
        status=filters.status,
        assignee=filters.assignee,
        party=filters.party,
        kind=filters.kind.value if filters.kind else "",
        due_after=filters.due_after,
        due_before=filters.due_before,
    )
    page = selectors.task_list(user=request.user, filters=task_filter, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/tasks", response={201: TaskOut, **WRITE_ERRORS}, operation_id="tasks_create", summary="Create a task"
)
def tasks_create(request: HttpRequest, response: HttpResponse, payload: TaskIn) -> Any:
    """Create a task. 422 lists every invalid field (a missing due moment, a reminder after it, a
    customer you cannot see, an assignee outside your scope); 403 when your role may not add tasks."""
    data = payload.model_dump(mode="json", exclude_unset=True)
    task = services.task_create(actor=request_actor(request), data=data)
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{task.pk}")
    return Status(201, _detail(request, response, task.pk))


@router.get(
    "/tasks/{task_id}",
    response={200: TaskOut, **READ_ERRORS},
    operation_id="tasks_get",
    summary="Read a task",
)
def tasks_get(request: HttpRequest, response: HttpResponse, task_id: int = id_path()) -> Any:
    """One task (with its ETag)."""
    return _detail(request, response, task_id)


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, **VERSIONED_WRITE_ERRORS},
    operation_id="tasks_update",
    summary="Change a task",
)
def tasks_update(
    request: HttpRequest, response: HttpResponse, payload: TaskPatch, task_id: int = id_path()
) -> Any:
    """Change the fields sent; a new ``assignee`` must stay inside your scope. With ``If-Match``, a stale
    version is a 412 and nothing changes."""
    task = selectors.task_detail(user=request.user, pk=task_id)
    version = expected_version(request, task)
    data = payload.model_dump(mode="json", exclude_unset=True)
    services.task_update(actor=request_actor(request), task=task, data=data, expected_version=version)
    return _detail(request, response, task.pk)


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **VERSIONED_WRITE_ERRORS},
    operation_id="tasks_complete",
    summary="Mark a task done",
)
def tasks_complete(
    request: HttpRequest, response: HttpResponse, payload: TaskCompleteIn, task_id: int = id_path()
) -> Any:
    """Mark the task done (already done: unchanged). With an outcome and a customer, the outcome is logged
    on the customer's timeline. With ``If-Match``, a stale version is a 412."""
    task = selectors.task_detail(user=request.user, pk=task_id)
    services.task_complete(
        actor=request_actor(request),
        task=task,
        outcome=payload.outcome,
        log_interaction=payload.log_interaction,
        expected_version=expected_version(request, task),
    )
    return _detail(request, response, task.pk)


# --- notifications --------------------------------------------------------------------------------------------


@router.get(
    "/notifications",
    response={200: Paged[NotificationOut], **READ_ERRORS},
    operation_id="notifications_list",
    summary="List my notifications",
    tags=["notifications"],
)
def notifications_list(
    request: HttpRequest,
    filters: Query[NotificationListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Your notifications (task reminders, tasks assigned to you), newest first."""
    page = selectors.notification_list(user=request.user, cursor=cursor, size=limit, unread=filters.unread)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
    operation_id="notifications_read",
    summary="Mark a notification read",
    tags=["notifications"],
)
def notifications_read(request: HttpRequest, notification_id: int = id_path()) -> Any:
    """Mark one of your notifications read (someone else's: 404)."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=request.user.pk).first()
    if notification is None:
        raise Http404
    return services.notification_mark_read(actor=request_actor(request), notification=notification)


@router.post(
    "/notifications/read-all",
    response={200: ReadAllOut, **WRITE_ERRORS},
    operation_id="notifications_read_all",
    summary="Mark all my notifications read",
    tags=["notifications"],
)
def notifications_read_all(request: HttpRequest) -> Any:
    """Mark every unread notification of yours read; answers how many."""
    return {"marked": services.notifications_mark_all_read(actor=request_actor(request))}
