"""Task services: validation before any write, reminders derived from the due moment, permissions on
assignment, completion logging the outcome on the customer's timeline, change log and versions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.activities.choices import ALL_DAY_HOUR, TaskStatus
from clientela.activities.models import Notification, Task
from clientela.activities.services import (
    task_cancel,
    task_complete,
    task_create,
    task_reassign,
    task_reopen,
    task_update,
)
from clientela.activities.tests.helpers import make_task, soon
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ObjectChange
from clientela.interactions.models import Interaction
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return Task.objects.count(), ObjectChange.objects.count(), Notification.objects.count()


def test_create_defaults_assignee_team_and_reminder(users, team_a):
    rep = users["sales_rep"]
    due = soon(3)
    task = make_task(rep, due_at=due)
    assert task.assignee == rep and task.team == team_a
    assert task.remind_at == due - dt.timedelta(minutes=15)
    assert task.due_date == timezone.localdate(due)
    assert task.status == TaskStatus.OPEN and task.version == 1
    change = ObjectChange.objects.get(object_id=task.pk, aggregate_type="activities.task")
    assert change.action == "create" and change.new_value["title"] == "Llamar a Ana"


def test_all_day_task_is_due_at_the_start_of_the_working_day(users):
    day = timezone.localdate() + dt.timedelta(days=2)
    task = make_task(users["sales_rep"], all_day=True, due_date=day.isoformat())
    local = timezone.localtime(task.due_at)
    assert task.due_date == day and (local.hour, local.minute) == (ALL_DAY_HOUR, 0)
    assert task.remind_at == task.due_at  # all-day default: at the due moment


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"title": "  ", "due_at": "2030-01-01T10:00:00Z"}, {"title"}),
        ({"title": "x"}, {"due_at"}),
        ({"title": "x", "all_day": True}, {"due_date"}),
        ({"title": "x", "due_at": "2030-01-01T10:00:00"}, {"due_at"}),
        (
            {"title": "x", "due_at": "2030-01-01T10:00:00Z", "remind_at": "2030-01-01T11:00:00Z"},
            {"remind_at"},
        ),
        (
            {"title": "x", "due_at": "2030-01-01T10:00:00Z", "kind": "lunch", "priority": "urgent"},
            {"kind", "priority"},
        ),
        ({"title": "x", "due_at": "2030-01-01T10:00:00Z", "duration_minutes": 0}, {"duration_minutes"}),
        ({"title": "x", "due_at": "2030-01-01T10:00:00Z", "party": 999999}, {"party"}),
        ({"title": "x", "due_at": "2030-01-01T10:00:00Z", "colour": "red"}, {"colour"}),
        ({"due_at": "nonsense", "remind": "2w"}, {"title", "due_at"}),
    ],
)
def test_invalid_input_writes_nothing(users, data, fields):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        task_create(actor=actor_for(users["sales_rep"]), data=data)
    assert fields <= set(exc.value.message_dict), exc.value.message_dict
    assert _counts() == before


def test_a_customer_outside_the_scope_is_unknown(users, team_b):
    foreign = make_person(users["sales_rep_b"], team=team_b.pk)
    with pytest.raises(ValidationError) as exc:
        make_task(users["sales_rep"], party=foreign.pk)
    assert "party" in exc.value.message_dict


def test_assigning_outside_the_scope_is_refused(users):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        make_task(users["sales_rep"], assignee=users["manager"].pk)
    assert "assignee" in exc.value.message_dict
    assert _counts() == before
    # a manager may assign to a teammate, who is notified
    task = make_task(users["manager"], assignee=users["sales_rep"].pk)
    note = Notification.objects.get(task=task)
    assert note.recipient == users["sales_rep"] and note.kind == "assigned"
    # but not to another team's rep
    with pytest.raises(ValidationError):
        task_reassign(actor=actor_for(users["manager"]), task=task, assignee=users["sales_rep_b"])
    task.refresh_from_db()
    assert task.assignee == users["sales_rep"] and task.version == 1


def test_read_only_may_not_add_tasks(users):
    with pytest.raises(NotPermitted):
        make_task(users["read_only"])
    assert not Task.objects.exists()


def test_update_moves_the_reminder_with_the_due_moment_and_logs_fields(users):
    rep = users["sales_rep"]
    task = make_task(rep, remind="1h")
    gap = task.due_at - task.remind_at
    later = task.due_at + dt.timedelta(days=1)
    Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    task = task_update(
        actor=actor_for(rep), task=task, data={"due_at": later.isoformat()}, expected_version=1
    )
    assert task.due_at == later and task.due_at - task.remind_at == gap == dt.timedelta(hours=1)
    assert task.reminded_at is None  # the moved reminder will fire again
    assert task.version == 2
    assert ObjectChange.objects.filter(object_id=task.pk, action="update", field="due_at").exists()
    with pytest.raises(ConcurrencyConflict):
        task_update(actor=actor_for(rep), task=task, data={"title": "x"}, expected_version=1)


def test_others_cannot_change_a_task(users):
    task = make_task(users["sales_rep"])
    with pytest.raises(NotPermitted):
        task_update(actor=actor_for(users["sales_rep_b"]), task=task, data={"title": "HACKED"})
    with pytest.raises(NotPermitted):
        task_complete(actor=actor_for(users["marketing"]), task=task)
    task.refresh_from_db()
    assert task.title == "Llamar a Ana" and task.status == TaskStatus.OPEN


def test_complete_a_call_logs_a_call_on_the_timeline(users):
    rep = users["sales_rep"]
    party = make_person(rep)
    task = make_task(rep, kind="call", party=party.pk)
    done = task_complete(actor=actor_for(rep), task=task, outcome="Quiere un presupuesto")
    assert done.status == TaskStatus.DONE and done.done_at is not None
    call = Interaction.objects.get(pk=done.interaction_id)
    assert call.kind == "call" and call.party == party and call.summary == "Quiere un presupuesto"
    # completing again changes nothing
    again = task_complete(actor=actor_for(rep), task=done, outcome="otra")
    assert again.version == done.version and Interaction.objects.count() == 1


def test_complete_without_outcome_logs_nothing_and_other_kinds_log_notes(users):
    rep = users["sales_rep"]
    party = make_person(rep)
    bare = task_complete(actor=actor_for(rep), task=make_task(rep, party=party.pk))
    assert bare.interaction_id is None and not Interaction.objects.exists()
    noted = task_complete(actor=actor_for(rep), task=make_task(rep, party=party.pk), outcome="Enviado")
    assert Interaction.objects.get(pk=noted.interaction_id).kind == "note"


def test_reopen_and_cancel(users):
    rep = users["sales_rep"]
    task = make_task(rep)
    task = task_cancel(actor=actor_for(rep), task=task)
    assert task.status == TaskStatus.CANCELLED
    with pytest.raises(ValidationError):
        task_complete(actor=actor_for(rep), task=task)
    task = task_reopen(actor=actor_for(rep), task=task)
    assert task.status == TaskStatus.OPEN and task.done_at is None
    statuses = list(
        ObjectChange.objects.filter(object_id=task.pk, field="status").values_list("new_value", flat=True)
    )
    assert statuses == ["cancelled", "open"]
