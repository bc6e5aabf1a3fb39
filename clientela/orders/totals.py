"""Money arithmetic of quotes and orders: a pure module (no ORM), shared by services, pages and PDFs.

A line's gross is quantity × unit price, its net that less the discount percent; each is rounded to
cents with ROUND_HALF_UP on its own line (as the printed document shows it). Tax is computed per rate on
the sum of the nets at that rate (Spanish invoices show a base and a quota per IVA rate), rounded the same
way; the total is the nets plus the taxes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    discount: Decimal
    net: Decimal


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> LineAmounts:
    """The line's gross, discount and net, each rounded to cents."""
    exact = quantity * unit_price
    gross = cents(exact)
    net = cents(exact * (HUNDRED - discount_percent) / HUNDRED)
    return LineAmounts(gross=gross, discount=gross - net, net=net)


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal = Decimal("0.00")
    discount_total: Decimal = Decimal("0.00")
    tax_total: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    by_rate: list[RateTotal] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.subtotal - self.discount_total


def document_totals(lines: Iterable[Any]) -> DocumentTotals:
    """Totals of lines with ``quantity``, ``unit_price``, ``discount_percent`` and ``tax_rate``.

    ``by_rate`` lists the base and tax per rate, highest rate first.
    """
    subtotal = discount = Decimal("0.00")
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        amounts = line_amounts(line.quantity, line.unit_price, line.discount_percent)
        subtotal += amounts.gross
        discount += amounts.discount
        rate = Decimal(line.tax_rate).quantize(CENT)
        bases[rate] = bases.get(rate, Decimal("0.00")) + amounts.net
    by_rate = [
        RateTotal(rate, base, cents(base * rate / HUNDRED))
        for rate, base in sorted(bases.items(), reverse=True)
    ]
    tax = sum((r.tax for r in by_rate), Decimal("0.00"))
    return DocumentTotals(
        subtotal=subtotal,
        discount_total=discount,
        tax_total=tax,
        total=subtotal - discount + tax,
        by_rate=by_rate,
    )


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (100.0000 is 100, not 1E+2)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
