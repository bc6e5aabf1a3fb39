"""Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value") by MLE.

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, v) across customers, so the mean
spend of a customer is p / nu and the population mean is p v / (q - 1) (finite only when q > 1). The fit
uses customers with repeat purchases (x > 0) and a positive mean repeat value m; per customer::

    LL = lnG(p x + q) - lnG(p x) - lnG(q) + q ln v + (p x - 1) ln m + p x ln x - (p x + q) ln(x m + v)

(the ln x and ln m terms are kept, so the log-likelihood matches lifetimes and the note). Terms that
depend on x alone are computed once per distinct x. BFGS (``optim``) over log-parameters with the
analytic gradient; the convergence rule is the one of ``bgnbd`` (gradient of the mean log-likelihood
per customer below 1e-7), and a fit with q <= 1 is reported as not converged: its
population mean spend is infinite, so it cannot price customers without repeat purchases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from . import optim
from .bgnbd import _dot, distinct

GTOL = 1e-7
GTOL_ACCEPT = 1e-5
MAX_ITERATIONS = 500
SUBSAMPLE = 60_000


@dataclass
class GammaGammaFit:
    """The fitted Gamma-Gamma parameters (p, q, v) with the fit's statistics."""

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool
    message: str
    n: int
    iterations: int = 0
    gradient_norm: float = 0.0

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def population_mean(self) -> float:
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("inf")


def _as_params(params: Any) -> tuple[float, float, float]:
    if isinstance(params, GammaGammaFit):
        return params.p, params.q, params.v
    if isinstance(params, dict):
        return float(params["p"]), float(params["q"]), float(params["v"])
    p, q, v = params
    return float(p), float(q), float(v)


def _negll_and_grad(
    theta: np.ndarray,
    ux: np.ndarray,
    idx: np.ndarray,
    counts: np.ndarray,
    x: np.ndarray,
    m: np.ndarray,
    ln_m: np.ndarray,
    ln_x: np.ndarray,
) -> tuple[float, np.ndarray, float]:
    p, q, v = np.exp(theta)
    n = x.shape[0]
    px = p * ux
    g = special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
    ll = _dot(counts, g) + n * q * np.log(v)
    dig_pxq = special.digamma(px + q)
    dp = _dot(counts * ux, dig_pxq - special.digamma(px))
    dq = _dot(counts, dig_pxq - special.digamma(q)) + n * np.log(v)
    dv = n * q / v
    xm_v = x * m + v
    ln_xm_v = np.log(xm_v)
    pxq = p * x + q
    ll += _dot(p * x - 1.0, ln_m) + p * _dot(x, ln_x) - _dot(pxq, ln_xm_v)
    dp += _dot(x, ln_m + ln_x - ln_xm_v)
    dq -= float(ln_xm_v.sum())
    dv -= float(np.divide(pxq, xm_v).sum())
    grad = np.array([dp * p, dq * q, dv * v])
    return -ll / n, -grad / n, ll


def _prepared(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, ...]:
    xi = x.astype(np.int64)
    if np.array_equal(xi, x):
        ux_int, idx, counts_int = distinct(xi)
    else:  # x is a count, but nothing in the likelihood needs it whole
        found = np.unique(x, return_inverse=True)
        ux_int, idx = found[0], found[1]
        counts_int = np.bincount(idx, minlength=ux_int.size)
    ux = ux_int.astype(np.float64)
    counts = counts_int.astype(np.float64)
    return ux, idx, counts, x, m, np.log(m), np.log(x)


def _minimise(data: tuple[np.ndarray, ...], theta0: np.ndarray, curvature: np.ndarray | None) -> optim.Result:
    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            value, grad, _ = _negll_and_grad(theta, *data)
        return value, grad

    return optim.minimise(
        fun, theta0, gtol=GTOL, gtol_accept=GTOL_ACCEPT, maxiter=MAX_ITERATIONS, inverse_hessian=curvature
    )


def fit(x: np.ndarray, m: np.ndarray, *, initial: Any = None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the customers with x > 0 and m > 0 (others are ignored).

    Like ``bgnbd.fit``, many customers are first fitted on a deterministic subsample (every k-th), whose
    optimum and curvature start the full-data fit: same maximum, fewer full-data evaluations.
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    use = (x > 0) & (m > 0) & np.isfinite(m)
    x, m = x[use], m[use]
    n = int(x.shape[0])
    if n < 2:
        return GammaGammaFit(0.0, 0.0, 0.0, 0.0, False, "fewer than two customers with repeat purchases", n)
    # A start with p v / (q - 1) equal to the mean spend, unless a valid previous fit is given.
    theta0 = np.log(np.array([1.0, 2.0, max(float(m.mean()), 1e-9)]))
    if initial is not None:
        try:
            start = np.array(_as_params(initial), dtype=np.float64)
        except (KeyError, TypeError, ValueError):  # an unusable stored fit: start afresh
            start = np.zeros(1)
        if np.all(np.isfinite(start)) and np.all(start > 0):
            theta0 = np.log(start)
    curvature = None
    if n > 2 * SUBSAMPLE:
        step = n // SUBSAMPLE
        warm = _minimise(_prepared(x[::step], m[::step]), theta0, None)
        if np.all(np.isfinite(warm.x)):
            theta0, curvature = warm.x, warm.inverse_hessian
    data = _prepared(x, m)
    ux, idx, counts, x, m, ln_m, ln_x = data
    result = _minimise(data, theta0, curvature)
    p, q, v = (float(val) for val in np.exp(result.x))
    with np.errstate(all="ignore"):
        ll = float(_negll_and_grad(result.x, ux, idx, counts, x, m, ln_m, ln_x)[2])
    grad_norm = result.gradient_norm
    at_bound = bool(np.any(np.abs(result.x) >= 14.999))
    converged = bool(result.success) and np.isfinite(ll) and not at_bound and q > 1.0
    message = result.message
    if q <= 1.0:
        message = f"q = {q:.4g} <= 1: the mean spend of the population is infinite; {message}"
    elif at_bound:
        message = f"a parameter reached its bound (exp(+-15)): {message}"
    return GammaGammaFit(p, q, v, ll, converged, message, n, int(result.nit), grad_norm)


def expected_value(
    params: Any, x: np.ndarray, m: np.ndarray, *, single_purchase_value: float | None = None
) -> np.ndarray:
    """Conditional expected average order value: a weighted mean of the population mean p v / (q - 1)
    and the customer's own mean m, ``p (v + x m) / (p x + q - 1)``; customers with x == 0 get the
    population mean, or ``single_purchase_value`` when given (see ``single_purchase_value``)."""
    p, q, v = _as_params(params)
    x = np.asarray(x, dtype=np.float64)
    m = np.where(x > 0, np.asarray(m, dtype=np.float64), 0.0)
    out = p * (v + x * m) / (p * x + q - 1.0)
    if single_purchase_value is not None:
        out = np.where(x > 0, out, single_purchase_value)
    return out


# The population mean p v / (q - 1) is trusted for customers without repeat purchases only while it
# stays within this factor of the observed mean order value of the repeat customers.
POPULATION_MEAN_LIMIT = 2.0


def single_purchase_value(params: Any, x: np.ndarray, m: np.ndarray) -> tuple[float, str]:
    """The order value to expect from customers without repeat purchases, and a note when it is not the
    model's population mean.

    With q close to 1 the Gamma-Gamma population mean p v / (q - 1) runs away (its variance is infinite
    for q <= 2): a few very large orders pull it far above anything observed, and every single-purchase
    customer would get that made-up figure. When it exceeds ``POPULATION_MEAN_LIMIT`` times the observed
    mean of the repeat customers' average order values, the observed mean is used instead, and the note
    says so (stored with the fit and shown with it).
    """
    p, q, v = _as_params(params)
    x = np.asarray(x, dtype=np.float64)
    repeat = x > 0
    observed = float(np.mean(np.asarray(m, dtype=np.float64)[repeat])) if repeat.any() else float("nan")
    population = p * v / (q - 1.0) if q > 1.0 else float("inf")
    if np.isfinite(population) and (
        not np.isfinite(observed) or population <= POPULATION_MEAN_LIMIT * observed
    ):
        return population, ""
    if not np.isfinite(observed):
        return float("nan"), "no repeat customers to value single-purchase customers"
    return observed, (
        f"population mean order value p*v/(q-1) = {population:.2f} (q = {q:.4f}) is more than "
        f"{POPULATION_MEAN_LIMIT:g} times the observed mean {observed:.2f}: single-purchase customers are "
        "valued at the observed mean"
    )
