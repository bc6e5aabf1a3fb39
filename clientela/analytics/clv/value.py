"""Customer lifetime value over a horizon, and churn risk.

CLV (``clv``). The reference is lifetimes' ``customer_lifetime_value``: the horizon is cut into K monthly
steps (K = round(horizon_days / 30.4375), at least 1; step h = horizon_days / K), the expected purchases
of each step (difference of the cumulative conditional expectation E(t) of BG/NBD) are discounted by
(1 + monthly_discount) ** -k and multiplied by the Gamma-Gamma expected order value::

    CLV = value * sum_k (E(k h) - E((k-1) h)) / (1 + d) ** k

That costs K hypergeometric evaluations per customer (12 for a year: about 2.2 s for 1.5M customers).
The default ``method="fast"`` evaluates E only at the horizon H (which the pipeline needs anyway as the
customer's expected purchases) and uses the exact slope at t = 0 (E'(0) = P(alive) (r + x) / (alpha + T),
no hypergeometric function), and takes E(t) between them as the quadratic through E(0) = 0 with that
slope and E(H). The discounted sum of that quadratic's monthly increments is a closed form (constants
shared by all customers), so CLV costs no further special-function call. Horizons above 400 days add one
evaluation at H/2 and use the cubic through E(0), E'(0), E(H/2), E(H). E(t) is smooth and concave and
the discount factors vary by only ~11% a year at 1% a month, so the error is second order. Measured
against the monthly reference (tests: test_clv_cdnow.py, test_clv_models.py), CDNOW fit in days, all
2,357 customers, 1% a month: 365 days, largest relative error 0.23%, total 0.12%; 730 days (cubic)
0.054% and 0.028%; 1,095 days 0.12% and 0.07%; 90 days 0.005%; 30 days exact (one step). Simulated
population (r 0.25, alpha 30 days, a 0.8, b 2.5), 365 days: below 0.5% per customer, 0.2% in total.
``method="exact"`` computes the reference.

Churn risk (``churn_risk``). The customer's rhythm is its own mean time between purchases, t_x / x;
customers without repeat purchases use the population rhythm (median of t_x / x over the customers
with repeat purchases, or ``population_rhythm`` when given). "Overdue" is recency / rhythm:

* high: P(alive) < 0.3 ("p_alive_below_30"); or overdue > 3 with P(alive) < 0.5
  ("overdue_3x_and_p_alive_below_50"); or, for customers without repeat purchases (BG/NBD gives them
  P(alive) = 1, since they can only drop out after a repeat purchase, so recency is the only signal),
  overdue > 3 against the population rhythm ("single_purchase_overdue_3x").
* medium: P(alive) < 0.6 ("p_alive_below_60"); or overdue > 2 ("overdue_2x").
* low: everything else ("ok").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import bgnbd, gamma_gamma

MONTH_DAYS = 365.25 / 12
HIGH_P_ALIVE = 0.3
HIGH_P_ALIVE_IF_OVERDUE = 0.5
HIGH_OVERDUE = 3.0
MEDIUM_P_ALIVE = 0.6
MEDIUM_OVERDUE = 2.0
CUBIC_ABOVE_DAYS = 400.0
REASON_OF_CODE = np.array(
    [
        "ok",
        "overdue_2x",
        "p_alive_below_60",
        "single_purchase_overdue_3x",
        "overdue_3x_and_p_alive_below_50",
        "p_alive_below_30",
    ],
    dtype=object,
)
RISK_OF_CODE = np.array(["low", "medium", "medium", "high", "high", "high"], dtype="<U6")


def _steps(horizon_days: float, monthly_discount: float) -> tuple[np.ndarray, np.ndarray]:
    k = max(1, round(horizon_days / MONTH_DAYS))
    edges = np.linspace(0.0, float(horizon_days), k + 1)
    discount = (1.0 + monthly_discount) ** -np.arange(1, k + 1, dtype=np.float64)
    return edges, discount


def clv(
    bgnbd_params: Any,
    gg_params: Any,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    m: np.ndarray,
    *,
    horizon_days: float,
    monthly_discount: float,
    method: str = "fast",
    order_value: np.ndarray | None = None,
    expected_at_horizon: np.ndarray | None = None,
    alive: np.ndarray | None = None,
) -> np.ndarray:
    """Discounted expected value over ``horizon_days`` (times in days; see the module doc).

    ``order_value`` (the Gamma-Gamma expected order value), ``expected_at_horizon`` (conditional
    expected purchases over the horizon) and ``alive`` (P(alive)) can be passed when already computed.
    """
    if horizon_days <= 0:
        return np.zeros(np.shape(x))
    if monthly_discount <= -1:
        raise ValueError("monthly_discount must be greater than -1")
    if order_value is None:
        order_value = gamma_gamma.expected_value(gg_params, x, m)
    edges, discount = _steps(horizon_days, monthly_discount)
    if method == "exact":
        total = np.zeros(np.shape(x))
        previous = np.zeros(np.shape(x))
        for k in range(1, edges.size):
            current = bgnbd.expected_purchases(bgnbd_params, edges[k], x, t_x, T, alive=alive)
            total += (current - previous) * discount[k - 1]
            previous = current
        return order_value * total
    if method != "fast":
        raise ValueError(f"unknown method {method!r}")
    H = float(horizon_days)
    if expected_at_horizon is None:
        expected_at_horizon = bgnbd.expected_purchases(bgnbd_params, H, x, t_x, T, alive=alive)
    slope = bgnbd.purchase_rate_now(bgnbd_params, x, t_x, T, alive=alive)
    # Discounted increments of t, t**2 and t**3 over the monthly steps: the same for every customer.
    s1 = float((np.diff(edges) * discount).sum())
    s2 = float((np.diff(edges**2) * discount).sum())
    gap_h = expected_at_horizon - slope * H
    if H <= CUBIC_ABOVE_DAYS:
        curvature = gap_h / (H * H)
        return order_value * (slope * s1 + curvature * s2)
    # Longer horizons: one more evaluation at H/2 and a cubic through E(0), E'(0), E(H/2) and E(H).
    gap_half = bgnbd.expected_purchases(bgnbd_params, H / 2, x, t_x, T, alive=alive) - slope * H / 2
    c2 = (8 * gap_half - gap_h) / (H * H)
    c3 = (2 * gap_h - 8 * gap_half) / (H * H * H)
    s3 = float((np.diff(edges**3) * discount).sum())
    return order_value * (slope * s1 + c2 * s2 + c3 * s3)


def population_rhythm(t_x: np.ndarray, x: np.ndarray) -> float:
    """Median own rhythm (t_x / x) of the customers with repeat purchases; 0 when there are none."""
    x = np.asarray(x, dtype=np.float64)
    rep = x > 0
    if not np.any(rep):
        return 0.0
    return float(np.median(np.asarray(t_x, dtype=np.float64)[rep] / x[rep]))


def churn_risk(
    p_alive: np.ndarray,
    recency_days: np.ndarray,
    t_x: np.ndarray,
    x: np.ndarray,
    *,
    population_rhythm_days: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Churn risk ("low", "medium", "high", ``<U6``) and a reason code (object array of str) per customer
    (rule in the module doc)."""
    p_alive = np.asarray(p_alive, dtype=np.float64)
    recency_days = np.asarray(recency_days, dtype=np.float64)
    t_x = np.asarray(t_x, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if population_rhythm_days is None:
        population_rhythm_days = population_rhythm(t_x, x)
    rep = x > 0
    rhythm = np.where(rep, t_x / np.where(rep, x, 1.0), population_rhythm_days)
    # A rhythm of 0 (all purchases at the same instant, or no repeat customer anywhere) cannot say
    # "overdue": such customers are judged on P(alive) alone.
    overdue = np.divide(recency_days, rhythm, out=np.zeros_like(recency_days), where=rhythm > 0)

    # Codes first (int8), labels last: string arrays are slow to fill at a million customers.
    code = np.zeros(p_alive.shape, dtype=np.int8)
    code[overdue > MEDIUM_OVERDUE] = 1
    code[p_alive < MEDIUM_P_ALIVE] = 2
    code[~rep & (overdue > HIGH_OVERDUE)] = 3
    code[(overdue > HIGH_OVERDUE) & (p_alive < HIGH_P_ALIVE_IF_OVERDUE)] = 4
    code[p_alive < HIGH_P_ALIVE] = 5
    risk = RISK_OF_CODE[code]
    reason = REASON_OF_CODE[code]
    return risk, reason
