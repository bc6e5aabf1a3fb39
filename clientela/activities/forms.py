"""Task forms: shape and coerce the input (date and time as the user types them), then the services decide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User
from clientela.activities.choices import Priority, Remind, TaskKind
from clientela.activities.models import Task
from clientela.core.permissions import Action, Scope, user_scope, user_team_ids


def style(form: forms.Form) -> None:
    """Bootstrap classes on the widgets (the templates render fields whole)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


def assignable_users(user: Any) -> Any:
    """Users the actor may hand a task to, for the select (the service checks again)."""
    scope = user_scope(user, "task", Action.ADD)
    qs = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    if scope == Scope.ALL:
        return qs
    if scope == Scope.TEAM:
        return qs.filter(Q(teams__in=user_team_ids(user)) | Q(pk=user.pk)).distinct()
    return qs.filter(pk=user.pk)


class TaskForm(forms.Form):
    """Create or edit a task; "remind" offers the usual offsets, relative to the due moment."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.TODO)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    all_day = forms.BooleanField(label=_("All day"), required=False)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=1, max_value=24 * 60
    )
    remind = forms.ChoiceField(label=_("Reminder"), choices=Remind.choices, initial=Remind.MIN_15)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    assignee = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users(user)
        self.fields["assignee"].empty_label = _("Me")
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("due_date") and not data.get("all_day") and data.get("due_time") is None:
            self.add_error("due_time", _("Enter the time, or tick All day."))
        return data

    def service_data(self, *, creating: bool) -> dict[str, Any]:
        """The cleaned values as the services take them (an aware due moment, or a date when all day)."""
        d = self.cleaned_data
        out: dict[str, Any] = {
            "title": d["title"],
            "kind": d["kind"],
            "priority": d["priority"],
            "notes": d.get("notes", ""),
            "all_day": bool(d.get("all_day")),
            "duration_minutes": d.get("duration_minutes"),
            "remind": d["remind"],
        }
        if out["all_day"]:
            out["due_date"] = d["due_date"]
        else:
            out["due_at"] = timezone.make_aware(dt.datetime.combine(d["due_date"], d["due_time"]))
        if d.get("assignee") is not None:
            out["assignee"] = d["assignee"]
        if creating and d.get("party"):
            out["party"] = d["party"]
        return out

    def attach(self, errors: Mapping[str, Any]) -> None:
        """Put the service's messages on the matching fields (the due moment on the date and time)."""
        mapping = {"due_at": "due_time", "remind_at": "remind", "team": "assignee"}
        for name, messages in errors.items():
            field = mapping.get(name, name)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def initial_for(task: Task) -> dict[str, Any]:
    """The edit form's values from a task; the reminder as the offset it is closest to."""
    local = timezone.localtime(task.due_at)
    remind = Remind.NONE
    if task.remind_at is not None:
        delta = task.due_at - task.remind_at
        offsets = {
            dt.timedelta(0): Remind.AT_TIME,
            dt.timedelta(minutes=15): Remind.MIN_15,
            dt.timedelta(hours=1): Remind.HOUR_1,
            dt.timedelta(days=1): Remind.DAY_1,
        }
        remind = offsets.get(delta, min(offsets.items(), key=lambda kv: abs(kv[0] - delta))[1])
    return {
        "title": task.title,
        "kind": task.kind,
        "due_date": task.due_date,
        "due_time": None if task.all_day else local.time().replace(second=0, microsecond=0),
        "all_day": task.all_day,
        "duration_minutes": task.duration_minutes,
        "remind": remind,
        "priority": task.priority,
        "assignee": task.assignee_id,
        "notes": task.notes,
        "version": task.version,
    }


class QuickAddForm(forms.Form):
    """One line on "my day": what, when (today by default) and the kind."""

    title = forms.CharField(label=_("New task"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.TODO)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        day = d.get("due_date") or timezone.localdate()
        out: dict[str, Any] = {"title": d["title"], "kind": d["kind"]}
        if d.get("due_time") is None:
            out.update(all_day=True, due_date=day)
        else:
            out["due_at"] = timezone.make_aware(dt.datetime.combine(day, d["due_time"]))
        return out
