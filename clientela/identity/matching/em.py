"""Expectation-maximisation for the Fellegi-Sunter mixture, vectorised over comparison patterns.

Candidate pairs are first collapsed to their distinct comparison vectors (a few thousand patterns
even for millions of pairs), so each iteration costs O(patterns x fields) numpy work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FLOOR = 1e-9


@dataclass(slots=True)
class EMResult:
    """Estimated parameters: m[f] and u[f] per level (index 0, "missing", unused), match prior."""

    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float
    iterations: int
    converged: bool
    log_likelihood: float
    m_support: list[float]  # expected matching pairs with a value on each field (how much m is backed)


def collapse_patterns(gamma: np.ndarray, n_levels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the level matrix (in the order of their mixed-radix codes) and how many pairs
    show each. Codes are sorted in place and decoded back into rows: no argsort of the pairs, which at
    tens of millions of pairs cost more than the EM it feeds."""
    if len(gamma) == 0:
        return gamma.reshape(0, len(n_levels)), np.zeros(0, dtype=np.float64)
    code = np.zeros(len(gamma), dtype=np.int64)
    for f, levels in enumerate(n_levels):
        code *= levels
        code += gamma[:, f]
    code.sort()
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    counts = np.diff(np.r_[starts, len(code)]).astype(np.float64)
    unique = code[starts]
    del code
    patterns = np.empty((len(unique), len(n_levels)), dtype=gamma.dtype)
    for f in range(len(n_levels) - 1, -1, -1):
        unique, patterns[:, f] = np.divmod(unique, n_levels[f])
    return patterns, counts


def level_frequencies(gamma: np.ndarray, n_levels: list[int], pseudo: float = 0.5) -> list[np.ndarray]:
    """Share of each non-missing level per field (used for u from random pairs), lightly smoothed."""
    out = []
    for f, levels in enumerate(n_levels):
        counts = np.bincount(gamma[:, f].astype(np.int64), minlength=levels).astype(np.float64)
        counts[0] = 0.0
        counts[1:] += pseudo
        out.append(counts / counts.sum())
    return out


def _log_tables(probs: list[np.ndarray]) -> list[np.ndarray]:
    tables = []
    for p in probs:
        t = np.log(np.maximum(p, _FLOOR))
        t[0] = 0.0  # missing contributes nothing to either likelihood
        tables.append(t)
    return tables


def run_em(
    patterns: np.ndarray,
    counts: np.ndarray,
    m_init: list[np.ndarray],
    u_init: list[np.ndarray],
    prior_init: float,
    *,
    fix_u: bool = False,
    trainable: list[bool] | None = None,
    pseudo_m: float = 5.0,
    pseudo_u: float = 5.0,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
) -> EMResult:
    """Fit m, u and the match prior on collapsed patterns.

    `pseudo_m`/`pseudo_u` are Dirichlet pseudo-counts pulling levels seen on very few pairs towards
    their starting values (MAP-EM), so a level present in three pairs cannot get an absurd weight.
    Fields not `trainable` keep their initial m and u.
    """
    n_fields = patterns.shape[1] if patterns.ndim == 2 else len(m_init)
    trainable = trainable or [True] * n_fields
    m = [x.copy() for x in m_init]
    u = [x.copy() for x in u_init]
    prior = float(prior_init)
    total = float(counts.sum())
    converged = False
    loglik = float("-inf")
    iteration = 0
    support = [0.0] * n_fields
    if total == 0:
        return EMResult(m, u, prior, 0, True, 0.0, [0.0] * n_fields)
    cols = [patterns[:, f].astype(np.int64) for f in range(n_fields)]
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - reported in the result
        log_m, log_u = _log_tables(m), _log_tables(u)
        lm = np.full(len(patterns), np.log(prior))
        lu = np.full(len(patterns), np.log1p(-prior))
        for f in range(n_fields):
            lm += log_m[f][cols[f]]
            lu += log_u[f][cols[f]]
        top = np.maximum(lm, lu)
        evidence = top + np.log(np.exp(lm - top) + np.exp(lu - top))
        loglik = float((counts * evidence).sum())
        resp = np.exp(lm - evidence)
        wm = counts * resp
        wu = counts - wm
        new_prior = float(np.clip(wm.sum() / total, 1e-9, 1 - 1e-9))
        delta = abs(new_prior - prior)
        new_m, new_u = [], []
        for f in range(n_fields):
            if not trainable[f]:
                new_m.append(m[f])
                new_u.append(u[f])
                continue
            levels = len(m[f])
            sm = np.bincount(cols[f], weights=wm, minlength=levels)
            su = np.bincount(cols[f], weights=wu, minlength=levels)
            sm[0] = su[0] = 0.0
            support[f] = float(sm.sum())
            mf = sm + pseudo_m * m_init[f]
            mf[0] = 0.0
            mf /= max(mf.sum(), _FLOOR)
            delta = max(delta, float(np.abs(mf - m[f]).max()))
            new_m.append(mf)
            if fix_u:
                new_u.append(u[f])
            else:
                uf = su + pseudo_u * u_init[f]
                uf[0] = 0.0
                uf /= max(uf.sum(), _FLOOR)
                delta = max(delta, float(np.abs(uf - u[f]).max()))
                new_u.append(uf)
        m, u, prior = new_m, new_u, new_prior
        if delta < tolerance:
            converged = True
            break
    return EMResult(m, u, prior, iteration, converged, loglik, support)


def estimate_prior(
    log_bayes_factor: np.ndarray,
    total_pairs: float,
    start: float,
    iterations: int = 100,
    counts: np.ndarray | None = None,
) -> float:
    """Probability that two random records match, with m and u fixed: a fixed point of
    prior = sum(posterior over candidate pairs) / all pairs, assuming pairs blocking never proposed
    do not match. `log_bayes_factor` is the natural-log sum of field weights of each candidate pair,
    or of each distinct comparison pattern when `counts` says how many pairs show it."""
    prior = float(np.clip(start, 1e-12, 0.5))
    for _ in range(iterations):
        odds = np.log(prior) - np.log1p(-prior) + log_bayes_factor
        posterior = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        matched = posterior.sum() if counts is None else float(posterior @ counts)
        new = float(np.clip(matched / max(total_pairs, 1.0), 1e-12, 0.5))
        if abs(new - prior) <= 1e-9 * max(prior, 1e-12):
            return new
        prior = new
    return prior
