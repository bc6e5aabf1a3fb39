"""The products of an opportunity: replace its product lines at once, optionally setting its amount.

Every line is validated before anything is written (errors on ``lines.N.field``, lines counted from 0 as
in the API); prices not given come from the price lists valid today in the opportunity's currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import record_update, to_json
from clientela.core.events import publish
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, can
from clientela.orders.models import OpportunityProduct
from clientela.orders.totals import line_amounts
from clientela.parties.validation import Errors
from clientela.products.models import Product
from clientela.products.selectors import NoPrice, prices_for
from clientela.products.services import decimal_or_error
from clientela.sales.models import Opportunity
from clientela.sales.services import event_data, opportunity_update

LINE_KEYS = frozenset({"product", "quantity", "unit_price", "discount_percent"})
MAX_LINES = 200
ZERO = Decimal("0.00")


def _product_ref(value: Any) -> int | None:
    if isinstance(value, Product):
        return value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def clean_product_lines(
    lines: Sequence[Mapping[str, Any]], *, currency: str, errors: Errors
) -> list[dict[str, Any]]:
    """Validated line values (position from 1) with unit prices defaulted from today's price lists."""
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        errors.add("lines", _("Enter a list of lines."))
        return []
    if len(lines) > MAX_LINES:
        errors.add("lines", _("Enter at most %(limit)s items.") % {"limit": MAX_LINES})
        return []
    ids = {_product_ref(line.get("product")) for line in lines if isinstance(line, Mapping)} - {None}
    products = Product.objects.in_bulk(list(ids)) if ids else {}
    out: list[dict[str, Any]] = []
    unpriced: list[tuple[int, Product]] = []
    for n, raw in enumerate(lines):
        path = f"lines.{n}"
        if not isinstance(raw, Mapping):
            errors.add(path, _("Enter an object."))
            continue
        for key in raw:
            if key not in LINE_KEYS:
                errors.add(f"{path}.{key}", _("Unknown field."))
        ref = _product_ref(raw.get("product"))
        product = products.get(ref) if ref is not None else None
        if raw.get("product") in (None, ""):
            errors.add(f"{path}.product", _("Choose a product."))
        elif product is None:
            errors.add(f"{path}.product", _("Unknown product."))
        elif not product.is_active:
            errors.add(f"{path}.product", _("This product is no longer sold; choose an active one."))
            product = None
        quantity = decimal_or_error(raw.get("quantity", 1), f"{path}.quantity", errors)
        if quantity is not None and quantity <= 0:
            errors.add(f"{path}.quantity", _("The quantity must be greater than zero."))
        unit_price = None
        if raw.get("unit_price") not in (None, ""):
            unit_price = decimal_or_error(raw["unit_price"], f"{path}.unit_price", errors)
            if unit_price is not None and unit_price < 0:
                errors.add(f"{path}.unit_price", _("The unit price cannot be negative."))
        elif product is not None:
            unpriced.append((n, product))
        discount = decimal_or_error(
            raw.get("discount_percent") or 0, f"{path}.discount_percent", errors, places=2
        )
        if discount is not None and not ZERO <= discount <= Decimal(100):
            errors.add(f"{path}.discount_percent", _("Enter a discount between 0 and 100%."))
        out.append(
            {
                "position": n + 1,
                "product": product,
                "quantity": quantity,
                "unit_price": unit_price,
                "discount_percent": discount,
            }
        )
    if unpriced:
        _price(out, unpriced, currency=currency, errors=errors)
    return out


def _price(
    out: list[dict[str, Any]], unpriced: list[tuple[int, Product]], *, currency: str, errors: Errors
) -> None:
    try:
        prices = prices_for([p for _n, p in unpriced], currency, timezone.localdate())
    except NoPrice as exc:
        for n, _product in unpriced:
            errors.add(f"lines.{n}.unit_price", exc.messages[0])
        return
    by_position = {line["position"]: line for line in out}
    for n, product in unpriced:
        if product.pk in prices:
            by_position[n + 1]["unit_price"] = prices[product.pk]
        else:
            errors.add(
                f"lines.{n}.unit_price",
                _("%(product)s has no price in %(currency)s; enter a unit price or add it to a price list.")
                % {"product": product.code, "currency": currency},
            )


def products_snapshot(lines: Sequence[OpportunityProduct]) -> list[dict[str, Any]]:
    """The lines as JSON-safe data for the change log, at their columns' places (so unchanged compares equal)."""
    return [
        {
            "position": line.position,
            "product": line.product_id,
            "quantity": to_json(Decimal(line.quantity).quantize(Decimal("0.0001"))),
            "unit_price": to_json(Decimal(line.unit_price).quantize(Decimal("0.0001"))),
            "discount_percent": to_json(Decimal(line.discount_percent).quantize(Decimal("0.01"))),
        }
        for line in lines
    ]


def products_total(lines: Sequence[OpportunityProduct]) -> Decimal:
    """The sum of the lines' nets (no taxes: an opportunity's amount is net)."""
    return sum((line.net for line in lines), ZERO)


@transaction.atomic
def opportunity_products_set(
    *,
    actor: Actor,
    opportunity: Opportunity,
    lines: Sequence[Mapping[str, Any]],
    update_amount: bool = False,
) -> list[OpportunityProduct]:
    """Replace the opportunity's product lines with ``lines`` (an empty list removes them all).

    Needs "change" on the opportunity. Any bad line writes nothing. With ``update_amount`` the opportunity's
    amount becomes the lines' net total through ``opportunity_update`` (board totals, history and events
    follow). Writes one change-log row ("products") on the opportunity when the lines changed.
    """
    opp = Opportunity.objects.select_for_update().select_related("party").get(pk=opportunity.pk)
    if actor.user is not None and not can(actor.user, Action.CHANGE, opp):
        raise NotPermitted()
    errors = Errors()
    cleaned = clean_product_lines(lines, currency=opp.currency, errors=errors)
    errors.raise_if_any()
    old = list(OpportunityProduct.objects.filter(opportunity=opp).order_by("position", "id"))
    new = [OpportunityProduct(opportunity=opp, **values) for values in cleaned]
    for line in new:
        line.net = line_amounts(line.quantity, line.unit_price, line.discount_percent).net
    before, after = products_snapshot(old), products_snapshot(new)
    changed = before != after
    if changed:
        OpportunityProduct.objects.filter(opportunity=opp).delete()
        OpportunityProduct.objects.bulk_create(new)
        record_update(
            actor=actor, obj=opp, aggregate=opp.party, before={"products": before}, after={"products": after}
        )
    else:
        new = old
    total = products_total(new)
    if update_amount and total != opp.amount:
        # opportunity_update announces "opportunity.updated" itself
        opportunity_update(actor=actor, opportunity=opp, data={"amount": total})
    elif changed:
        # only the lines changed: subscribers still learn that the deal changed (docs/integrations.md)
        publish("opportunity.updated", lambda: opportunity_event(opp.pk))
    return new


def opportunity_event(pk: int) -> dict[str, Any]:
    """The "opportunity.updated" payload after a product-lines change (the sales payload, as committed)."""
    return event_data(Opportunity.objects.select_related("stage", "lost_reason").get(pk=pk))
