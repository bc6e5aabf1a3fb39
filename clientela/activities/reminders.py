"""Reminders that notify: due reminders become in-app notifications; a digest email gathers them.

Both are services (callable from the ``remind`` command, the background tasks and tests) and safe to run
concurrently: a reminder is claimed with a conditional UPDATE (``reminded_at IS NULL``), so two runs never
send it twice; a digest locks its user's row, so two runs never mail the same notifications twice.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.activities.choices import NotificationKind, TaskStatus
from clientela.activities.models import Digest, Notification, Task
from clientela.activities.services import task_url

BATCH = 200


def base_url() -> str:
    """The site's address for links in emails (setting or environment ``CLIENTELA_BASE_URL``)."""
    value = getattr(settings, "CLIENTELA_BASE_URL", "") or os.environ.get("CLIENTELA_BASE_URL", "")
    return (value or "http://127.0.0.1:8000").rstrip("/")


def reminders_send_due(*, now: dt.datetime | None = None, limit: int = 10_000) -> list[Notification]:
    """Notify the assignee of every open task whose reminder time has passed and that was not reminded yet.

    Returns the notifications created by this run. Each task is claimed by an UPDATE that only succeeds
    while ``reminded_at`` is still empty, in the same transaction as its notification.
    """
    now = now or timezone.now()
    return reminders_claim(pending_reminder_ids(now=now, limit=limit), now=now)


def _pending(now: dt.datetime) -> Any:
    return Task.objects.filter(status=TaskStatus.OPEN, reminded_at__isnull=True, remind_at__lte=now)


def pending_reminder_ids(*, now: dt.datetime, limit: int = 10_000) -> list[int]:
    """Ids of the tasks whose reminder is due (read through the partial index of pending reminders)."""
    return list(_pending(now).order_by("remind_at", "id").values_list("id", flat=True)[:limit])


def reminders_claim(ids: list[int], *, now: dt.datetime) -> list[Notification]:
    """Claim each task (a conditional UPDATE that another run may already have won) and notify its
    assignee; tasks claimed elsewhere, done or cancelled meanwhile are skipped."""
    sent: list[Notification] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            claimed = [pk for pk in chunk if _pending(now).filter(pk=pk).update(reminded_at=now)]
            rows = [
                Notification(
                    recipient_id=task.assignee_id,
                    kind=NotificationKind.REMINDER,
                    title=task.title,
                    body=task.notes[:500],
                    link=task_url(task),
                    task=task,
                )
                for task in Task.objects.filter(pk__in=claimed).order_by("remind_at", "id")
            ]
            sent.extend(Notification.objects.bulk_create(rows))
    return sent


@dataclass
class DigestSent:
    """One digest email: to whom, which notifications and which of today's tasks it listed."""

    user: User
    notifications: list[Notification] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def _today_bounds(now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return today, start, start + dt.timedelta(days=1)


def digests_send(*, now: dt.datetime | None = None) -> list[DigestSent]:
    """Send each user one email with their unread notifications not mailed yet and today's open tasks.

    A user gets a digest when they have new notifications, or when they have tasks due today and no
    digest was sent to them today (so running it every few minutes does not repeat today's list).
    Written in the user's language (``user.language`` or the site's). Users without an email are skipped.
    """
    now = now or timezone.now()
    today, start, end = _today_bounds(now)
    with_news = set(
        Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    due_today = set(
        Task.objects.filter(status=TaskStatus.OPEN, due_at__gte=start, due_at__lt=end)
        .values_list("assignee_id", flat=True)
        .distinct()
    )
    already = set(Digest.objects.filter(day=today).values_list("user_id", flat=True))
    candidates = with_news | (due_today - already)
    users = User.objects.filter(pk__in=candidates, is_active=True).exclude(email="").order_by("pk")
    out: list[DigestSent] = []
    for user in users:
        sent = _digest_one(user, now=now, today=today, start=start, end=end)
        if sent is not None:
            out.append(sent)
    return out


@transaction.atomic
def _digest_one(
    user: User, *, now: dt.datetime, today: dt.date, start: dt.datetime, end: dt.datetime
) -> DigestSent | None:
    # The user's row lock serialises concurrent digest runs for this user; what they read after it is final.
    User.objects.select_for_update().filter(pk=user.pk).first()
    notifications = list(
        Notification.objects.filter(recipient=user, emailed_at__isnull=True, read_at__isnull=True)
        .select_related("task")
        .order_by("created_at", "id")
    )
    first_today = not Digest.objects.filter(user=user, day=today).exists()
    if not notifications and not first_today:
        return None
    tasks = list(
        Task.objects.filter(assignee=user, status=TaskStatus.OPEN, due_at__gte=start, due_at__lt=end)
        .select_related("party")
        .order_by("due_at", "id")
    )
    if not notifications and not tasks:
        return None
    language = (
        user.language if user.language in {c for c, _n in settings.LANGUAGES} else settings.LANGUAGE_CODE
    )
    with translation.override(language):
        context = {"user": user, "notifications": notifications, "tasks": tasks, "base_url": base_url()}
        subject = _("Clientela: %(count)s reminders and tasks for today") % {
            "count": len(notifications) + len(tasks)
        }
        text = render_to_string("activities/email/digest.txt", context)
        html = render_to_string("activities/email/digest.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    # Sent inside the transaction: if the mail server refuses, nothing is marked and the next run retries.
    message.send()
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=now)
    Digest.objects.update_or_create(user=user, day=today, defaults={"sent_at": now})
    return DigestSent(user=user, notifications=notifications, tasks=tasks)
