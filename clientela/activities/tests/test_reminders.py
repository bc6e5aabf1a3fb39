"""Reminders fire once (also when two runs overlap), digests are mailed once in the user's language, and
the ``remind`` command prints what it sent."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from clientela.activities.models import Notification, Task
from clientela.activities.reminders import (
    digests_send,
    pending_reminder_ids,
    reminders_claim,
    reminders_send_due,
)
from clientela.activities.services import task_cancel, task_update
from clientela.activities.tests.helpers import make_task
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db


def test_a_due_reminder_fires_once(users):
    rep = users["sales_rep"]
    task = make_task(rep, due_at=timezone.now() + dt.timedelta(minutes=10))  # reminder 5 minutes ago
    later = make_task(rep, title="Más tarde", due_at=timezone.now() + dt.timedelta(hours=3))
    first = reminders_send_due()
    assert [(n.task_id, n.recipient_id, n.kind) for n in first] == [(task.pk, rep.pk, "reminder")]
    assert reminders_send_due() == []
    assert Notification.objects.filter(kind="reminder").count() == 1
    task.refresh_from_db()
    assert task.reminded_at is not None
    # the later one fires when its time comes, and only then
    sent = reminders_send_due(now=later.remind_at + dt.timedelta(seconds=1))
    assert [n.task_id for n in sent] == [later.pk]


def test_overlapping_runs_never_send_twice(users):
    """Two runs read the same pending tasks; whichever claims second finds them taken and sends nothing."""
    rep = users["sales_rep"]
    make_task(rep, due_at=timezone.now() + dt.timedelta(minutes=1))
    make_task(rep, title="Otra", due_at=timezone.now() + dt.timedelta(minutes=2))
    now = timezone.now()
    seen_by_a = pending_reminder_ids(now=now)
    seen_by_b = pending_reminder_ids(now=now)
    assert len(seen_by_a) == 2 and seen_by_a == seen_by_b
    assert len(reminders_claim(seen_by_b, now=now)) == 2
    assert reminders_claim(seen_by_a, now=now) == []
    assert Notification.objects.count() == 2


def test_cancelled_done_and_no_reminder_tasks_are_not_reminded(users):
    rep = users["sales_rep"]
    soon = timezone.now() + dt.timedelta(minutes=5)
    task_cancel(actor=actor_for(rep), task=make_task(rep, due_at=soon))
    make_task(rep, due_at=soon, remind="none")
    assert reminders_send_due() == []


def test_moving_the_due_moment_rearms_the_reminder(users):
    rep = users["sales_rep"]
    task = make_task(rep, due_at=timezone.now() + dt.timedelta(minutes=5))
    assert len(reminders_send_due()) == 1
    task = task_update(
        actor=actor_for(rep),
        task=task,
        data={"due_at": (timezone.now() + dt.timedelta(minutes=10)).isoformat()},
    )
    assert len(reminders_send_due()) == 1
    assert Notification.objects.count() == 2


def test_digest_lists_notifications_and_todays_tasks_once(users):
    rep = users["sales_rep"]
    rep.language = "en"
    rep.save(update_fields=["language"])
    task = make_task(
        rep, title="Call Acme about the renewal", due_at=timezone.now() + dt.timedelta(minutes=5)
    )
    reminders_send_due()
    sent = digests_send()
    assert [d.user for d in sent] == [rep]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [rep.email]
    assert "Call Acme about the renewal" in message.body
    assert f"/tasks/{task.pk}/" in message.body
    assert "New notifications" in message.body and "Reminder" in message.body
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 1
    # nothing new: no second email today
    assert digests_send() == []
    assert len(mail.outbox) == 1


def test_digest_is_written_in_the_users_language(users):
    rep = users["sales_rep"]
    rep.language = "es"
    rep.save(update_fields=["language"])
    make_task(rep, title="Llamar a Ana", kind="call", due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    digests_send()
    message = mail.outbox[0]
    assert "Llamar a Ana" in message.body
    # rendered under Spanish: the kind's label and the date format come from the Spanish catalogue and
    # formats (this app's own sentences follow once /tmp/i18n/activities.json is merged into locale/)
    assert "Llamada: Llamar a Ana" in message.body and "Call:" not in message.body
    local = timezone.localtime(Task.objects.get().due_at)
    assert local.strftime("%d/%m/%Y") in message.body
    # and the English user next to them still gets English
    en = users["manager"]
    make_task(en, title="Ring Bob", kind="call", due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    digests_send()
    assert "Call: Ring Bob" in mail.outbox[1].body


def test_read_notifications_and_users_without_email_get_no_digest(users):
    rep = users["sales_rep"]
    make_task(rep, due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    Notification.objects.update(read_at=timezone.now())
    other = users["marketing"]
    other.email = ""
    other.save(update_fields=["email"])
    make_task(other, due_at=timezone.now() + dt.timedelta(minutes=5))
    reminders_send_due()
    sent = digests_send()
    # the rep still gets today's list once (their task is due today); the user without email gets nothing
    assert [d.user for d in sent] == [rep] and sent[0].notifications == []
    assert len(mail.outbox) == 1


def test_remind_command_prints_what_it_sent(users):
    rep = users["sales_rep"]
    task = make_task(rep, title="Visitar Acme", due_at=timezone.now() + dt.timedelta(minutes=5))
    out = StringIO()
    call_command("remind", "--digest", stdout=out)
    text = out.getvalue()
    assert f"task {task.pk}" in text and "Visitar Acme" in text
    assert "1 reminder sent." in text and "1 digest email sent." in text
    out = StringIO()
    call_command("remind", stdout=out)
    assert "0 reminders sent." in out.getvalue()


def test_remind_command_rejects_a_bad_interval():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("remind", "--loop", "-5")


def test_background_tasks_wrap_the_services(users, settings):
    from clientela.activities.tasks import send_digests, send_due_reminders

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    make_task(users["sales_rep"], due_at=timezone.now() + dt.timedelta(minutes=5))
    assert send_due_reminders.enqueue().return_value == 1
    assert send_digests.enqueue().return_value == 1


def test_remind_loop_survives_a_failed_pass(users, monkeypatch):
    from clientela.activities.management.commands import remind

    calls = {"passes": 0, "sleeps": 0}

    def flaky(**kwargs):
        calls["passes"] += 1
        if calls["passes"] == 1:
            raise RuntimeError("database went away")
        return []

    def sleep(seconds):
        calls["sleeps"] += 1
        if calls["sleeps"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(remind, "reminders_send_due", flaky)
    monkeypatch.setattr(remind.time, "sleep", sleep)
    out, err = StringIO(), StringIO()
    call_command("remind", "--loop", "30", stdout=out, stderr=err)
    assert calls["passes"] == 2
    assert "database went away" in err.getvalue()
    assert "0 reminders sent." in out.getvalue() and "Stopped." in out.getvalue()
