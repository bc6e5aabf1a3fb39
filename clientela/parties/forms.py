"""Forms shape what the browser sends into the dicts the services take; the services do the validating."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Team, User
from clientela.core.countries import country_choices
from clientela.parties.choices import ContactKind, ContactLabel, LifecycleStatus, PartyKind, SocialNetwork
from clientela.parties.models import Party

PARTY_TEXT_FIELDS = (
    "given_names",
    "family_name_1",
    "family_name_2",
    "legal_name",
    "trade_name",
    "display_name",
    "tax_id",
    "country",
    "birth_date",
    "language",
    "notes",
)
CONTACT_FIELDS = (
    "kind",
    "label",
    "value",
    "social_network",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
)


def link_messages(form: forms.Form) -> None:
    """Point every input at its error slot (always rendered, so instant validation can fill it later) and at its
    help text; the ids match the ones the templates give those elements."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        html_name = form.add_prefix(name)
        ids = [f"err-{html_name}", *([f"help-{html_name}"] if field.help_text else [])]
        field.widget.attrs["aria-describedby"] = " ".join(ids)


def _countries() -> list[tuple[str, str]]:
    return [("", "—"), *country_choices()]


def _languages() -> list[tuple[str, str]]:
    return [("", "—"), *((code, str(name)) for code, name in settings.LANGUAGES)]


class PartyForm(forms.Form):
    """The fields of a person or organisation (which ones show depends on the kind)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PartyKind.choices)
    status = forms.ChoiceField(label=_("Lifecycle status"), choices=LifecycleStatus.choices)
    given_names = forms.CharField(label=_("Given names"), required=False)
    family_name_1 = forms.CharField(label=_("First family name"), required=False)
    family_name_2 = forms.CharField(label=_("Second family name"), required=False)
    legal_name = forms.CharField(label=_("Legal name"), required=False)
    trade_name = forms.CharField(label=_("Trade name"), required=False)
    display_name = forms.CharField(
        label=_("Display name"), required=False, help_text=_("Leave empty to build it from the names.")
    )
    tax_id = forms.CharField(label=_("Tax id"), required=False, help_text=_("NIF/CIF/NIE, RFC, CUIT, NIT..."))
    country = forms.ChoiceField(label=_("Country"), choices=_countries, required=False)
    birth_date = forms.CharField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.ChoiceField(label=_("Language"), choices=_languages, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))
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
        self.fields["kind"].widget.attrs["data-party-kind"] = "1"
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)
        self.fields["given_names"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name_1"].widget.attrs["autocomplete"] = "family-name"
        link_messages(self)

    @staticmethod
    def initial_for(party: Party) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(party, name) or "" for name in PARTY_TEXT_FIELDS}
        data.update(
            kind=party.kind,
            status=party.status,
            birth_date=party.birth_date.isoformat() if party.birth_date else "",
            tags=", ".join(t.name for t in party.tags.all()),
            owner=party.owner_id,
            team=party.team_id,
            version=party.version,
        )
        if party.display_name == party.derived_display_name():
            data["display_name"] = ""
        return data

    def service_data(self) -> dict[str, Any]:
        """The dict for party_create / party_update (raw strings: the service validates and explains)."""
        raw = self.data
        data: dict[str, Any] = {
            "kind": raw.get("kind", ""),
            "status": raw.get("status") or LifecycleStatus.LEAD,
        }
        for name in PARTY_TEXT_FIELDS:
            data[name] = raw.get(name, "")
        data["tags"] = [t.strip() for t in raw.get("tags", "").split(",") if t.strip()]
        owner = self.cleaned_data.get("owner") if hasattr(self, "cleaned_data") else None
        team = self.cleaned_data.get("team") if hasattr(self, "cleaned_data") else None
        data["owner"] = owner
        data["team"] = team
        return data


class ContactPointForm(forms.Form):
    """One contact point row; an existing one carries its id, and DELETE removes it."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    label = forms.ChoiceField(label=_("Label"), choices=ContactLabel.choices, required=False)
    value = forms.CharField(label=_("Value"), required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)
    social_network = forms.ChoiceField(
        label=_("Network"), choices=[("", "—"), *SocialNetwork.choices], required=False
    )
    street = forms.CharField(label=_("Street"), required=False)
    postal_code = forms.CharField(label=_("Postal code"), required=False)
    city = forms.CharField(label=_("City"), required=False)
    region = forms.CharField(label=_("Region"), required=False)
    country = forms.ChoiceField(label=_("Country"), choices=_countries, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            elif isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")
        link_messages(self)

    def item(self) -> dict[str, Any] | None:
        """The service item for this row, or None for an untouched blank row."""
        raw = {name: self.data.get(self.add_prefix(name), "") for name in (*CONTACT_FIELDS, "id")}
        deleted = self.data.get(self.add_prefix("DELETE")) in ("on", "true", "1")
        primary = self.data.get(self.add_prefix("is_primary")) in ("on", "true", "1")
        cp_id = raw.pop("id")
        if cp_id:
            return {"id": cp_id, "delete": True} if deleted else {"id": cp_id, **raw, "is_primary": primary}
        if deleted or not any(raw[k] for k in ("value", "street", "postal_code", "city")):
            return None
        return {**raw, "label": raw["label"] or ContactLabel.WORK, "is_primary": primary}


ContactPointFormSet = forms.formset_factory(ContactPointForm, extra=0, can_delete=True)


def contact_items(formset: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """Service items from the formset, and for each item the index of the form it came from."""
    items: list[dict[str, Any]] = []
    origin: list[int] = []
    for index, form in enumerate(formset.forms):
        item = form.item()
        if item is not None:
            items.append(item)
            origin.append(index)
    return items, origin


def attach_errors(form: PartyForm, formset: Any, origin: list[int], errors: Mapping[str, list[str]]) -> None:
    """Put service errors (paths like "given_names" or "contact_points.1.value") next to their fields."""
    names_missing = "given_names" in errors or "legal_name" in errors
    for path, messages in errors.items():
        if path == "display_name" and names_missing and not form.data.get("display_name"):
            continue  # the display name was left to be derived: "enter a name" already says what to do
        parts = path.split(".")
        if (
            parts[0] == "contact_points"
            and len(parts) >= 2
            and parts[1].isdigit()
            and int(parts[1]) < len(origin)
        ):
            target = formset.forms[origin[int(parts[1])]]
            name = parts[2] if len(parts) > 2 and parts[2] in target.fields else None
            for message in messages:
                target.add_error(name, message)
        else:
            name = parts[0] if parts[0] in form.fields else None
            for message in messages:
                form.add_error(name, message)
