"""Background work of quotes: the daily expiry of sent quotes past their validity date (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from clientela.core.actor import Actor
from clientela.orders.services import quotes_expire


@task()
def quotes_expire_task() -> int:
    """Expire overdue sent quotes; idempotent (a second run finds nothing to do). Returns how many expired."""
    return quotes_expire(actor=Actor.system("quotes_expire"))
