"""Quick-log forms of the customer page: they shape input into payloads; the service validates like the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.interactions.choices import CallOutcome, Direction, Kind, Severity


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class QuickLogForm(forms.Form):
    """Common part: when it happened (in the user's time zone)."""

    kind: str = ""
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    payload_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_at", _now_local())
        kwargs.setdefault("prefix", self.kind)
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    # fields that take the whole row of the form (long texts); the others share it
    WIDE_FIELDS = frozenset(
        {"text", "objective", "conclusion", "summary", "description", "next_steps", "reason"}
    )

    def layout(self) -> list[tuple[forms.BoundField, bool]]:
        """Each field with whether it takes a whole row (decided here, not in the template: it is
        drawn on every customer page)."""
        return [
            (field, field.name in self.WIDE_FIELDS or isinstance(field.field.widget, forms.Textarea))
            for field in self
        ]

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    def when(self) -> dt.datetime:
        value = self.cleaned_data["occurred_at"]
        return value if timezone.is_aware(value) else timezone.make_aware(value)

    def payload(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in self.payload_fields
            if self.cleaned_data.get(name) not in (None, "")
        }

    def extra(self) -> dict[str, Any]:
        """Service arguments other than the payload (direction, channel)."""
        return {}

    def attach(self, errors: Mapping[str, list[str]]) -> None:
        """Service errors ("payload.objective", "occurred_at") next to the matching field."""
        for path, messages in errors.items():
            name = path.removeprefix("payload.").split(".")[0]
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class CallForm(QuickLogForm):
    kind = Kind.CALL
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[(Direction.OUTBOUND, _("Outgoing")), (Direction.INBOUND, _("Incoming"))],
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    duration_minutes = forms.DecimalField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=1440, decimal_places=1
    )
    phone_number = forms.CharField(label=_("Phone number"), required=False, max_length=300)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    payload_fields = ("outcome", "phone_number", "summary")

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        minutes = self.cleaned_data.get("duration_minutes")
        if minutes is not None:
            data["duration_seconds"] = int(minutes * 60)
        return data

    def extra(self) -> dict[str, Any]:
        return {"direction": self.cleaned_data["direction"]}


class MeetingForm(QuickLogForm):
    kind = Kind.MEETING
    location = forms.CharField(label=_("Place or link"), required=False, max_length=300)
    objective = forms.CharField(
        label=_("Objective"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    conclusion = forms.CharField(
        label=_("Conclusion reached"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attendees_external = forms.CharField(label=_("Attendees (comma-separated)"), required=False)
    payload_fields = ("location", "objective", "conclusion", "next_steps")

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        data["objective"] = self.cleaned_data.get("objective", "")
        people = [p.strip() for p in self.cleaned_data.get("attendees_external", "").split(",") if p.strip()]
        if people:
            data["attendees_external"] = people
        return data


class NoteForm(QuickLogForm):
    kind = Kind.NOTE
    text = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    payload_fields = ("text",)

    def payload(self) -> dict[str, Any]:
        return {"text": self.cleaned_data.get("text", "")}


class ComplaintForm(QuickLogForm):
    kind = Kind.COMPLAINT
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    product = forms.CharField(label=_("Product"), required=False, max_length=300)
    order_reference = forms.CharField(label=_("Order or invoice"), required=False, max_length=300)
    payload_fields = ("description", "severity", "product", "order_reference")

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "subject": self.cleaned_data.get("subject", "")}


class SuggestionForm(QuickLogForm):
    kind = Kind.SUGGESTION
    topic = forms.CharField(label=_("Topic"), required=False, max_length=300)
    text = forms.CharField(label=_("Suggestion"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    area = forms.CharField(label=_("Area it concerns"), required=False, max_length=300)
    payload_fields = ("text", "area")

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "topic": self.cleaned_data.get("topic", "")}


class ReturnForm(QuickLogForm):
    kind = Kind.RETURN
    reference = forms.CharField(label=_("Order or invoice"), required=False, max_length=300)
    product = forms.CharField(label=_("Product"), required=False, max_length=300)
    quantity = forms.CharField(label=_("Quantity"), required=False, initial="1")
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    refund_amount = forms.CharField(label=_("Refund"), required=False, initial="0")
    currency = forms.CharField(
        label=_("Currency"), required=False, max_length=3, initial=settings.CLIENTELA_DEFAULT_CURRENCY
    )
    payload_fields = ("reference", "reason")

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        data["lines"] = [
            {
                "product": self.cleaned_data.get("product", ""),
                "quantity": (self.cleaned_data.get("quantity") or "1").replace(",", "."),
            }
        ]
        data["refund_amount"] = (self.cleaned_data.get("refund_amount") or "0").replace(",", ".")
        data["currency"] = self.cleaned_data.get("currency", "")
        return data

    def attach(self, errors: Mapping[str, list[str]]) -> None:
        remapped: dict[str, list[str]] = {}
        for path, messages in errors.items():
            if path.startswith("payload.lines.0."):
                field = path.removeprefix("payload.lines.0.")
                path = "quantity" if field == "quantity" else "product"
            elif path == "payload.lines.0":
                path = "product"
            remapped.setdefault(path, []).extend(messages)
        super().attach(remapped)


QUICK_FORMS: dict[str, type[QuickLogForm]] = {
    form.kind: form for form in (NoteForm, CallForm, MeetingForm, ComplaintForm, SuggestionForm, ReturnForm)
}
