"""The public entry point: fit (EM, no labels), score, explain, resolve into clusters, index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .blocking import DEFAULT_RULES, PARALLEL_MIN_RECORDS, BlockingStats, KeyFunction, candidate_pairs
from .cluster import cluster_pairs
from .columns import Columns
from .comparisons import Comparison, FamilyNameComparison, GivenNameComparison, OrganisationNameComparison
from .comparisons_contact import EmailComparison, ExternalIdComparison, HandleComparison, PhoneComparison
from .comparisons_values import (
    BirthDateComparison,
    CityComparison,
    PostalCodeComparison,
    StreetComparison,
    TaxIdComparison,
)
from .em import collapse_patterns, estimate_prior, level_frequencies
from .explain import explain_row
from .index import MatchIndex
from .model import FieldParams, FitResult, Scores, build_tf_tables, compare_pairs, level_weights, score
from .normalize import NormalizedParty, normalize_record, normalize_records, party_fields
from .parallel import default_workers, gc_paused, map_forked
from .records import PartyRecord
from .training import train_m


def default_comparisons() -> tuple[Comparison, ...]:
    """The comparisons used unless a caller passes its own (order = column order of level matrices)."""
    return (
        GivenNameComparison(),
        FamilyNameComparison(),
        OrganisationNameComparison(),
        EmailComparison(),
        PhoneComparison(),
        TaxIdComparison(),
        BirthDateComparison(),
        StreetComparison(),
        PostalCodeComparison(),
        CityComparison(),
        HandleComparison(),
        ExternalIdComparison(),
    )


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """A pair a person should look at: scored between the thresholds, or strong but split apart."""

    left_id: str
    right_id: str
    probability: float


@dataclass(slots=True)
class Resolution:
    """Outcome of `Matcher.resolve_batch`: clusters of ids, pairs to review, the cluster label of each
    record position (the smallest position in its cluster) and the scored candidate pairs."""

    clusters: list[list[str]]
    review: list[ReviewPair]
    labels: np.ndarray
    scores: Scores


def _random_pairs(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    total = n * (n - 1) // 2
    if total <= count:
        left, right = np.triu_indices(n, k=1)
        return left.astype(np.int64), right.astype(np.int64)
    a = rng.integers(0, n, size=count)
    b = rng.integers(0, n - 1, size=count)
    b = b + (b >= a)  # uniform over the other records
    return np.minimum(a, b), np.maximum(a, b)


class Matcher:
    """Probabilistic (Fellegi-Sunter) matcher of party records.

    `fit` estimates u from random record pairs, m by EM in training sessions and the match prior
    over the candidate pairs produced by blocking; no labels are used.
    """

    def __init__(
        self,
        fitted: FitResult | None = None,
        *,
        comparisons: Sequence[Comparison] | None = None,
        rules: dict[str, KeyFunction] | None = None,
        max_block_size: int = 25,
        random_pairs: int = 200_000,
        seed: int = 0,
        workers: int | None = None,
    ) -> None:
        self.comparisons: tuple[Comparison, ...] = tuple(comparisons or default_comparisons())
        self.rules = dict(rules or DEFAULT_RULES)
        self.max_block_size = fitted.max_block_size if fitted else max_block_size
        self.random_pairs = random_pairs
        self.seed = seed
        # Processes a batch's comparisons and scores are spread over (`parallel.run_chunks`); 1 = none.
        self.workers = default_workers() if workers is None else max(1, workers)
        self._fitted = fitted

    # -- parameters -------------------------------------------------------------------------------------

    @property
    def fitted(self) -> FitResult:
        """The fitted parameters; raises if `fit` was never called."""
        if self._fitted is None:
            raise RuntimeError("Matcher is not fitted: call fit(records) or Matcher.from_json(...)")
        return self._fitted

    def to_json(self) -> str:
        """The fitted parameters as JSON."""
        return self.fitted.to_json()

    @classmethod
    def from_json(cls, text: str | dict[str, Any], **kwargs: Any) -> Matcher:
        """A matcher using parameters saved with `to_json` (no re-fitting)."""
        return cls(FitResult.from_json(text), **kwargs)

    # -- fitting ----------------------------------------------------------------------------------------

    def fit(self, records: Sequence[PartyRecord]) -> FitResult:
        """Estimate the model without labels and keep it; returns parameters and convergence info.

        u comes from random record pairs, m from EM training sessions (see `training`), and the prior
        (probability that two random records match) from the candidate pairs with m and u fixed.
        """
        with gc_paused():
            parties = self._parties(records)
            left, right, stats = candidate_pairs(
                parties, self.rules, self.max_block_size, workers=self.workers
            )
            return self._fit_prepared(parties, Columns(parties), left, right, stats)

    def _fit_prepared(
        self,
        parties: list[NormalizedParty],
        cols: Columns,
        left: np.ndarray,
        right: np.ndarray,
        stats: BlockingStats,
        compared: tuple[np.ndarray, list[np.ndarray]] | None = None,
    ) -> FitResult:
        n_levels = [len(c.levels) for c in self.comparisons]
        rng = np.random.default_rng(self.seed)
        rl, rr = _random_pairs(len(parties), self.random_pairs, rng)
        random_gamma, _ = compare_pairs(self.comparisons, cols, rl, rr)
        u = level_frequencies(random_gamma, n_levels)
        m_init = []
        for c in self.comparisons:
            start = np.array([0.0] + [max(lv.m_prior, 1e-3) for lv in c.levels[1:]])
            m_init.append(start / start.sum())
        m, sessions = train_m(
            self.comparisons,
            cols,
            m_init,
            u,
            max_block_size=self.max_block_size,
            seed=self.seed,
            workers=self.workers,
        )
        fields = [
            FieldParams(
                name=c.name,
                levels=[lv.code for lv in c.levels],
                m=[float(x) for x in m[f]],
                u=[float(x) for x in u[f]],
                u_random=[float(x) for x in u[f]],
            )
            for f, c in enumerate(self.comparisons)
        ]
        gamma = (compared or compare_pairs(self.comparisons, cols, left, right, workers=self.workers))[0]
        # The prior's fixed point runs over the distinct comparison patterns (thousands) weighted by how
        # many pairs show each, not over every candidate pair (tens of millions) at every iteration.
        patterns, counts = collapse_patterns(gamma, n_levels)
        log_bf = np.zeros(len(patterns))
        for f, c in enumerate(self.comparisons):
            log_bf += level_weights(c, fields[f])[patterns[:, f]] * np.log(2.0)
        # Only a person and a person, or an organisation and an organisation, can be one customer:
        # counting mixed pairs too would dilute the prior by the share of pairs that can never match.
        people = sum(1 for p in parties if p.kind == "person")
        others = len(parties) - people
        total_pairs = (people * (people - 1) + others * (others - 1)) / 2
        prior = estimate_prior(
            log_bf, total_pairs, start=min(0.5, len(parties) / max(total_pairs, 1.0)), counts=counts
        )
        self._fitted = FitResult(
            fields=fields,
            prior=prior,
            tf=build_tf_tables(self.comparisons, cols),
            iterations=sum(s.iterations for s in sessions),
            converged=all(s.converged for s in sessions),
            log_likelihood=0.0,
            n_records=len(parties),
            n_candidate_pairs=len(left),
            n_random_pairs=len(rl),
            max_block_size=self.max_block_size,
            blocking={**asdict(stats), "sessions": [asdict(s) for s in sessions]},
        )
        return self._fitted

    # -- scoring ----------------------------------------------------------------------------------------

    def _parties(self, records: Sequence[PartyRecord]) -> list[NormalizedParty]:
        workers = self.workers if len(records) >= PARALLEL_MIN_RECORDS else 1
        if workers == 1:
            return normalize_records(records)
        # Contiguous shares, so that the concatenation keeps the records' order; a child's records come
        # back as plain tuples (half the pickling cost of the dataclass instances).
        size = -(-len(records) // workers)
        shares = [range(start, min(start + size, len(records))) for start in range(0, len(records), size)]
        parts = map_forked(
            shares,
            lambda share: normalize_records([records[i] for i in share]),
            workers,
            pack=lambda parties: [party_fields(p) for p in parties],
            unpack=lambda rows: [NormalizedParty(*row) for row in rows],
        )
        return [party for part in parts for party in part]

    def candidate_pairs(self, records: Sequence[PartyRecord]) -> np.ndarray:
        """Candidate pairs of record positions as an (n, 2) int64 array (left < right)."""
        left, right, _ = candidate_pairs(self._parties(records), self.rules, self.max_block_size)
        return np.column_stack([left, right])

    def score_columns(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Scores:
        """Score pairs of already encoded records (used by the index and by `score_pairs`)."""
        return score(self.fitted, self.comparisons, cols, left, right)

    def score_pairs(
        self, records: Sequence[PartyRecord], pairs: np.ndarray | Sequence[tuple[int, int]]
    ) -> Scores:
        """Score pairs of record positions; `pairs` is (n, 2) like `candidate_pairs` returns."""
        arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        return self.score_columns(Columns(self._parties(records)), arr[:, 0], arr[:, 1])

    def explain(self, a: PartyRecord, b: PartyRecord) -> list[dict[str, Any]]:
        """Per-field levels and weights of one pair (see `explain_row` for the entries)."""
        cols = Columns([normalize_record(a), normalize_record(b)])
        scores = self.score_columns(cols, np.array([0]), np.array([1]))
        return explain_row(self.fitted, self.comparisons, scores, 0)

    # -- resolution -------------------------------------------------------------------------------------

    def resolve(
        self,
        records: Sequence[PartyRecord],
        merge_threshold: float = 0.9,
        review_threshold: float = 0.5,
    ) -> tuple[list[list[str]], list[ReviewPair]]:
        """Cluster records into parties (lists of ids, singletons included) and list pairs to review.

        Fits first when the matcher has no parameters yet. Thresholds are match probabilities.
        """
        result = self.resolve_batch(records, merge_threshold, review_threshold)
        return result.clusters, result.review

    def resolve_batch(
        self,
        records: Sequence[PartyRecord],
        merge_threshold: float = 0.9,
        review_threshold: float = 0.5,
    ) -> Resolution:
        """`resolve` with the working arrays kept (cluster label per record, scored pairs).

        Records are normalised and blocked once, for fitting (when not fitted yet) and scoring alike.
        """
        with gc_paused():
            parties = self._parties(records)
            cols = Columns(parties)
            left, right, stats = candidate_pairs(
                parties, self.rules, self.max_block_size, workers=self.workers
            )
            compared = compare_pairs(self.comparisons, cols, left, right, workers=self.workers)
            if self._fitted is None:
                self._fit_prepared(parties, cols, left, right, stats, compared)
            scores = score(
                self.fitted,
                self.comparisons,
                cols,
                left,
                right,
                compared,
                per_field=False,
                workers=self.workers,
            )
            del compared  # the TF codes: only the levels (kept in scores) are needed from here on

            def rescore(a: np.ndarray, b: np.ndarray) -> np.ndarray:
                return self.score_columns(cols, a, b).probability

            labels = cluster_pairs(
                len(parties), left, right, scores.probability, merge_threshold, review_threshold, rescore
            )
            groups: dict[int, list[str]] = {}
            for position, label in enumerate(labels.tolist()):
                groups.setdefault(label, []).append(records[position].id)
            split_strong = (scores.probability >= merge_threshold) & (labels[left] != labels[right])
            middle = (scores.probability >= review_threshold) & (scores.probability < merge_threshold)
            review = [
                ReviewPair(records[a].id, records[b].id, float(p))
                for a, b, p in zip(
                    left[middle | split_strong], right[middle | split_strong],
                    scores.probability[middle | split_strong], strict=True,
                )
            ]  # fmt: skip
            review.sort(key=lambda r: -r.probability)
        return Resolution(list(groups.values()), review, labels, scores)

    def index(self, records: Sequence[PartyRecord]) -> MatchIndex:
        """An in-memory index over existing records for real-time duplicate checks."""
        self.fitted  # noqa: B018 - fail early when not fitted
        return MatchIndex(self, records)
