"""Reads of tasks and notifications: "my day", the filtered task list (keyset pages), the customer's open
tasks, the bell's unread count and the calendar feed's owner. Each owns its joins; tests pin their queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date

from clientela.activities.choices import TaskKind, TaskStatus
from clientela.activities.models import CalendarFeed, Notification, Task
from clientela.activities.services import hash_feed_token
from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action

LIST_ORDER = ("due_at", "id")
LIST_KINDS = ("datetime", "int")
NOTIFICATION_ORDER = ("-created_at", "-id")
UPCOMING_DAYS = 7
MY_DAY_LIMIT = 300


def tasks_for_user(user: Any, action: str = Action.VIEW) -> QuerySet[Task]:
    """Every task the user may see (or act on), with what the lists show."""
    return Task.objects.restrict(user, action).select_related("assignee", "party", "team", "opportunity")


def task_detail(*, user: Any, pk: int) -> Task:
    task = tasks_for_user(user).filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def day_bounds(now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """Today in the current time zone, and the moments it starts and ends."""
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return today, start, start + dt.timedelta(days=1)


def is_overdue(task: Task, now: dt.datetime, today: dt.date) -> bool:
    """Open and past due: an all-day task once its day is over, a timed one once its moment has passed."""
    if task.status != TaskStatus.OPEN:
        return False
    return task.due_date < today if task.all_day else task.due_at < now


@dataclass
class MyDay:
    """The sections of the "my day" page."""

    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    meetings: list[Any] = field(default_factory=list)
    now: dt.datetime | None = None


def my_day(*, user: Any, now: dt.datetime | None = None) -> MyDay:
    """The user's open tasks that are overdue, due today (with those done today) or in the next 7 days,
    plus the meetings logged as scheduled today with their customers: two queries."""
    from clientela.interactions.choices import Kind
    from clientela.interactions.selectors import interactions_for_user

    now = now or timezone.now()
    today, start, end = day_bounds(now)
    horizon = start + dt.timedelta(days=UPCOMING_DAYS + 1)
    rows = list(
        Task.objects.filter(assignee=user)
        .filter(Q(status=TaskStatus.OPEN, due_at__lt=horizon) | Q(status=TaskStatus.DONE, done_at__gte=start))
        .select_related("party")
        .order_by("due_at", "id")[:MY_DAY_LIMIT]
    )
    out = MyDay(now=now)
    for task in rows:
        if is_overdue(task, now, today):
            out.overdue.append(task)
        elif task.due_date == today or task.status == TaskStatus.DONE:
            out.today.append(task)
        else:
            out.upcoming.append(task)
    out.meetings = list(
        interactions_for_user(user)
        .filter(kind=Kind.MEETING, user=user, occurred_at__gte=start, occurred_at__lt=end)
        .select_related("party")
        .order_by("occurred_at", "id")[:50]
    )
    return out


@dataclass(frozen=True)
class TaskFilter:
    """The task list's filters, read from the query string; bad values are dropped and reported."""

    status: str = TaskStatus.OPEN
    assignee: int | None = None
    party: int | None = None
    kind: str = ""
    due_after: dt.date | None = None
    due_before: dt.date | None = None
    invalid: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Any], user: Any) -> TaskFilter:
        invalid: list[str] = []
        status = params.get("status", TaskStatus.OPEN) or ""
        if status not in (*TaskStatus.values, "all"):
            invalid.append("status")
            status = TaskStatus.OPEN

        def number(name: str) -> int | None:
            raw = params.get(name) or ""
            if raw == "me" and name == "assignee":
                return int(user.pk)
            if not raw:
                return None
            if not str(raw).isdigit() or len(str(raw)) > 18:
                invalid.append(name)
                return None
            return int(raw)

        def day(name: str) -> dt.date | None:
            raw = params.get(name) or ""
            if not raw:
                return None
            parsed = parse_date(raw) if len(raw) <= 10 else None
            if parsed is None:
                invalid.append(name)
            return parsed

        kind = params.get("kind") or ""
        if kind and kind not in TaskKind.values:
            invalid.append("kind")
            kind = ""
        return cls(
            status=status,
            assignee=number("assignee"),
            party=number("party"),
            kind=kind,
            due_after=day("due_after"),
            due_before=day("due_before"),
            invalid=tuple(invalid),
        )

    def apply(self, qs: QuerySet[Task]) -> QuerySet[Task]:
        if self.status != "all":
            qs = qs.filter(status=self.status)
        if self.assignee is not None:
            qs = qs.filter(assignee_id=self.assignee)
        if self.party is not None:
            qs = qs.filter(party_id=self.party)
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.due_after is not None:
            qs = qs.filter(due_date__gte=self.due_after)
        if self.due_before is not None:
            qs = qs.filter(due_date__lte=self.due_before)
        return qs


def task_list(*, user: Any, filters: TaskFilter, cursor: str | None = None, size: int = 50) -> Page:
    """One keyset page of the tasks the user may see, soonest due first (one query)."""
    qs = filters.apply(tasks_for_user(user))
    return keyset_page(qs, ordering=LIST_ORDER, kinds=LIST_KINDS, cursor=cursor, size=size)


def customer_open_tasks(*, user: Any, party_id: int, limit: int = 5) -> list[Task]:
    """The open tasks about a customer the user may see, soonest first."""
    return list(
        Task.objects.restrict(user, Action.VIEW)
        .filter(party_id=party_id, status=TaskStatus.OPEN)
        .select_related("assignee")
        .order_by("due_at", "id")[:limit]
    )


def unread_count(*, user: Any) -> int:
    """The bell's number: one COUNT over the partial index of unread rows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user: Any, cursor: str | None = None, size: int = 50, unread: bool = False) -> Page:
    """One keyset page of the user's notifications, newest first (one query)."""
    qs = Notification.objects.filter(recipient=user).select_related("task")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return keyset_page(qs, ordering=NOTIFICATION_ORDER, kinds=LIST_KINDS, cursor=cursor, size=size)


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed (with its active user) a secret token opens, or None."""
    if not token.startswith("cal_") or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(key_hash=hash_feed_token(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed


def feed_tasks(*, user: Any, now: dt.datetime | None = None, limit: int = 2000) -> list[Task]:
    """The tasks a user's calendar shows: assigned to them and still visible to them, open or done, from
    60 days ago on (cancelled ones drop out of the calendar)."""
    now = now or timezone.now()
    return list(
        Task.objects.restrict(user, Action.VIEW)
        .filter(assignee=user, due_at__gte=now - dt.timedelta(days=60))
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("party")
        .order_by("due_at", "id")[:limit]
    )
