"""Input checks shared by the sales services: coercing values, currencies, references the actor may use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from clientela.core.permissions import Action
from clientela.interactions.payloads import check_currency
from clientela.parties.models import Party
from clientela.parties.validation import Errors


def clean_currency(value: Any, errors: Errors, path: str = "currency") -> str:
    """The ISO 4217 code, as the ledger checks it (``interactions.payloads.check_currency``)."""
    code = str(value or "").strip().upper()
    try:
        return check_currency(code)
    except ValueError:
        errors.add(path, _("Unknown currency; use an ISO 4217 code such as EUR, USD or MXN."))
        return code


def coerce(obj: models.Model, data: Mapping[str, Any], fields: Iterable[str], errors: Errors) -> None:
    """Copy the given fields onto ``obj`` through each model field's own conversion, reporting bad values
    per field (foreign keys take an id or an instance)."""
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        field: Any = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            if isinstance(value, models.Model):
                value = value.pk
            if value in ("", None):
                value = None
            elif not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
                errors.add(name, _("Enter a valid id."))
                continue
            setattr(obj, field.attname, int(value) if value is not None else None)
            continue
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if field.null:
                setattr(obj, name, None)
            elif isinstance(field, models.CharField | models.TextField):
                setattr(obj, name, "")
            else:
                errors.add(name, _("This field is required."))
            continue
        try:
            setattr(obj, name, field.to_python(value))
        except ValidationError as exc:
            for message in exc.messages:
                errors.add(name, message)


def model_checks(obj: models.Model, errors: Errors, *, exclude: Iterable[str] = ()) -> None:
    """Lengths, choices and validators of the model's fields (not uniqueness: constraints guard that)."""
    skip = set(exclude) | set(errors.by_path)
    try:
        obj.clean_fields(exclude=list(skip))
    except ValidationError as exc:
        errors.merge(exc)


def visible_party(user: Any, party_id: int | None, errors: Errors, path: str) -> Party | None:
    """The live customer ``party_id`` if ``user`` may see it; an error naming ``path`` otherwise."""
    if party_id is None:
        return None
    qs = Party.objects.filter(pk=party_id)
    if user is not None:
        qs = qs.restrict(user, Action.VIEW)
    party = qs.first()
    if party is None:
        errors.add(path, _("No customer with this id that you can see."))
    return party
