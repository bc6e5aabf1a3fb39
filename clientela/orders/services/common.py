"""Helpers shared by the quote and order services: header checks, lines, totals and snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, to_json
from clientela.core.permissions import Action
from clientela.orders.totals import document_totals, line_amounts
from clientela.parties.models import Party
from clientela.parties.validation import Errors

LINE_FIELDS = (
    "position",
    "product",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "tax_rate",
)
TOTAL_FIELDS = ("subtotal", "discount_total", "tax_total", "total")


def party_visible(actor: Actor, party: Party | None, errors: Errors, path: str, *, required: bool) -> None:
    """The customer must exist (alive) and be visible to the acting user; else a message on ``path``."""
    if party is None:
        if required:
            errors.add(path, _("Choose a customer."))
        return
    qs = Party.objects.filter(pk=party.pk)
    if actor.user is not None:
        qs = qs.restrict(actor.user, Action.VIEW)
    if not qs.exists():
        errors.add(path, _("Unknown customer."))


def apply_totals(document: Any, lines: Sequence[Any]) -> None:
    """Set the cached totals of ``document`` and each line's ``net`` from the lines."""
    for line in lines:
        line.net = line_amounts(line.quantity, line.unit_price, line.discount_percent).net
    totals = document_totals(lines)
    for name in TOTAL_FIELDS:
        setattr(document, name, getattr(totals, name))


def build_lines(
    model: type[models.Model], parent_field: str, parent: Any, cleaned: Sequence[dict]
) -> list[Any]:
    """Unsaved line rows of ``parent`` from validated values."""
    return [model(**{parent_field: parent}, **values) for values in cleaned]


PLACES = {
    "quantity": Decimal("0.0001"),
    "unit_price": Decimal("0.0001"),
    "discount_percent": Decimal("0.01"),
    "tax_rate": Decimal("0.01"),
}


def lines_snapshot(lines: Sequence[Any]) -> list[dict[str, Any]]:
    """The lines as JSON-safe data for the change log (Decimals at their column's places, so a line read
    back from the database compares equal to the same line built from input)."""
    out = []
    for line in lines:
        row = {}
        for name in LINE_FIELDS:
            value = getattr(line, "product_id" if name == "product" else name)
            if name in PLACES and value is not None:
                value = Decimal(value).quantize(PLACES[name])
            row[name] = to_json(value)
        out.append(row)
    return out


def snapshot(document: Any, fields: Sequence[str], lines: Sequence[Any] | None) -> dict[str, Any]:
    out = field_values(document, fields)
    if lines is not None:
        out["lines"] = lines_snapshot(lines)
    return out
