"""The model's honesty on the business's own data: fit BG/NBD without the last ``holdout_days`` and compare
what it expected of those days with what the customers actually bought.

This is the check of Fader, Hardie & Lee (2005) on CDNOW (weeks 40-78: 1,882 actual repeat purchases),
run on the ledger: the calibration customers are those who had bought by the cut-off; the forecast is the
sum of their conditional expected purchases over the holdout; the actual is the number of purchases they
made in it (new customers of the holdout period are left out on both sides).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import bgnbd, rfm


@dataclass
class HoldoutCheck:
    """Forecast against actual repeat purchases over the last ``days`` before ``as_of``."""

    days: float
    customers: int
    forecast: float
    actual: int
    status: str  # "ok", "too_short" (not enough history), "too_few", "not_converged"
    message: str = ""

    @property
    def error(self) -> float | None:
        """(forecast - actual) / actual, None without purchases in the holdout."""
        if self.status != "ok" or self.actual == 0:
            return None
        return (self.forecast - self.actual) / self.actual

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["error"] = self.error
        return out


def holdout_check(
    customer: np.ndarray,
    t: np.ndarray,
    amount: np.ndarray,
    as_of: float,
    *,
    holdout_days: float,
    min_customers: int = 20,
    initial: Any = None,
) -> HoldoutCheck:
    """Fit on the rows up to ``as_of - holdout_days`` and compare the forecast of the holdout with it."""
    customer = np.asarray(customer)
    t = np.asarray(t, dtype=np.float64)
    amount = np.asarray(amount, dtype=np.float64)
    cut = as_of - holdout_days
    before = t <= cut
    if not before.any() or float(np.nanmin(t)) > cut - holdout_days:
        # less calibration history than the holdout itself: the comparison would say nothing
        return HoldoutCheck(holdout_days, 0, 0.0, 0, "too_short", "less history than twice the holdout")
    summary = rfm.summarise(customer[before], t[before], amount[before], cut)
    keep = summary.included
    n = int(keep.sum())
    if n < min_customers:
        return HoldoutCheck(holdout_days, n, 0.0, 0, "too_few", "too few customers before the holdout")
    x, t_x, big_t = summary.frequency[keep], summary.t_x[keep], summary.T[keep]
    fit = bgnbd.fit(x, t_x, big_t, initial=initial)
    if not fit.converged:
        return HoldoutCheck(holdout_days, n, 0.0, 0, "not_converged", fit.message)
    forecast = float(np.sum(bgnbd.expected_purchases(fit, float(holdout_days), x, t_x, big_t)))
    in_holdout = (t > cut) & (t <= as_of) & (amount > 0)
    known = np.isin(customer[in_holdout], summary.customer[keep])
    return HoldoutCheck(holdout_days, n, forecast, int(known.sum()), "ok")
