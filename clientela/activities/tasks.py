"""Background tasks (django-tasks) wrapping the reminder services: thin, idempotent and safe to run twice
(the services claim each reminder and each digest, so overlapping runs never send anything twice)."""

from __future__ import annotations

from django_tasks import task

from clientela.activities.reminders import digests_send, reminders_send_due


@task()
def send_due_reminders() -> int:
    """Turn due reminders into notifications; returns how many were sent."""
    return len(reminders_send_due())


@task()
def send_digests() -> int:
    """Mail each user their digest; returns how many emails went out."""
    return len(digests_send())
