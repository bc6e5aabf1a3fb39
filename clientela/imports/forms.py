"""Forms of the import wizard: the upload (file, source, records, mode) and the column mapping.

They shape what the browser sends into what the pipeline takes: a stored file and a mapping in its
documented JSON shape (``{"columns": {...}, "options": {...}}``), which ``parse_mapping`` validates.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.countries import country_choices
from clientela.core.models import SourceKind, SourceSystem
from clientela.imports.fields import FIELD_HELP, IDENTIFYING_FIELDS, fields_for
from clientela.imports.jobs import source_for
from clientela.imports.models import Entity, Mode
from clientela.imports.readers import TOO_BIG, ImportFileError, Limits, detect_format
from clientela.interactions.choices import Kind

# Short names of the canonical fields for the mapping screen (FIELD_HELP explains each one).
FIELD_LABELS: dict[str, dict[str, Any]] = {
    "parties": {
        "external_id": gettext_lazy("Customer code in the source"),
        "kind": gettext_lazy("Kind"),
        "full_name": gettext_lazy("Full name"),
        "given_name": gettext_lazy("Given names"),
        "family_name": gettext_lazy("Family names"),
        "organisation_name": gettext_lazy("Organisation name"),
        "tax_id": gettext_lazy("Tax id"),
        "email": gettext_lazy("Email"),
        "email_2": gettext_lazy("Second email"),
        "phone": gettext_lazy("Phone"),
        "mobile": gettext_lazy("Mobile"),
        "fax": gettext_lazy("Fax"),
        "website": gettext_lazy("Website"),
        "social_network": gettext_lazy("Social network"),
        "social_handle": gettext_lazy("Social network user"),
        "street": gettext_lazy("Street"),
        "postal_code": gettext_lazy("Postal code"),
        "city": gettext_lazy("City"),
        "region": gettext_lazy("Region"),
        "country": gettext_lazy("Country"),
        "birth_date": gettext_lazy("Birth date"),
        "language": gettext_lazy("Language"),
        "owner": gettext_lazy("Owner"),
        "tags": gettext_lazy("Tags"),
        "notes": gettext_lazy("Notes"),
    },
    "interactions": {
        "external_id": gettext_lazy("Record id in the source"),
        "kind": gettext_lazy("Kind"),
        "occurred_at": gettext_lazy("Date and time"),
        "party_external_id": gettext_lazy("Customer code in the source"),
        "party_email": gettext_lazy("Customer email"),
        "party_phone": gettext_lazy("Customer phone"),
        "party_tax_id": gettext_lazy("Customer tax id"),
        "direction": gettext_lazy("Direction"),
        "channel": gettext_lazy("Channel"),
        "subject": gettext_lazy("Subject"),
        "text": gettext_lazy("Description"),
        "amount": gettext_lazy("Amount"),
        "currency": gettext_lazy("Currency"),
        "document_number": gettext_lazy("Document number"),
        "reference": gettext_lazy("Reference"),
        "product": gettext_lazy("Product"),
        "quantity": gettext_lazy("Quantity"),
        "status": gettext_lazy("Status"),
        "user": gettext_lazy("Handled by"),
        "objective": gettext_lazy("Objective"),
        "conclusion": gettext_lazy("Conclusion"),
        "duration_seconds": gettext_lazy("Duration"),
        "outcome": gettext_lazy("Outcome"),
    },
}

DELIMITERS = [
    (",", gettext_lazy("Comma (,)")),
    (";", gettext_lazy("Semicolon (;)")),
    ("tab", gettext_lazy("Tab")),
    ("|", gettext_lazy("Vertical bar (|)")),
]
ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 (BOM)"),
    ("utf-16", "UTF-16"),
    ("cp1252", "Windows-1252 (cp1252)"),
    ("latin-1", "ISO-8859-1 (latin-1)"),
]
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%y", "%d/%m/%Y %H:%M")
OPTION_FIELDS = ("kind", "delimiter", "encoding", "decimal", "date_format", "default_country",
                 "default_currency", "timezone")  # fmt: skip
_OPTION_MESSAGE = re.compile(r"^options\.(\w+):")


def field_label(entity: str, name: str) -> str:
    return str(FIELD_LABELS[entity].get(name, name))


def style(form: forms.Form) -> None:
    """Bootstrap classes, and every input pointed at its error slot and help text (ids the templates use)."""
    for name, f in form.fields.items():
        widget = f.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.RadioSelect):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
        html_name = form.add_prefix(name)
        ids = [f"err-{html_name}", *([f"help-{html_name}"] if f.help_text else [])]
        widget.attrs["aria-describedby"] = " ".join(ids)


# --- storing uploads -----------------------------------------------------------------------------------


def upload_root() -> Path:
    """Where uploaded import files are kept: MEDIA_ROOT/imports when media is configured, else var/imports."""
    media = getattr(settings, "MEDIA_ROOT", "")
    return Path(media) / "imports" if media else Path(settings.VAR_DIR) / "imports"


def store_upload(upload: UploadedFile) -> Path:
    """Write an uploaded file to ``<root>/<uuid>/<its name>`` chunk by chunk; returns the path."""
    name = get_valid_filename(Path(upload.name or "").name) or "upload"
    folder = upload_root() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=False)
    path = folder / name[-200:]
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def discard_upload(path: Path) -> None:
    """Remove a stored upload and its folder (nothing happens if they are gone)."""
    if path.parent.parent == upload_root():
        shutil.rmtree(path.parent, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def upload_problem(upload: UploadedFile) -> str | None:
    """Why the upload cannot be an import file before reading it (too big, unknown type), or None."""
    limit = Limits.from_settings().max_bytes
    if upload.size is not None and upload.size > limit:
        return _(TOO_BIG) % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
    try:
        detect_format(Path(upload.name or ""))
    except ImportFileError as exc:
        return exc.message
    return None


def posted_headers(data: Any) -> list[str]:
    """The headers a submitted mapping page showed (``hdr_0``, ``hdr_1``...), to notice when new reading
    options changed the columns."""
    out: list[str] = []
    while f"hdr_{len(out)}" in data:
        out.append(data[f"hdr_{len(out)}"])
    return out


# --- step 1: upload --------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    source = forms.ModelChoiceField(
        label=gettext_lazy("Source system"),
        queryset=SourceSystem.objects.exclude(slug=SourceSystem.MANUAL_SLUG).order_by("name"),
        required=False,
        empty_label=gettext_lazy("A new source…"),
        help_text=gettext_lazy("The department or program the file comes from."),
    )
    new_source = forms.CharField(
        label=gettext_lazy("Name of the new source (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Only when the source is not in the list, for example “Contabilidad”."),
    )
    source_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of the new source"), choices=SourceKind.choices, initial=SourceKind.OTHER
    )
    entity = forms.ChoiceField(
        label=gettext_lazy("The file holds"), choices=Entity.choices, initial=Entity.PARTIES,
        widget=forms.RadioSelect,
    )  # fmt: skip
    mode = forms.ChoiceField(
        label=gettext_lazy("Rows with errors"), choices=Mode.choices, initial=Mode.SKIP, widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Skip bad rows: import the good rows and report the others. "
            "All or nothing: import nothing when any row has an error."
        ),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(Limits.from_settings().max_bytes)
        self.fields["file"].help_text = _(
            "CSV (.csv, .txt, .tsv), Excel (.xlsx) or JSON Lines (.jsonl), up to %(limit)s."
        ) % {"limit": limit}
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.tsv,.xlsx,.jsonl,.ndjson"
        style(self)

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        problem = upload_problem(upload)
        if problem:
            raise forms.ValidationError(problem)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = (data.get("new_source") or "").strip()
        if data.get("source") is None and not name:
            self.add_error("new_source", _("Choose a source from the list or type the name of a new one."))
        elif data.get("source") is not None and name:
            self.add_error("new_source", _("Choose a source from the list or type a new name, not both."))
        return data

    def source_system(self) -> SourceSystem:
        """The chosen source, or the typed one (registered now if it is new)."""
        chosen = self.cleaned_data.get("source")
        if chosen is not None:
            return chosen
        return source_for(self.cleaned_data["new_source"], self.cleaned_data.get("source_kind") or None)


# --- step 2: mapping -------------------------------------------------------------------------------------


class MappingForm(forms.Form):
    """One select per column of the file (index ``col_N``, its header kept in ``hdr_N``) and the options."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind for every row (optional)"), required=False,
        help_text=gettext_lazy("Use it when the file has no column saying what each row is, e.g. only invoices."),
    )  # fmt: skip
    delimiter = forms.ChoiceField(label=gettext_lazy("Column separator"), choices=DELIMITERS, required=False)
    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding"), choices=ENCODINGS, required=False,
        help_text=gettext_lazy("If accents look wrong in the sample values, try another encoding."),
    )  # fmt: skip
    decimal = forms.ChoiceField(
        label=gettext_lazy("Decimal separator"), required=False,
        choices=[("", gettext_lazy("Detect automatically")), (",", gettext_lazy("Comma (1.234,56)")),
                 (".", gettext_lazy("Point (1,234.56)"))],
    )  # fmt: skip
    date_format = forms.CharField(label=gettext_lazy("Date format (optional)"), required=False, max_length=40)
    default_country = forms.ChoiceField(
        label=gettext_lazy("Default country (optional)"), required=False,
        help_text=gettext_lazy("For rows without a country; also reads phone numbers without a prefix."),
    )  # fmt: skip
    default_currency = forms.CharField(
        label=gettext_lazy("Default currency (optional)"), required=False, max_length=3,
        help_text=gettext_lazy("ISO code such as EUR, for amounts without a currency."),
    )  # fmt: skip
    timezone = forms.CharField(
        label=gettext_lazy("Time zone"), required=False, max_length=64,
        help_text=gettext_lazy("For dates and times without one, such as Europe/Madrid."),
    )  # fmt: skip
    save_template = forms.BooleanField(
        label=gettext_lazy("Remember this mapping for this source's next files"), required=False,
    )  # fmt: skip

    def __init__(self, *args: Any, headers: list[str], entity: str, file_format: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.entity = entity
        choices = [
            ("", _("Ignore this column")),
            *((name, field_label(entity, name)) for name in fields_for(entity)),
        ]
        for index, header in enumerate(headers):
            self.fields[f"hdr_{index}"] = forms.CharField(
                initial=header, required=False, widget=forms.HiddenInput
            )
            self.fields[f"col_{index}"] = forms.ChoiceField(label=header, choices=choices, required=False)
        if entity == Entity.INTERACTIONS:
            cast(forms.ChoiceField, self.fields["kind"]).choices = [
                ("", _("Given by a column of the file")),
                *Kind.choices,
            ]
        else:
            del self.fields["kind"]
        if file_format != "csv":
            del self.fields["delimiter"]
        if file_format == "xlsx":
            del self.fields["encoding"]
        else:
            self._add_choice("encoding", (self.initial or {}).get("encoding") or self.data.get("encoding"))
        cast(forms.ChoiceField, self.fields["default_country"]).choices = [
            ("", _("Not set")),
            *country_choices(),
        ]
        self.fields["date_format"].help_text = _(
            "For example %(format)s for 31/12/2025. Empty: dates are recognised automatically."
        ) % {"format": "%d/%m/%Y"}
        self.fields["date_format"].widget.attrs.update({"list": "date-formats", "autocomplete": "off"})
        self.fields["default_currency"].widget.attrs.update({"autocapitalize": "characters", "size": 4})
        style(self)

    def _add_choice(self, name: str, value: str | None) -> None:
        """Keep a detected value that is not among the usual choices selectable."""
        f = cast(forms.ChoiceField, self.fields[name])
        current = list(cast(list[tuple[str, str]], f.choices))
        if value and value not in {v for v, _label in current}:
            f.choices = [*current, (value, value)]

    date_formats = DATE_FORMATS

    def columns(
        self, samples: dict[str, list[str]] | None
    ) -> list[tuple[forms.BoundField, forms.BoundField, list[str]]]:
        """(select, hidden header, first values) per column of the file, in file order."""
        samples = samples or {}
        return [(self[f"col_{i}"], self[f"hdr_{i}"], samples.get(header, []))
                for i, header in enumerate(self.headers)]  # fmt: skip

    def mapping_data(self) -> dict[str, Any]:
        """The mapping in its documented shape; empty options are left out (detected or defaulted)."""
        data = self.cleaned_data
        columns = {header: data.get(f"col_{i}") or "" for i, header in enumerate(self.headers)}
        options = {name: data[name] for name in OPTION_FIELDS if name in self.fields and data.get(name)}
        return {"columns": columns, "options": options}

    def identifying_problem(self) -> str | None:
        """Rows cannot be used when no column feeds a field that identifies the customer."""
        chosen = {self.cleaned_data.get(f"col_{i}") for i in range(len(self.headers))}
        needed = IDENTIFYING_FIELDS[self.entity]
        if chosen & set(needed):
            return None
        names = ", ".join(field_label(self.entity, name) for name in needed)
        if self.entity == Entity.PARTIES:
            return _("Map at least one column to a name field: %(fields)s.") % {"fields": names}
        return _("Map at least one column that identifies the customer: %(fields)s.") % {"fields": names}

    def add_mapping_errors(self, messages: list[str]) -> None:
        """Put each message of ``parse_mapping`` next to the option or column it names."""
        by_header = {f"columns[{json.dumps(header, ensure_ascii=False)}]": f"col_{i}"
                     for i, header in enumerate(self.headers)}  # fmt: skip
        for message in messages:
            match = _OPTION_MESSAGE.match(message)
            if match and match.group(1) in self.fields:
                self.add_error(match.group(1), message.split(":", 1)[1].strip())
                continue
            target = next((name for path, name in by_header.items() if message.startswith(path + ":")), None)
            self.add_error(target, message.split(":", 1)[1].strip() if target else message)

    def field_help(self) -> list[tuple[str, str, str]]:
        """(label, canonical name, meaning) of every field, for the page's explanation."""
        return [(field_label(self.entity, name), name, str(FIELD_HELP[self.entity].get(name, "")))
                for name in fields_for(self.entity)]  # fmt: skip
