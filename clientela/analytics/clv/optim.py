"""A small BFGS minimiser for the engine's 3- and 4-parameter likelihoods, without BLAS.

Why not scipy's L-BFGS-B: it calls OpenBLAS for its vector updates, which wakes OpenBLAS's worker
threads; they spin after each call, and on a busy 2-core machine they take the CPU from the likelihood
evaluations that follow (measured: a 60,000-customer BG/NBD fit spent 17 ms in 16 evaluations and
90 ms in the optimiser). With a handful of parameters the matrix algebra here is elementwise numpy on
4 x 4 arrays, which never touches BLAS.

Method: BFGS on the inverse Hessian (first step scaled by y.s / y.y), Armijo backtracking line search,
parameters kept inside ``bounds`` by projection. Stops with ``success`` when the largest gradient
component is below ``gtol``; stops without success at ``maxiter`` iterations, when the line search
cannot decrease the objective (then success only if the gradient is already below ``gtol_accept``), or
on a non-finite value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass
class Result:
    x: np.ndarray
    fun: float
    jac: np.ndarray
    success: bool
    message: str
    nit: int
    nfev: int
    inverse_hessian: np.ndarray | None = None

    @property
    def gradient_norm(self) -> float:
        return float(np.max(np.abs(self.jac))) if np.all(np.isfinite(self.jac)) else float("inf")


def _matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.multiply(m, v).sum(axis=1)


def minimise(
    fun: Objective,
    x0: np.ndarray,
    *,
    bounds: tuple[float, float] = (-15.0, 15.0),
    gtol: float = 1e-7,
    gtol_accept: float = 1e-5,
    maxiter: int = 500,
    inverse_hessian: np.ndarray | None = None,
) -> Result:
    """Minimise ``fun`` (returning value and gradient) from ``x0``.

    ``inverse_hessian`` starts BFGS from a known curvature (e.g. from a fit on a subsample of the same
    data, whose mean log-likelihood has nearly the same Hessian), which saves most iterations.
    """
    lo, hi = bounds
    x = np.clip(np.asarray(x0, dtype=np.float64), lo, hi)
    n = x.size
    f, g = fun(x)
    nfev = 1
    if not np.isfinite(f) or not np.all(np.isfinite(g)):
        return Result(x, f, g, False, "the objective is not finite at the starting point", 0, nfev)
    H = np.eye(n)
    first = True
    if inverse_hessian is not None and np.all(np.isfinite(inverse_hessian)):
        H = np.array(inverse_hessian, dtype=np.float64)
        first = False
    for it in range(1, maxiter + 1):
        if np.max(np.abs(g)) < gtol:
            return Result(x, f, g, True, f"gradient below {gtol:g}", it - 1, nfev, H)
        p = -_matvec(H, g)
        slope = float((p * g).sum())
        if not slope < 0:  # not a descent direction: restart from steepest descent
            H = np.eye(n)
            p = -g
            slope = -float((g * g).sum())
        step = 1.0
        while True:
            x_new = np.clip(x + step * p, lo, hi)
            f_new, g_new = fun(x_new)
            nfev += 1
            if np.isfinite(f_new) and np.all(np.isfinite(g_new)) and f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
            if step < 1e-12:
                ok = bool(np.max(np.abs(g)) < gtol_accept)
                message = "the line search cannot decrease the objective further"
                return Result(x, f, g, ok, message, it, nfev, H)
        s = x_new - x
        y = g_new - g
        x, f, g = x_new, f_new, g_new
        ys = float((y * s).sum())
        if ys > 1e-300:
            if first:
                H = np.eye(n) * (ys / float((y * y).sum()))
                first = False
            rho = 1.0 / ys
            Hy = _matvec(H, y)
            yHy = float((y * Hy).sum())
            H = (
                H
                - rho * (np.multiply.outer(s, Hy) + np.multiply.outer(Hy, s))
                + (rho * rho * yHy + rho) * np.multiply.outer(s, s)
            )
    ok = bool(np.max(np.abs(g)) < gtol)
    return Result(x, f, g, ok, f"stopped after {maxiter} iterations", maxiter, nfev, H)
