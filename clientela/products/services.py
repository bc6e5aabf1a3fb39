"""Services of the catalogue: create and change products, price lists and their prices (with the change log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.exceptions import ConcurrencyConflict
from clientela.core.models import ChangeAction
from clientela.interactions.payloads import check_currency
from clientela.parties.validation import Errors
from clientela.products.choices import ProductKind, Unit
from clientela.products.models import PriceList, PriceListItem, Product
from clientela.products.permissions import require_catalog

PRODUCT_FIELDS = ("code", "name", "description", "unit", "kind", "tax_rate", "is_active")
PRICE_LIST_FIELDS = ("name", "currency", "valid_from", "valid_until", "is_active")


def decimal_or_error(
    value: Any,
    path: str,
    errors: Errors,
    *,
    low: Decimal | None = None,
    high: Decimal | None = None,
    places: int = 4,
) -> Decimal | None:
    """``value`` as a Decimal within bounds, or None with a message on ``path``."""
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        errors.add(path, _("Enter a number."))
        return None
    if low is not None and number < low:
        errors.add(path, _("Enter a number of at least %(limit)s.") % {"limit": low})
        return None
    if high is not None and number > high:
        errors.add(path, _("Enter a number of at most %(limit)s.") % {"limit": high})
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        errors.add(path, _("Enter at most %(limit)s decimal places.") % {"limit": places})
        return None
    if abs(number) >= Decimal(10) ** 10:
        errors.add(path, _("Enter a smaller number."))
        return None
    return number


def _assign_product(product: Product, data: Mapping[str, Any], errors: Errors) -> None:
    for name in data:
        if name not in PRODUCT_FIELDS:
            errors.add(name, _("Unknown field."))
    if "code" in data:
        product.code = str(data["code"] or "").strip()
    if "name" in data:
        product.name = str(data["name"] or "").strip()
    if "description" in data:
        product.description = str(data["description"] or "")
    if "unit" in data:
        product.unit = data["unit"]
    if "kind" in data:
        product.kind = data["kind"]
    if "tax_rate" in data:
        rate = decimal_or_error(
            data["tax_rate"], "tax_rate", errors, low=Decimal(0), high=Decimal(100), places=2
        )
        if rate is not None:
            product.tax_rate = rate.quantize(Decimal("0.01"))
    if "is_active" in data:
        product.is_active = bool(data["is_active"])
    if not product.code:
        errors.add("code", _("Enter a code."))
    elif len(product.code) > 64:
        errors.add("code", _("Enter at most %(limit)s characters.") % {"limit": 64})
    elif Product.objects.filter(code__iexact=product.code).exclude(pk=product.pk).exists():
        errors.add("code", _("Another product already has this code."))
    if not product.name:
        errors.add("name", _("Enter a name."))
    elif len(product.name) > 200:
        errors.add("name", _("Enter at most %(limit)s characters.") % {"limit": 200})
    if len(product.description) > 5000:
        errors.add("description", _("Enter at most %(limit)s characters.") % {"limit": 5000})
    if product.unit not in Unit.values:
        errors.add("unit", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Unit.values)})
    if product.kind not in ProductKind.values:
        errors.add("kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ProductKind.values)})


@transaction.atomic
def product_create(*, actor: Actor, data: Mapping[str, Any]) -> Product:
    """Add a product or service to the catalogue (needs the role's catalogue "add" grant)."""
    require_catalog(actor, "add")
    product = Product()
    errors = Errors()
    _assign_product(product, data, errors)
    errors.raise_if_any()
    product.save()
    record_snapshot(
        actor=actor,
        obj=product,
        aggregate=product,
        action=ChangeAction.CREATE,
        snapshot=field_values(product, PRODUCT_FIELDS),
    )
    return product


@transaction.atomic
def product_update(
    *, actor: Actor, product: Product, data: Mapping[str, Any], expected_version: int | None = None
) -> Product:
    """Change the given fields of a product; a stale ``expected_version`` changes nothing."""
    require_catalog(actor, "change")
    product = Product.objects.select_for_update().get(pk=product.pk)
    if expected_version is not None and expected_version != product.version:
        raise ConcurrencyConflict(expected=expected_version, current=product.version)
    before = field_values(product, PRODUCT_FIELDS)
    errors = Errors()
    _assign_product(product, data, errors)
    errors.raise_if_any()
    after = field_values(product, PRODUCT_FIELDS)
    if after != before:
        product.version += 1
        product.save(update_fields=[*PRODUCT_FIELDS, "version", "updated_at"])
        record_update(actor=actor, obj=product, aggregate=product, before=before, after=after)
    return product


def _date(value: Any, path: str, errors: Errors, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors.add(path, _("Enter a date."))
        return None
    if isinstance(value, dt.date):
        return value
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        errors.add(path, _("Enter a valid date (YYYY-MM-DD)."))
    return parsed


def _assign_price_list(price_list: PriceList, data: Mapping[str, Any], errors: Errors) -> None:
    for name in data:
        if name not in PRICE_LIST_FIELDS:
            errors.add(name, _("Unknown field."))
    if "name" in data:
        price_list.name = str(data["name"] or "").strip()
    if "currency" in data:
        try:
            price_list.currency = check_currency(str(data["currency"] or ""))
        except ValueError:
            errors.add("currency", _("Enter an ISO 4217 currency code such as EUR or USD."))
    if "valid_from" in data:
        valid_from = _date(data["valid_from"], "valid_from", errors, required=True)
        if valid_from is not None:
            price_list.valid_from = valid_from
    if "valid_until" in data:
        price_list.valid_until = _date(data["valid_until"], "valid_until", errors, required=False)
    if "is_active" in data:
        price_list.is_active = bool(data["is_active"])
    if not price_list.name:
        errors.add("name", _("Enter a name."))
    if not price_list.currency and "currency" not in errors.by_path:
        errors.add("currency", _("Enter an ISO 4217 currency code such as EUR or USD."))
    if price_list.valid_from is None and "valid_from" not in errors.by_path:
        errors.add("valid_from", _("Enter a date."))
    if price_list.valid_from and price_list.valid_until and price_list.valid_until < price_list.valid_from:
        errors.add("valid_until", _("The end date cannot be before the start date."))


@transaction.atomic
def price_list_create(*, actor: Actor, data: Mapping[str, Any]) -> PriceList:
    """Create a price list (its prices are added with ``price_list_item_set``)."""
    require_catalog(actor, "add")
    price_list = PriceList()
    errors = Errors()
    _assign_price_list(price_list, data, errors)
    errors.raise_if_any()
    price_list.save()
    record_snapshot(
        actor=actor,
        obj=price_list,
        aggregate=price_list,
        action=ChangeAction.CREATE,
        snapshot=field_values(price_list, PRICE_LIST_FIELDS),
    )
    return price_list


@transaction.atomic
def price_list_update(*, actor: Actor, price_list: PriceList, data: Mapping[str, Any]) -> PriceList:
    """Change the name, currency, validity or active flag of a price list."""
    require_catalog(actor, "change")
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    before = field_values(price_list, PRICE_LIST_FIELDS)
    errors = Errors()
    _assign_price_list(price_list, data, errors)
    errors.raise_if_any()
    after = field_values(price_list, PRICE_LIST_FIELDS)
    if after != before:
        price_list.version += 1
        price_list.save(update_fields=[*PRICE_LIST_FIELDS, "version", "updated_at"])
        record_update(actor=actor, obj=price_list, aggregate=price_list, before=before, after=after)
    return price_list


@transaction.atomic
def price_list_item_set(
    *, actor: Actor, price_list: PriceList, product: Product, unit_price: Any
) -> PriceListItem:
    """Set the product's unit price on the list (adds the row or changes it)."""
    require_catalog(actor, "change")
    errors = Errors()
    price = decimal_or_error(unit_price, "unit_price", errors, low=Decimal(0))
    errors.raise_if_any()
    assert price is not None  # an unusable price is an error above
    item = PriceListItem.objects.select_for_update().filter(price_list=price_list, product=product).first()
    if item is None:
        item = PriceListItem.objects.create(price_list=price_list, product=product, unit_price=price)
        record_snapshot(
            actor=actor,
            obj=item,
            aggregate=price_list,
            action=ChangeAction.CREATE,
            snapshot=field_values(item, ("product", "unit_price")),
        )
        return item
    before = field_values(item, ("unit_price",))
    item.unit_price = price
    item.save(update_fields=["unit_price"])
    record_update(
        actor=actor, obj=item, aggregate=price_list, before=before, after=field_values(item, ("unit_price",))
    )
    return item


@transaction.atomic
def price_list_item_remove(*, actor: Actor, item: PriceListItem) -> None:
    """Take a product off a price list (quotes already priced keep their prices)."""
    require_catalog(actor, "change")
    record_snapshot(
        actor=actor,
        obj=item,
        aggregate=item.price_list,
        action=ChangeAction.DELETE,
        snapshot=field_values(item, ("product", "unit_price")),
    )
    item.delete()
