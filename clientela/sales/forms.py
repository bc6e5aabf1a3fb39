"""Forms of the sales pages: they shape input for the services and show the services' errors per field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.sales.choices import ForecastCategory
from clientela.sales.models import LostReason, Pipeline, Stage


def attach(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors on the form: known fields in place, the rest at the top."""
    for path, messages in exc.message_dict.items():
        name = path.split(".")[0]
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class OpportunityForm(forms.Form):
    """An opportunity's fields; the customer is chosen by id (the page offers a search that fills it)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    party = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    organisation = forms.IntegerField(label=_("Organisation"), required=False, widget=forms.Select)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True))
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.filter(is_active=True), required=False
    )
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave empty to follow the stage."),
    )
    forecast_category = forms.ChoiceField(
        label=_("Forecast category"),
        choices=[c for c in ForecastCategory.choices if c[0] != ForecastCategory.CLOSED],
        initial=ForecastCategory.PIPELINE,
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lost_reason = forms.ModelChoiceField(
        label=_("Lost reason"), queryset=LostReason.objects.filter(is_active=True), required=False
    )
    lost_note = forms.CharField(label=_("Loss details"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def service_data(self, *, changed_only: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if changed_only and name not in self.changed_data:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            if name in ("stage", "lost_reason", "organisation", "expected_close_date") and value in (
                "",
                None,
            ):
                value = None
            if name == "probability" and value is None and not changed_only:
                continue
            data[name] = value
        if data.get("stage") is None:
            data.pop("stage", None)
        return data


class MoveForm(forms.Form):
    """A move on the board (drag and drop, keyboard or the "Move to" menu)."""

    stage = forms.IntegerField()
    version = forms.IntegerField(required=False)
    lost_reason = forms.IntegerField(required=False)
    lost_note = forms.CharField(max_length=500, required=False)


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    currency = forms.CharField(label=_("Default currency"), max_length=3, initial="EUR")
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class StageForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Stage"), max_length=100)
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("open", _("Open")), ("won", _("Won")), ("lost", _("Lost"))]
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def stage_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {
            "name": data["name"],
            "probability": data["probability"],
            "is_won": data["outcome"] == "won",
            "is_lost": data["outcome"] == "lost",
            "is_active": data.get("is_active", False),
        }
        if data.get("id"):
            out["id"] = data["id"]
        return out


StageFormSet = forms.formset_factory(StageForm, extra=1, can_delete=True)
