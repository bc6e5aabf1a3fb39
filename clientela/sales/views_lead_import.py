"""The lead import page: upload a file (and optionally a mapping), run the import or a dry run, and see
the counts and the first row errors. Only for users whose lead "add" scope is "all": an import hands out
leads role-wide, as the customer imports do."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from clientela.core.actor import Actor, Source
from clientela.core.countries import country_choices
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, Scope, user_scope
from clientela.imports.mapping import MappingError
from clientela.imports.readers import ImportFileError
from clientela.sales.lead_import import LeadImportError, LeadImportResult, leads_import

SHOWN_ERRORS = 100


class LeadImportForm(forms.Form):
    """The file, an optional mapping file and whether to only check."""

    file = forms.FileField(
        label=_("File"), help_text=_("CSV, Excel (.xlsx) or JSON Lines, with a header row.")
    )
    mapping = forms.FileField(
        label=_("Mapping (optional)"),
        required=False,
        help_text=_('JSON: {"columns": {"Header": "field"}}. Without it the headers are recognised.'),
    )
    country = forms.ChoiceField(
        label=_("Country of rows without one"), required=False, choices=[("", "—"), *country_choices()]
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row, create nothing"), required=False, initial=True
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def _run(request: HttpRequest, form: LeadImportForm) -> LeadImportResult:
    """Run the import on a temporary copy of the upload (the readers stream from a path); the extension
    is kept because it tells the readers the format."""
    upload = form.cleaned_data["file"]
    mapping = form.cleaned_data["mapping"]
    suffix = Path(upload.name or "").suffix.lower()[:10]
    handle, name = tempfile.mkstemp(suffix=suffix, prefix="leads-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return leads_import(
            actor=Actor.from_request(request, source=Source.IMPORT),
            path=name,
            mapping=mapping.read() if mapping else None,
            dry_run=form.cleaned_data["dry_run"],
            source_name=upload.name or "",
            default_country=form.cleaned_data["country"] or "",
        )
    finally:
        os.unlink(name)


@login_required
def lead_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: run it and show the summary with the first row errors."""
    if user_scope(request.user, "lead", Action.ADD) != Scope.ALL:
        return render(
            request,
            "web/403.html",
            {"message": _("Only users who may add leads for everyone can import leads.")},
            status=403,
        )
    result = None
    form = LeadImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = _run(request, form)
        except MappingError as exc:
            for message in exc.messages:
                form.add_error("mapping", message)
        except (ImportFileError, LeadImportError) as exc:
            form.add_error("file", str(exc))
        except NotPermitted as exc:
            return render(request, "web/403.html", {"message": str(exc)}, status=403)
    status = 422 if form.errors else 200
    context = {
        "form": form,
        "result": result,
        "shown_errors": result.row_errors[:SHOWN_ERRORS] if result else [],
        "nav": "leads",
    }
    return render(request, "sales/leads/import.html", context, status=status)
