"""Validation and normalisation of party and contact point input, shared by every service.

Errors are collected per field path ("given_names", "contact_points.1.value") so the UI can show each
message next to its field and the API can answer 422 with the same paths.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.countries import is_country
from clientela.parties.choices import PHONE_KINDS, ContactKind, PartyKind
from clientela.parties.models import ContactPoint, Party
from clientela.parties.normalize import (
    address_key,
    normalize_email,
    normalize_phone,
    normalize_social,
    normalize_tax_id,
    normalize_website,
)


class Errors:
    """Accumulates messages per field path; ``raise_if_any`` raises one Django ValidationError for all."""

    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = defaultdict(list)

    def add(self, path: str, message: str) -> None:
        self.by_path[path].append(str(message))

    def merge(self, exc: ValidationError, prefix: str = "") -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                key = "" if name == "__all__" else name
                for message in errors:
                    self.add(f"{prefix}{key}" if key else prefix.rstrip(".") or "__all__", message)
        else:
            for message in exc.messages:
                self.add(prefix.rstrip(".") or "__all__", message)

    def __bool__(self) -> bool:
        return bool(self.by_path)

    def raise_if_any(self) -> None:
        if self.by_path:
            raise ValidationError({k: list(v) for k, v in self.by_path.items()})


PARTY_FIELDS = (
    "kind",
    "status",
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
    "owner",
    "team",
)
CONTACT_FIELDS = (
    "kind",
    "label",
    "is_primary",
    "value",
    "social_network",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "valid_from",
    "valid_to",
    "source",
)
_STRIP = {
    f
    for f in PARTY_FIELDS + CONTACT_FIELDS
    if f not in {"birth_date", "owner", "team", "is_primary", "valid_from", "valid_to"}
}


def unknown_fields(data: Mapping[str, Any], allowed: Iterable[str], errors: Errors, prefix: str = "") -> None:
    allowed_set = set(allowed)
    for key in data:
        if key not in allowed_set:
            errors.add(f"{prefix}{key}", _("Unknown field."))


def assign(
    obj: models.Model, data: Mapping[str, Any], fields: Iterable[str], errors: Errors, prefix: str = ""
) -> None:
    """Copy the given fields onto ``obj``, coercing text and reporting values of the wrong type."""
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if name in _STRIP:
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors.add(f"{prefix}{name}", _("Enter text."))
                continue
            value = value.strip()
        field: Any = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            setattr(obj, field.attname, value.pk if isinstance(value, models.Model) else value)
            continue
        try:
            setattr(
                obj,
                name,
                field.to_python(value) if value not in (None, "") else (None if field.null else value),
            )
        except ValidationError as exc:
            errors.merge(exc, prefix=f"{prefix}{name}.")
            # leave the old value in place; full_clean must not report the same field twice
            continue


@lru_cache(maxsize=32)
def _text_fields(model: type[models.Model]) -> tuple[tuple[str, str, int | None, frozenset[str] | None], ...]:
    """(name, attname, max length, allowed choices) of a model's text fields, worked out once."""
    out = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.CharField):
            choices = frozenset(str(k) for k, _label in field.flatchoices) if field.choices else None
            out.append((field.name, field.attname, field.max_length, choices))
    return tuple(out)


def quick_field_checks(obj: models.Model, errors: Errors, prefix: str = "", skip: Iterable[str] = ()) -> None:
    """Lengths and choices of the text fields: what ``full_clean`` would report for values that are
    already strings, at a fraction of its cost (bulk imports validate every row)."""
    skipped = set(skip)
    for name, attname, max_length, choices in _text_fields(type(obj)):
        value = getattr(obj, attname)
        if name in skipped or not value or not isinstance(value, str):
            continue
        if max_length is not None and len(value) > max_length:
            errors.add(
                f"{prefix}{name}",
                MaxLengthValidator.message % {"limit_value": max_length, "show_value": len(value)},
            )
        elif choices is not None and value not in choices:
            message = models.CharField.default_error_messages["invalid_choice"]
            errors.add(f"{prefix}{name}", message % {"value": value})


def clean_party(party: Party, errors: Errors, *, model_checks: bool = True) -> None:
    """Field checks (lengths, choices, types), cross-field rules and normalisation of the tax id."""
    if party.country:
        party.country = party.country.upper()
        if not is_country(party.country):
            errors.add("country", _("Unknown country code; use a two-letter ISO code such as ES or MX."))
    if party.kind == PartyKind.PERSON:
        if not (party.given_names or party.family_name_1 or party.display_name):
            errors.add("given_names", _("Enter a given name or a family name."))
    elif party.kind == PartyKind.ORGANISATION:
        if not (party.legal_name or party.trade_name or party.display_name):
            errors.add("legal_name", _("Enter the legal name or the trade name."))
        if party.birth_date:
            errors.add("birth_date", _("Organisations have no birth date."))
    if party.birth_date and "birth_date" not in errors.by_path:
        if party.birth_date > timezone.localdate():
            errors.add("birth_date", _("The birth date cannot be in the future."))
        elif party.birth_date < dt.date(1900, 1, 1):
            errors.add("birth_date", _("The birth date is too far in the past."))
    if party.tax_id and "tax_id" not in errors.by_path:
        try:
            party.tax_id = normalize_tax_id(party.tax_id, party.country or "")
        except ValueError as exc:
            errors.add("tax_id", str(exc))
    if party.notes and len(party.notes) > 20000:
        errors.add("notes", _("Notes can have at most 20,000 characters."))
    if party.language:
        party.language = party.language.lower()
    if not party.display_name:
        party.display_name = party.derived_display_name()
    exclude = [name for name in ("tax_id", "country") if name in errors.by_path]
    if "given_names" in errors.by_path or "legal_name" in errors.by_path:
        # the missing name is already reported on the field the user fills in
        exclude.append("display_name")
    if not model_checks:
        quick_field_checks(party, errors, skip=["name_folded", *exclude])
        return
    try:
        party.full_clean(
            exclude=["name_folded", "owner", "team", "created_by", "deleted_by", *exclude],
            validate_unique=False,
        )
    except ValidationError as exc:
        already = set(errors.by_path)
        for name, messages in exc.message_dict.items():
            if name not in already:
                for message in messages:
                    errors.add(name if name != "__all__" else "__all__", message)


def clean_contact_point(
    cp: ContactPoint, party: Party, errors: Errors, prefix: str, *, model_checks: bool = True
) -> None:
    """Validate one contact point and compute its normalised matching key."""
    region = (cp.country or party.country or settings.CLIENTELA_DEFAULT_REGION).upper()
    if cp.country:
        cp.country = cp.country.upper()
        if not is_country(cp.country):
            errors.add(
                f"{prefix}country", _("Unknown country code; use a two-letter ISO code such as ES or MX.")
            )
            return
    try:
        if cp.kind == ContactKind.EMAIL:
            cp.value, cp.normalized = normalize_email(cp.value)
        elif cp.kind in PHONE_KINDS:
            phone = normalize_phone(cp.value, region)
            cp.normalized = phone.e164
            if cp.kind == ContactKind.MOBILE and phone.is_mobile is False:
                errors.add(f"{prefix}kind", _("This number is a landline; choose Landline as its kind."))
        elif cp.kind == ContactKind.WEBSITE:
            cp.value, cp.normalized = normalize_website(cp.value)
        elif cp.kind == ContactKind.SOCIAL:
            cp.value, cp.normalized = normalize_social(cp.social_network, cp.value)
        elif cp.kind == ContactKind.ADDRESS:
            if not (cp.street or cp.city or cp.postal_code):
                errors.add(f"{prefix}street", _("Enter at least the street, the postal code or the city."))
            cp.country = cp.country or region
            cp.value = ", ".join(
                p
                for p in (
                    cp.street,
                    " ".join(x for x in (cp.postal_code, cp.city) if x),
                    cp.region,
                    cp.country,
                )
                if p
            )
            cp.normalized = address_key(cp.street, cp.postal_code, cp.city, cp.country)
    except ValueError as exc:
        errors.add(
            f"{prefix}social_network"
            if cp.kind == ContactKind.SOCIAL and not cp.social_network
            else f"{prefix}value",
            str(exc),
        )
    if cp.valid_from and cp.valid_to and cp.valid_to < cp.valid_from:
        errors.add(f"{prefix}valid_to", _("The end of validity is before its start."))
    if not model_checks:
        quick_field_checks(cp, errors, prefix, skip=["normalized"])
        return
    try:
        cp.full_clean(exclude=["party", "normalized"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        already = {p for p in errors.by_path if p.startswith(prefix)}
        for name, messages in exc.message_dict.items():
            if f"{prefix}{name}" not in already:
                for message in messages:
                    errors.add(f"{prefix}{name}", message)
