"""Forms of the lead pages and the public web form: they shape input into the dicts the lead services
take; the services validate (lengths, email, phone, scope) and their errors are put back on the fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Team, User
from clientela.core.countries import country_choices
from clientela.parties.forms import link_messages
from clientela.sales.choices import LeadStatus
from clientela.sales.leads import LEAD_FIELDS
from clientela.sales.leads_webform import HONEYPOT, STAMP, UTM_FIELDS
from clientela.sales.models import Lead, Pipeline, Stage

TEXT_FIELDS = tuple(f for f in LEAD_FIELDS if f not in ("owner", "team"))


def _countries() -> list[tuple[str, str]]:
    return [("", "—"), *country_choices()]


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    link_messages(form)


def attach_service_errors(form: forms.Form, errors: Mapping[str, list[str]], prefix: str = "") -> None:
    """Service errors by path next to their fields ("opportunity.amount" -> the form's ``amount`` when
    ``prefix`` is "opportunity."); paths the form has no field for become form-wide errors."""
    for path, messages in errors.items():
        name = path[len(prefix) :] if prefix and path.startswith(prefix) else path
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, message)


def _char(label: Any, name: str, **kwargs: Any) -> forms.CharField:
    field: Any = Lead._meta.get_field(name)
    return forms.CharField(label=label, required=False, max_length=field.max_length, **kwargs)


class LeadForm(forms.Form):
    """A lead's details, typed in by hand (new lead) or changed (edit)."""

    given_names = _char(_("Given names"), "given_names")
    family_names = _char(_("Family names"), "family_names")
    email = _char(_("Email"), "email", widget=forms.EmailInput)
    phone = _char(_("Phone"), "phone", widget=forms.TextInput(attrs={"type": "tel"}))
    company = _char(_("Company"), "company")
    job_title = _char(_("Job title"), "job_title")
    country = forms.ChoiceField(label=_("Country"), choices=_countries, required=False)
    interest = _char(_("Interest"), "interest", help_text=_("What they asked about; names the opportunity."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    utm_source = _char(_("Campaign source"), "utm_source")
    utm_medium = _char(_("Campaign medium"), "utm_medium")
    utm_campaign = _char(_("Campaign"), "utm_campaign")
    utm_term = _char(_("Campaign term"), "utm_term")
    utm_content = _char(_("Campaign content"), "utm_content")
    referrer = _char(_("Referring page"), "referrer")
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="—",
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label="—"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_names"].widget.attrs["autocomplete"] = "off"
        _style(self)

    @staticmethod
    def initial_for(lead: Lead) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(lead, name) for name in TEXT_FIELDS}
        data.update(owner=lead.owner_id, team=lead.team_id, version=lead.version)
        return data

    def service_data(self, *, creating: bool = False) -> dict[str, Any]:
        """The dict for lead_create / lead_update; a new lead left without a team gets its owner's."""
        data: dict[str, Any] = {name: self.cleaned_data.get(name) or "" for name in TEXT_FIELDS}
        data["owner"] = self.cleaned_data.get("owner")
        team = self.cleaned_data.get("team")
        if team is not None or not creating:
            data["team"] = team
        return data


QUALIFY_STATUSES = [
    (s.value, s.label) for s in (LeadStatus.WORKING, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)
]


class QualifyForm(forms.Form):
    """Qualification: how far the lead got, a score 0-100 and why (required when disqualified)."""

    status = forms.ChoiceField(label=_("Status"), choices=QUALIFY_STATUSES, widget=forms.RadioSelect)
    score = forms.IntegerField(label=_("Score (0-100)"), required=False, min_value=0, max_value=100)
    qualification_reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=300,
        help_text=_("Required when you disqualify the lead."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            cleaned.get("status") == LeadStatus.DISQUALIFIED
            and not (cleaned.get("qualification_reason") or "").strip()
        ):
            self.add_error("qualification_reason", _("Say why the lead is disqualified."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {
            "status": self.cleaned_data["status"],
            "score": self.cleaned_data.get("score"),
            "qualification_reason": self.cleaned_data.get("qualification_reason") or "",
        }


NEW_CUSTOMER = "new"
OTHER_CUSTOMER = "other"


class ConvertForm(forms.Form):
    """Convert: the customer to attach the lead to (a likely match) or a new one, and the optional
    opportunity. ``customer`` choices are built from the matches the page shows."""

    customer = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect)
    other_party = forms.IntegerField(label=_("Another customer"), required=False, min_value=1)
    with_opportunity = forms.BooleanField(label=_("Also open an opportunity"), required=False)
    name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=18, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True), required=False, empty_label="—"
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.filter(is_active=True, is_won=False, is_lost=False).select_related("pipeline"),
        required=False,
        empty_label=_("First stage of the pipeline"),
    )

    def __init__(self, *args: Any, matches: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (str(m["party_id"]), f"{m['display_name']} ({round(float(m['probability']) * 100)}%)")
            for m in matches or []
        ]
        choices.append((OTHER_CUSTOMER, str(_("Another customer"))))
        choices.append((NEW_CUSTOMER, str(_("Create a new customer"))))
        self.fields["customer"].choices = choices
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} · {s.name}"
        _style(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("customer") == OTHER_CUSTOMER and not cleaned.get("other_party"):
            self.add_error("other_party", _("Find and choose the customer."))
        return cleaned

    def party_id(self) -> int | None:
        """The customer chosen to attach the lead to; None for a new one."""
        choice = self.cleaned_data["customer"]
        if choice == NEW_CUSTOMER:
            return None
        if choice == OTHER_CUSTOMER:
            return int(self.cleaned_data["other_party"])
        return int(choice)

    def opportunity_data(self) -> dict[str, Any] | None:
        """The opportunity fields sent (None: no opportunity); empty ones take the service's defaults."""
        if not self.cleaned_data.get("with_opportunity"):
            return None
        data: dict[str, Any] = {}
        for name in ("name", "amount", "currency", "expected_close_date", "pipeline", "stage"):
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                data[name] = value
        if "stage" in data and "pipeline" not in data:
            data["pipeline"] = data["stage"].pipeline_id
        return data


class WebLeadForm(forms.Form):
    """The public web form. ``website`` is the honeypot (hidden from people), ``ts`` the signed time the
    form was served; UTM values and the referring page ride along as hidden fields."""

    given_names = _char(_("Name"), "given_names")
    family_names = _char(_("Surname"), "family_names")
    email = forms.CharField(label=_("Email"), max_length=254, widget=forms.EmailInput)
    phone = _char(_("Phone"), "phone", widget=forms.TextInput(attrs={"type": "tel"}))
    company = _char(_("Company"), "company")
    job_title = _char(_("Job title"), "job_title")
    country = forms.ChoiceField(label=_("Country"), choices=_countries, required=False)
    interest = _char(_("I am interested in"), "interest")
    notes = forms.CharField(
        label=_("Message"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    referrer = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in UTM_FIELDS:
            self.fields[name] = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
        )
        self.fields[STAMP] = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
        autocomplete = {
            "given_names": "given-name",
            "family_names": "family-name",
            "email": "email",
            "phone": "tel",
            "company": "organization",
            "job_title": "organization-title",
            "country": "country",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        _style(self)
