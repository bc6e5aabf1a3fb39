"""Validation of quote and order input, shared by every service: header fields and priced lines.

Errors are collected per field path ("valid_until", "lines.2.discount_percent"; lines counted from 0 as
in the API) and raised together, so nothing is written while anything is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from clientela.interactions.payloads import check_currency
from clientela.parties.choices import PartyKind
from clientela.parties.validation import Errors
from clientela.products.models import PriceList, Product
from clientela.products.selectors import NoPrice, prices_for
from clientela.products.services import decimal_or_error

LINE_KEYS = {
    "product",
    "product_code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "tax_rate",
}
MAX_LINES = 500


def currency_or_error(value: Any, errors: Errors, path: str = "currency") -> str:
    try:
        return check_currency(str(value or ""))
    except ValueError:
        errors.add(path, _("Enter an ISO 4217 currency code such as EUR or USD."))
        return ""


def date_or_error(value: Any, errors: Errors, path: str) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        errors.add(path, _("Enter a valid date (YYYY-MM-DD)."))
    return parsed


def check_organisation(organisation: Any, errors: Errors) -> None:
    if organisation is not None and organisation.kind != PartyKind.ORGANISATION:
        errors.add("organisation", _("Choose an organisation."))


def _products(lines: Sequence[Mapping[str, Any]]) -> tuple[dict[int, Product], dict[str, Product]]:
    """The products the lines name, by id and by code, in at most two queries."""
    ids = {line["product"] for line in lines if isinstance(line.get("product"), int)}
    loaded = {
        line["product"].pk: line["product"] for line in lines if isinstance(line.get("product"), Product)
    }
    by_id = {**loaded, **({p.pk: p for p in Product.objects.filter(pk__in=ids - set(loaded))} if ids else {})}
    codes = {str(line["product_code"]).strip() for line in lines if line.get("product_code")}
    by_code = {p.code: p for p in Product.objects.filter(code__in=codes)} if codes else {}
    return by_id, by_code


def clean_lines(
    lines: Sequence[Mapping[str, Any]],
    *,
    currency: str,
    on_date: dt.date,
    price_list: PriceList | None,
    errors: Errors,
    require_lines: bool = True,
) -> list[dict[str, Any]]:
    """Validated line values (position from 1, in order), with prices and tax rates defaulted.

    A line naming a product takes its description, unit and tax rate from it when not given, and its
    unit price from the price list (the given one, else the lists valid in ``currency`` on ``on_date``).
    """
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        errors.add("lines", _("Enter a list of lines."))
        return []
    if require_lines and not lines:
        errors.add("lines", _("Add at least one line."))
    if len(lines) > MAX_LINES:
        errors.add("lines", _("Enter at most %(limit)s items.") % {"limit": MAX_LINES})
        return []
    by_id, by_code = _products(lines)
    wanted = []
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(lines):
        path = f"lines.{n}"
        if not isinstance(raw, Mapping):
            errors.add(path, _("Enter an object."))
            continue
        for key in raw:
            if key not in LINE_KEYS:
                errors.add(f"{path}.{key}", _("Unknown field."))
        product = None
        ref = raw.get("product")
        if ref not in (None, ""):
            product = ref if isinstance(ref, Product) else by_id.get(ref) if isinstance(ref, int) else None
            if product is None:
                errors.add(f"{path}.product", _("Unknown product."))
        elif raw.get("product_code"):
            product = by_code.get(str(raw["product_code"]).strip())
            if product is None:
                errors.add(f"{path}.product_code", _("No product has this code."))
        description = str(raw.get("description") or (product.name if product else "")).strip()
        if not description:
            errors.add(f"{path}.description", _("Enter a description or choose a product."))
        elif len(description) > 500:
            errors.add(f"{path}.description", _("Enter at most %(limit)s characters.") % {"limit": 500})
        quantity = decimal_or_error(raw.get("quantity", 1), f"{path}.quantity", errors)
        if quantity is not None and quantity <= 0:
            errors.add(f"{path}.quantity", _("The quantity must be greater than zero."))
            quantity = None
        unit_price = None
        if raw.get("unit_price") not in (None, ""):
            unit_price = decimal_or_error(raw["unit_price"], f"{path}.unit_price", errors)
            if unit_price is not None and unit_price < 0:
                errors.add(f"{path}.unit_price", _("The unit price cannot be negative."))
                unit_price = None
        elif product is None and description:
            errors.add(f"{path}.unit_price", _("Enter a unit price."))
        elif product is not None:
            wanted.append((n, product))
        discount = decimal_or_error(
            raw.get("discount_percent") or 0, f"{path}.discount_percent", errors, places=2
        )
        if discount is not None and not Decimal(0) <= discount <= Decimal(100):
            errors.add(f"{path}.discount_percent", _("Enter a discount between 0 and 100%."))
        tax = raw.get("tax_rate")
        tax_rate = (
            decimal_or_error(tax, f"{path}.tax_rate", errors, places=2)
            if tax not in (None, "")
            else (product.tax_rate if product else Decimal(0))
        )
        if tax_rate is not None and not Decimal(0) <= tax_rate <= Decimal(100):
            errors.add(f"{path}.tax_rate", _("Enter a tax rate between 0 and 100%."))
        out.append(
            {
                "position": n + 1,
                "product": product,
                "description": description,
                "quantity": quantity,
                "unit": str(raw.get("unit") or (product.unit if product else ""))[:16],
                "unit_price": unit_price,
                "discount_percent": discount,
                "tax_rate": tax_rate,
            }
        )
    if wanted and currency:
        _price(out, wanted, currency=currency, on_date=on_date, price_list=price_list, errors=errors)
    return out


def _price(
    out: list[dict[str, Any]],
    wanted: list[tuple[int, Product]],
    *,
    currency: str,
    on_date: dt.date,
    price_list: PriceList | None,
    errors: Errors,
) -> None:
    try:
        prices = prices_for([p for _n, p in wanted], currency, on_date, price_list)
    except NoPrice as exc:
        for n, _product in wanted:
            errors.add(f"lines.{n}.product", exc.messages[0])
        return
    by_position = {line["position"]: line for line in out}
    for n, product in wanted:
        if product.pk in prices:
            by_position[n + 1]["unit_price"] = prices[product.pk]
        else:
            errors.add(
                f"lines.{n}.product",
                _("%(product)s has no price in %(currency)s; enter a unit price or add it to a price list.")
                % {"product": product.code, "currency": currency},
            )
