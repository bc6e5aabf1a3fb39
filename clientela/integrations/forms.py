"""Web form of a webhook subscription: shapes the input only; the service validates and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.integrations.selectors import event_types


class WebhookSubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example: ERP (production)."))
    target_url = forms.CharField(
        label=_("Target URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url", "placeholder": "https://"}),
        help_text=_("Clientela POSTs each event here as signed JSON."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Leave all unticked to receive every event, including types added later."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = self.fields["event_types"]
        assert isinstance(types, forms.MultipleChoiceField)
        # read per form: apps declare their event types at start-up, after this module is imported
        types.choices = [(name, f"{name} · {text}") for name, text in event_types()]
        for name, field in self.fields.items():
            if field.help_text:  # the shared field template renders the hint with this id
                field.widget.attrs.setdefault("aria-describedby", f"help-{name}")
            if name not in ("event_types", "is_active"):
                field.widget.attrs.setdefault("class", "form-control")
            elif name == "is_active":
                field.widget.attrs.setdefault("class", "form-check-input")

    def attach(self, exc: ValidationError) -> None:
        """Put the service's errors on the fields they name ("event_types.2" goes to event_types)."""
        for path, messages in exc.message_dict.items():
            name = path.split(".")[0]
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
