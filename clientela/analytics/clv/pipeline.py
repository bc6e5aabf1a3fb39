"""Everything for one currency in one call: RFM, BG/NBD and Gamma-Gamma fits, and every customer's scores.

``score_all`` is what the refit job stores and what ``bench/analytics.py`` times. Times in days, money
as float64 (the Django layer converts to Decimal). Nothing it returns is NaN or infinite: figures a
customer cannot have are 0 with the masks ``has_bgnbd`` / ``has_value`` False and the reason in
``excluded_reason`` (the customer's own: "returns larger than purchases", ...) or ``status`` /
``message`` (the fit's: "too_few", "not_converged", "failed", matching ``FitStatus``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import bgnbd, gamma_gamma, rfm, value

MIN_CUSTOMERS = 20


@dataclass
class Scored:
    """Per-customer arrays aligned with ``summary.customer``, plus the fits and breakpoints to store."""

    summary: rfm.Summary
    r_score: np.ndarray
    f_score: np.ndarray
    m_score: np.ndarray
    segment: np.ndarray
    breakpoints: dict[str, Any]
    bgnbd: bgnbd.BgnbdFit | None
    gamma_gamma: gamma_gamma.GammaGammaFit | None
    status: str  # "ok", "too_few", "not_converged", "failed"
    message: str
    has_bgnbd: np.ndarray  # P(alive), expected purchases and churn risk are model figures
    has_value: np.ndarray  # expected order value and CLV are model figures
    p_alive: np.ndarray
    expected_purchases: np.ndarray  # conditional expected purchases over horizon_days
    expected_order_value: np.ndarray
    clv: np.ndarray
    churn_risk: np.ndarray  # "low" / "medium" / "high", "" without a model figure
    churn_reason: np.ndarray
    excluded_reason: np.ndarray  # "" for customers that got model figures or were only held back by the fit
    horizon_days: float
    monthly_discount: float
    population_rhythm_days: float = 0.0
    # the order value expected from customers without repeat purchases (see gamma_gamma.single_purchase_value)
    single_purchase_value: float | None = None
    single_purchase_note: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def customer(self) -> np.ndarray:
        return self.summary.customer

    def stats(self) -> dict[str, Any]:
        """Fit statistics as plain JSON-able values (for ``ModelFit.stats`` and ``--json``); a value that
        is not finite (a failed fit's log-likelihood) becomes None."""
        excluded = {k: int(v.sum()) for k, v in self.summary.excluded.items() if v.any()}
        out: dict[str, Any] = {
            "customers": self.summary.n,
            "customers_modelled": int(self.has_bgnbd.sum()),
            "excluded": excluded,
            "ignored_rows": {k: v for k, v in self.summary.ignored_rows.items() if v},
            "population_rhythm_days": self.population_rhythm_days,
            "single_purchase_value": _finite(self.single_purchase_value)
            if self.single_purchase_value is not None
            else None,
            "single_purchase_note": self.single_purchase_note,
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }
        if self.bgnbd is not None:
            out["bgnbd"] = {
                "log_likelihood": _finite(self.bgnbd.log_likelihood),
                "iterations": self.bgnbd.iterations,
                "evaluations": self.bgnbd.evaluations,
                "converged": self.bgnbd.converged,
                "message": self.bgnbd.message,
                "n": self.bgnbd.n,
            }
        if self.gamma_gamma is not None:
            out["gamma_gamma"] = {
                "log_likelihood": _finite(self.gamma_gamma.log_likelihood),
                "iterations": self.gamma_gamma.iterations,
                "converged": self.gamma_gamma.converged,
                "message": self.gamma_gamma.message,
                "n": self.gamma_gamma.n,
            }
        return out


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _initial(previous: Any, key: str) -> Any:
    if previous is None:
        return None
    if isinstance(previous, Scored):
        fit = previous.bgnbd if key == "bgnbd" else previous.gamma_gamma
        return fit.params if fit is not None and fit.converged else None
    if isinstance(previous, Mapping):
        params = previous.get(key)
        return dict(params) if params else None
    return None


def score_all(
    customer: np.ndarray,
    t: np.ndarray,
    amount: np.ndarray,
    as_of: float,
    *,
    horizon_days: float,
    monthly_discount: float,
    previous: Any = None,
    min_customers: int = MIN_CUSTOMERS,
) -> Scored:
    """RFM, fits and scores for one currency.

    ``previous`` (a ``Scored`` or a mapping with "bgnbd" / "gamma_gamma" parameter dicts, as stored in
    ``ModelFit``) only supplies starting values: the fits still converge to this data's maximum.
    """
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now

    summary = rfm.summarise(customer, t, amount, as_of)
    lap("summarise")
    r_score, f_score, m_score, breakpoints = rfm.score(summary)
    segment = rfm.segment(r_score, f_score, m_score)
    lap("rfm_scores")

    n = summary.n
    zeros = np.zeros(n)
    included = summary.included
    excluded_reason = summary.excluded_reason()
    result = Scored(
        summary=summary,
        r_score=r_score,
        f_score=f_score,
        m_score=m_score,
        segment=segment,
        breakpoints=breakpoints,
        bgnbd=None,
        gamma_gamma=None,
        status="ok",
        message="",
        has_bgnbd=np.zeros(n, dtype=bool),
        has_value=np.zeros(n, dtype=bool),
        p_alive=zeros,
        expected_purchases=zeros.copy(),
        expected_order_value=zeros.copy(),
        clv=zeros.copy(),
        churn_risk=np.full(n, "", dtype="<U6"),
        churn_reason=np.full(n, "", dtype=object),
        excluded_reason=excluded_reason,
        horizon_days=float(horizon_days),
        monthly_discount=float(monthly_discount),
        seconds=seconds,
    )
    n_in = int(included.sum())
    if n_in < max(min_customers, 1):
        result.status = "too_few"
        result.message = f"{n_in} customers can be modelled; at least {min_customers} are needed"
        return result

    sub = summary if n_in == n else summary.take(included)
    x, t_x, T, m = sub.frequency, sub.t_x, sub.T, sub.mean_repeat_value
    try:
        bg = bgnbd.fit(x, t_x, T, initial=_initial(previous, "bgnbd"))
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        result.status, result.message = "failed", f"BG/NBD fit failed: {exc}"
        return result
    result.bgnbd = bg
    lap("bgnbd_fit")
    try:
        gg = gamma_gamma.fit(x, m, initial=_initial(previous, "gamma_gamma"))
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        gg = None
        result.status, result.message = "failed", f"Gamma-Gamma fit failed: {exc}"
    result.gamma_gamma = gg
    lap("gamma_gamma_fit")
    if not bg.converged:
        result.status = "not_converged"
        result.message = f"BG/NBD did not converge: {bg.message}"
        return result

    with np.errstate(all="ignore"):
        alive = bgnbd.p_alive(bg, x, t_x, T)
        expected = bgnbd.expected_purchases(bg, float(horizon_days), x, t_x, T, alive=alive)
    bg_ok = np.isfinite(alive) & np.isfinite(expected)
    lap("p_alive_expected")
    rhythm = value.population_rhythm(t_x, x)
    risk, reason = value.churn_risk(alive, sub.recency_days, t_x, x, population_rhythm_days=rhythm)
    lap("churn")

    idx = np.flatnonzero(included)
    result.population_rhythm_days = rhythm
    result.has_bgnbd[idx] = bg_ok
    result.p_alive[idx] = np.where(bg_ok, alive, 0.0)
    result.expected_purchases[idx] = np.where(bg_ok, expected, 0.0)
    result.churn_risk[idx] = np.where(bg_ok, risk, "")
    result.churn_reason[idx] = np.where(bg_ok, reason, "")

    if gg is None:
        return result
    if not gg.converged:
        result.status = "not_converged"
        result.message = f"Gamma-Gamma did not converge: {gg.message}"
        return result
    with np.errstate(all="ignore"):
        single, note = gamma_gamma.single_purchase_value(gg, x, m)
        result.single_purchase_value, result.single_purchase_note = single, note
        order_value = gamma_gamma.expected_value(gg, x, m, single_purchase_value=single)
        lifetime = value.clv(
            bg,
            gg,
            x,
            t_x,
            T,
            m,
            horizon_days=float(horizon_days),
            monthly_discount=float(monthly_discount),
            order_value=order_value,
            expected_at_horizon=expected,
            alive=alive,
        )
    value_ok = bg_ok & np.isfinite(order_value) & np.isfinite(lifetime)
    result.has_value[idx] = value_ok
    result.expected_order_value[idx] = np.where(value_ok, order_value, 0.0)
    result.clv[idx] = np.where(value_ok, np.maximum(lifetime, 0.0), 0.0)
    lap("value")
    if not np.all(bg_ok) or not np.all(value_ok):
        result.message = f"{int((~value_ok).sum())} customers without a finite model figure"
    return result
