"""Simulated customer bases drawn from the BG/NBD purchase process with Gamma-Gamma spend.

Used by the tests (parameter recovery) and ``bench/analytics.py``. Times are days (float64, sub-day
resolution): customer i is acquired (first purchase) at a uniform time in the acquisition window, buys
again at Poisson rate lambda_i ~ Gamma(r, rate alpha) and drops out after each repeat purchase with
probability p_i ~ Beta(a, b) (so it makes at most G_i ~ Geometric(p_i) repeat purchases). Its repeat
purchases in (0, T_i] are then the first min(G_i, N_i) arrival times of a Poisson process with
N_i ~ Poisson(lambda_i T_i) arrivals, drawn directly as the smallest uniform order statistics (no
rejection, no loop per customer). Every purchase (the first too) is worth Gamma(shape p, rate nu_i),
nu_i ~ Gamma(q, rate v), so the customer's mean spend is p / nu_i.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from . import bgnbd

EPOCH_DAY = 19_723.0  # 2024-01-01 in days since 1970-01-01: synthetic times look like real ones


@dataclass
class Population:
    """Simulated transactions (one row per purchase) and the truth behind them."""

    customer: np.ndarray
    t: np.ndarray
    amount: np.ndarray
    as_of: float
    params: dict[str, float] = field(default_factory=dict)


def simulate(
    n_customers: int,
    *,
    r: float = 0.25,
    alpha: float = 30.0,
    a: float = 0.8,
    b: float = 2.5,
    p: float = 6.0,
    q: float = 3.7,
    v: float = 15.0,
    acquisition_days: float = 365.0,
    period_days: float = 730.0,
    seed: int = 0,
    order: str = "customer",
) -> Population:
    """Simulate ``n_customers`` customers (ids 1..n) observed until ``as_of`` = start + ``period_days``.

    ``order="time"`` returns the rows sorted by time (as a ledger would be), "customer" grouped by
    customer in time order within each.
    """
    if not 0 < acquisition_days <= period_days:
        raise ValueError("acquisition_days must be positive and at most period_days")
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    birth = EPOCH_DAY + rng.uniform(0.0, acquisition_days, n)
    as_of = EPOCH_DAY + period_days
    T = as_of - birth
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    # Guard the geometric draw against p == 0 from underflow in the beta draw.
    max_repeats = rng.geometric(np.maximum(drop, 1e-300))
    arrivals = rng.poisson(lam * T)
    x = np.minimum(max_repeats, arrivals)

    total = int(x.sum())
    owner = np.repeat(np.arange(n), x)
    starts = np.cumsum(x) - x
    position = np.arange(total) - np.repeat(starts, x)  # 0-based index of the repeat within its customer
    # The j-th smallest of N uniforms: log(1 - U_(j)) = -sum_{k<=j} E_k / (N - k + 1), E_k ~ Exp(1).
    increments = rng.standard_exponential(total) / (arrivals[owner] - position)
    cumulative = np.cumsum(increments)
    has = x > 0
    first = starts[has]
    offset = np.repeat(cumulative[first] - increments[first], x[has])
    fraction = -np.expm1(-(cumulative - offset))
    repeat_t = birth[owner] + fraction * T[owner]

    customer = np.concatenate([np.arange(n), owner]).astype(np.int64)
    t = np.concatenate([birth, repeat_t])
    nu = rng.gamma(q, 1.0 / v, n)
    amount = rng.gamma(p, 1.0, customer.size) / nu[customer]
    if order == "time":
        idx = np.argsort(t, kind="stable")
    elif order == "customer":
        idx = np.lexsort((t, customer))
    else:
        raise ValueError("order must be 'time' or 'customer'")
    return Population(
        customer=customer[idx] + 1,
        t=t[idx],
        amount=np.round(amount[idx], 2).clip(0.01),
        as_of=as_of,
        params={"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q, "v": v},
    )


def alpha_for_purchases(
    purchases_per_customer: float,
    *,
    r: float = 0.25,
    a: float = 0.8,
    b: float = 2.5,
    acquisition_days: float = 365.0,
    period_days: float = 730.0,
) -> float:
    """The alpha that makes the expected purchases per customer (first one included) the target."""
    if purchases_per_customer <= 1:
        raise ValueError("purchases_per_customer must be above 1")
    ages = np.linspace(period_days - acquisition_days, period_days, 401)

    def gap(log_alpha: float) -> float:
        mean = float(np.mean(bgnbd.expected_purchases_new((r, np.exp(log_alpha), a, b), ages)))
        return 1.0 + mean - purchases_per_customer

    return float(np.exp(optimize.brentq(gap, np.log(1e-4), np.log(1e7), xtol=1e-12)))
