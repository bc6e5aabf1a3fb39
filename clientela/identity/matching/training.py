"""Unsupervised estimation of m in training sessions, as Splink does, plus u from random pairs.

Each session takes the pairs sharing one key (same full name, same birth date, same email ...) and
runs EM with u fixed, estimating m only for the fields that did not define the session (those agree
by construction, so their m cannot be learnt there). Households (same surname, address and landline,
different given names) never share a name or a birth date, so they cannot pass for the "match" class
as they do when EM runs once over all candidate pairs. Each field's m is the average over the sessions
that estimated it, weighted by how many matching pairs backed each estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .blocking import PARALLEL_MIN_RECORDS, KeyFunction, block_keys, pairs_within_blocks
from .columns import Columns
from .comparisons import Comparison
from .em import collapse_patterns, run_em
from .model import compare_pairs
from .normalize import NormalizedParty, is_generic_email
from .parallel import map_forked


def _same_name(p: NormalizedParty) -> list[str]:
    if not p.given_canon or not p.family_tokens:
        return []
    return [f"{p.given_canon}|{' '.join(sorted(p.family_tokens))}"]


def _personal_emails(p: NormalizedParty) -> list[str]:
    return [e for e in p.emails if not is_generic_email(e)]


def _organisation(p: NormalizedParty) -> list[str]:
    return [p.organisation] if p.organisation else []


@dataclass(frozen=True, slots=True)
class Session:
    """A training session: the key defining its pairs and the fields that key fixes."""

    name: str
    key: KeyFunction
    blocked: frozenset[str]


DEFAULT_SESSIONS: tuple[Session, ...] = (
    Session("same_full_name", _same_name, frozenset({"given_name", "family_name"})),
    Session("same_birth_date", lambda p: [p.birth_date] if p.birth_date else [], frozenset({"birth_date"})),
    Session("same_personal_email", _personal_emails, frozenset({"email"})),
    Session("same_tax_id", lambda p: [p.tax_id] if p.tax_id else [], frozenset({"tax_id"})),
    Session("same_organisation", _organisation, frozenset({"organisation_name"})),
)
# No session on phones, addresses or surnames alone: relatives and colleagues share those, and
# a session made of them teaches EM that a different given name is common among "matches".


@dataclass(slots=True)
class SessionReport:
    """How one session went (kept in FitResult.blocking for inspection)."""

    name: str
    pairs: int
    iterations: int
    converged: bool
    prior: float


def train_m(
    comparisons: Sequence[Comparison],
    cols: Columns,
    m_init: list[np.ndarray],
    u: list[np.ndarray],
    sessions: Sequence[Session] = DEFAULT_SESSIONS,
    max_block_size: int = 200,
    max_pairs: int = 500_000,
    seed: int = 0,
    workers: int = 1,
) -> tuple[list[np.ndarray], list[SessionReport]]:
    """m per field from the sessions (fields no session could estimate keep `m_init`).

    A session with more than `max_pairs` pairs is sampled down to that many: half a million pairs pin
    m to well under a percent, and comparing more only cost time (at a million records the sessions
    had compared 10M pairs)."""
    n_levels = [len(c.levels) for c in comparisons]
    names = [c.name for c in comparisons]
    sums = [np.zeros(k) for k in n_levels]
    weights = np.zeros(len(comparisons))
    reports: list[SessionReport] = []

    def session_pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
        keys, recs = block_keys(cols.parties, sessions[k].key)
        left, right, _ = pairs_within_blocks(keys, recs, max_block_size)
        if len(left) > max_pairs:
            # One generator per session: the same sample whichever process draws it.
            keep = np.random.default_rng([seed, k]).choice(len(left), size=max_pairs, replace=False)
            left, right = left[keep], right[keep]
        return left, right

    # Every session's keys in parallel (Python work over all records, one pass per session), then all
    # their pairs compared together, so that the comparison is shared between the processes too.
    share = workers if len(cols) >= PARALLEL_MIN_RECORDS else 1
    pairs = map_forked(range(len(sessions)), session_pairs, share)
    sizes = [len(left) for left, _right in pairs]
    all_gamma, _ = compare_pairs(
        comparisons,
        cols,
        np.concatenate([left for left, _ in pairs]),
        np.concatenate([right for _, right in pairs]),
        workers=workers,
    )
    starts = np.cumsum([0, *sizes])
    for k, session in enumerate(sessions):
        if sizes[k] == 0:
            continue
        gamma = all_gamma[starts[k] : starts[k + 1]]  # each session's rows are its own: edited in place
        blocked = [name in session.blocked for name in names]
        gamma[:, blocked] = 0  # agree by construction: no information about m here
        patterns, counts = collapse_patterns(gamma, n_levels)
        result = run_em(
            patterns,
            counts,
            m_init,
            u,
            0.5,
            fix_u=True,
            trainable=[not b and c.fixed_weights is None for b, c in zip(blocked, comparisons, strict=True)],
        )
        reports.append(
            SessionReport(session.name, sizes[k], result.iterations, result.converged, result.prior)
        )
        for f in range(len(comparisons)):
            if blocked[f] or comparisons[f].fixed_weights is not None or result.m_support[f] < 1.0:
                continue
            sums[f] += result.m_support[f] * result.m[f]
            weights[f] += result.m_support[f]
    m = [sums[f] / weights[f] if weights[f] > 0 else m_init[f].copy() for f in range(len(comparisons))]
    return m, reports
