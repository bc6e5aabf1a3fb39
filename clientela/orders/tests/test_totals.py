"""The money arithmetic: per-line rounding (ROUND_HALF_UP), discounts, and taxes per rate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from clientela.orders.totals import document_totals, line_amounts


@dataclass
class L:
    quantity: D
    unit_price: D
    discount_percent: D
    tax_rate: D


def test_line_rounds_half_up_per_line():
    # 3 × 0.335 = 1.005 -> 1.01 (banker's rounding would give 1.00)
    assert line_amounts(D("3"), D("0.335"), D("0")).net == D("1.01")
    # 10% off 1.25 = 1.125 -> 1.13, discount 0.12
    amounts = line_amounts(D("1"), D("1.25"), D("10"))
    assert (amounts.gross, amounts.net, amounts.discount) == (D("1.25"), D("1.13"), D("0.12"))


def test_totals_per_tax_rate_with_discounts():
    totals = document_totals(
        [
            L(D("2"), D("100.00"), D("10"), D("21")),  # 200 - 20 = 180 at 21%
            L(D("1"), D("19.95"), D("0"), D("10")),  # 19.95 at 10%
            L(D("3"), D("0.335"), D("0"), D("21")),  # 1.01 at 21%
            L(D("1"), D("50"), D("100"), D("4")),  # fully discounted: base 0 at 4%
        ]
    )
    assert totals.subtotal == D("270.96")  # 200 + 19.95 + 1.01 + 50
    assert totals.discount_total == D("70.00")
    rates = {r.rate: (r.base, r.tax) for r in totals.by_rate}
    assert rates[D("21.00")] == (D("181.01"), D("38.01"))  # 181.01 × 0.21 = 38.0121
    assert rates[D("10.00")] == (D("19.95"), D("2.00"))  # 1.995 -> 2.00 (half up)
    assert rates[D("4.00")] == (D("0.00"), D("0.00"))
    assert [r.rate for r in totals.by_rate] == [D("21.00"), D("10.00"), D("4.00")]
    assert totals.tax_total == D("40.01")
    assert totals.total == D("270.96") - D("70.00") + D("40.01")


def test_empty_document_is_zero():
    totals = document_totals([])
    assert (totals.subtotal, totals.tax_total, totals.total, totals.by_rate) == (D(0), D(0), D(0), [])
