"""Fellegi-Sunter model: fitted parameters as plain data, level weights and vectorised scoring.

Weights are log2 Bayes factors log2(m/u). On the level marked for term-frequency adjustment the
weight gains log2(u_avg / p_value): p_value is the share of records holding the agreed value and
u_avg = sum(p^2) the chance that two random records agree on any value, so agreeing on "garcia"
weighs less than the level's average and agreeing on a rare surname more.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .columns import Columns
from .comparisons import MISSING, NO_TF, Comparison
from .parallel import map_forked, run_chunks, shared_zeros

TF_MIN_ADJUSTMENT = -10.0
TF_MAX_ADJUSTMENT = 5.0  # a rare value is good evidence, but typos also create rare values
FORMAT_VERSION = 1
# Fields that agree together for different people of one household or office (same surname, street,
# postcode, city and landline). Treating them as independent evidence would add their weights up and merge
# relatives; within the group, positive evidence beyond the strongest field counts for at most
# DEPENDENT_EXTRA bits. (field, level or None for any level)
DEPENDENT_GROUP: tuple[tuple[str, str | None], ...] = (
    ("family_name", None),
    ("street", None),
    ("postal_code", None),
    ("city", None),
    ("phone", "exact_landline"),
)
DEPENDENT_EXTRA = 6.0


@dataclass(slots=True)
class FieldParams:
    """m and u per level of one comparison (index 0 is "missing" and unused)."""

    name: str
    levels: list[str]
    m: list[float]
    u: list[float]
    u_random: list[float]


@dataclass(slots=True)
class TFTable:
    """Value counts of one field over the fitted records (values seen once are not stored)."""

    total: int
    sum_p2: float
    counts: dict[str, int]

    def frequency(self, value: str) -> float:
        """Share of value occurrences holding `value`."""
        return self.counts.get(value, 1) / max(self.total, 1)


@dataclass(slots=True)
class FitResult:
    """Everything learnt by `Matcher.fit`: parameters, TF tables and how EM went."""

    fields: list[FieldParams]
    prior: float
    tf: dict[str, TFTable]
    iterations: int
    converged: bool
    log_likelihood: float
    n_records: int
    n_candidate_pairs: int
    n_random_pairs: int
    max_block_size: int
    blocking: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise to a JSON string (plain data, suitable for a JSONField)."""
        data = asdict(self)
        data["format_version"] = FORMAT_VERSION
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> FitResult:
        """Rebuild from `to_json` output (a string or the already-decoded dict)."""
        data = json.loads(text) if isinstance(text, str) else dict(text)
        version = data.pop("format_version", None)
        if version != FORMAT_VERSION:
            # levels or comparisons changed since: old m/u would be read against the wrong levels
            raise ValueError(f"fitted parameters of format {version}, expected {FORMAT_VERSION}")
        data["fields"] = [FieldParams(**f) for f in data["fields"]]
        data["tf"] = {k: TFTable(**v) for k, v in data["tf"].items()}
        return cls(**data)

    def params(self, name: str) -> FieldParams:
        """Parameters of one comparison by name."""
        for params in self.fields:
            if params.name == name:
                return params
        raise KeyError(name)


def level_weights(comparison: Comparison, params: FieldParams) -> np.ndarray:
    """Final log2 weight of every level: log2(m/u), then the comparison's caps and ordering."""
    levels = comparison.levels
    if comparison.fixed_weights is not None:
        return np.array([comparison.fixed_weights[lv.code] for lv in levels], dtype=np.float64)
    m = np.maximum(np.asarray(params.m, dtype=np.float64), 1e-9)
    u = np.maximum(np.asarray(params.u, dtype=np.float64), 1e-9)
    w = np.log2(m / u)
    w[MISSING] = 0.0
    codes = [lv.code for lv in levels]
    previous: int | None = None  # the last level on the similarity ladder (side levels are off it)
    for k in range(1, len(levels)):
        lv = levels[k]
        if comparison.ordered and previous is not None and not lv.side:
            # EM on few pairs can rank a weaker level above a stronger one; evidence must not grow as
            # agreement weakens.
            w[k] = min(w[k], w[previous])
        if lv.below is not None:
            w[k] = min(w[k], w[codes.index(lv.below)] - lv.margin)
        if lv.max_weight is not None:
            w[k] = min(w[k], lv.max_weight)
        if not lv.side:
            previous = k
    return w


@dataclass(slots=True)
class Scores:
    """Scored pairs as arrays: levels and weights per field, total weight and probability."""

    left: np.ndarray
    right: np.ndarray
    levels: np.ndarray  # (pairs, fields) int8
    weights: np.ndarray  # (pairs, fields) float32, TF adjustment included; (0, fields) if not per_field
    tf_adjustments: np.ndarray  # (pairs, fields) float32, the TF part of `weights`; likewise
    dependence: np.ndarray  # (pairs,) float64, <= 0: the household/address group correction
    prior_weight: float
    total: np.ndarray
    probability: np.ndarray

    def __len__(self) -> int:
        return len(self.left)


def probability_from_weight(weight: np.ndarray | float) -> np.ndarray:
    """Match probability from a total log2 odds."""
    return 1.0 / (1.0 + np.exp2(-np.clip(np.asarray(weight, dtype=np.float64), -200, 200)))


def prior_weight(fit: FitResult) -> float:
    """log2 prior odds that two random records match."""
    return math.log2(fit.prior / (1.0 - fit.prior))


# Pairs compared, and weighed, at a time (memory per batch run, not per pair; see below). Smaller chunks
# when several processes share the work, so that none of them is left with one chunk more for long.
COMPARE_CHUNK = 2_000_000
PARALLEL_CHUNK = 500_000
SCORE_CHUNK = 1_000_000


def compare_pairs(
    comparisons: Sequence[Comparison],
    cols: Columns,
    left: np.ndarray,
    right: np.ndarray,
    workers: int = 1,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The comparison-level matrix (pairs x fields, int8) and per field the TF value codes (int32; empty
    for a comparison without TF adjustment: tens of millions of pairs make every byte per pair count).

    With `workers` > 1 and at least two chunks of pairs, the chunks are shared between forked processes
    (see `parallel.run_chunks`) and the results live in shared memory."""
    parallel = workers > 1 and len(left) > COMPARE_CHUNK
    zeros = shared_zeros if parallel else np.zeros
    gamma = zeros((len(left), len(comparisons)), dtype=np.int8)
    # Only the fields whose shared value cannot be read back from the records (see `_SharedValues`).
    stored = [c.tf_level is not None and c.record_tf_codes(cols) is None for c in comparisons]
    tf_codes = [zeros(len(left) if keep else 0, dtype=np.int32) for keep in stored]
    if parallel:
        _build_encodings(comparisons, cols, left, right, workers)

    # A chunk of pairs at a time: a comparison's temporaries (value combinations, distinct value pairs,
    # the strings handed to rapidfuzz) grow with the pairs it is given, and at 6M pairs they were most of
    # the peak memory of a batch run.
    size = PARALLEL_CHUNK if parallel else COMPARE_CHUNK

    def compare_chunk(start: int) -> None:
        part = slice(start, start + size)
        for f, comparison in enumerate(comparisons):
            result = comparison.compare(cols, left[part], right[part])
            gamma[part, f] = result.levels
            if stored[f]:
                tf_codes[f][part] = result.tf_codes

    run_chunks(range(0, len(left), size), compare_chunk, workers if parallel else 1)
    return gamma, tf_codes


def _build_encodings(
    comparisons: Sequence[Comparison], cols: Columns, left: np.ndarray, right: np.ndarray, workers: int
) -> None:
    """Build every encoding the comparisons will read before the chunks are shared out, so that each
    worker inherits them instead of building its own. Encodings are built lazily by the comparisons:
    each one runs on a sample of the pairs, the comparisons spread over the processes (at a million
    records, reading every field of every record took half a minute in one process), and what a
    child built comes back pickled into `cols`."""
    sample = np.linspace(0, len(left) - 1, num=min(len(left), 50_000)).astype(np.int64)
    before = set(cols.cached())

    def build(k: int) -> dict[str, Any]:
        comparisons[k].compare(cols, left[sample], right[sample])
        return {key: value for key, value in cols.cached().items() if key not in before}

    for built in map_forked(range(len(comparisons)), build, workers):
        cols.adopt(built)


def score(
    fit: FitResult,
    comparisons: Sequence[Comparison],
    cols: Columns,
    left: np.ndarray,
    right: np.ndarray,
    compared: tuple[np.ndarray, list[np.ndarray]] | None = None,
    per_field: bool = True,
    workers: int = 1,
) -> Scores:
    """Score pairs (left[k], right[k]) of the records behind `cols` with fitted parameters.

    `compared` is `compare_pairs` output for these pairs when already computed (fitting needs it too).
    With `per_field` False the per-field weights are not kept (``weights`` and ``tf_adjustments`` are
    empty): batch resolution needs totals only, and explanations recompute their pair. `workers` as for
    `compare_pairs` (totals only: the per-field arrays are built in one piece).
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if compared is None:
        compared = compare_pairs(comparisons, cols, left, right, workers=workers)
    gamma, tf_codes = compared
    tables = [level_weights(c, fit.params(c.name)) for c in comparisons]
    adjustments = [_tf_adjustments(fit, c, cols) for c in comparisons]
    shared = _SharedValues(comparisons, cols, gamma, tf_codes, left)
    base = prior_weight(fit)
    if not per_field:
        # Only totals: field weights are built a chunk of pairs at a time and dropped, so memory per pair
        # is what the caller keeps (ids, levels, total, probability), not 12 float columns more.
        parallel = workers > 1 and len(left) > SCORE_CHUNK
        zeros = shared_zeros if parallel else np.zeros
        total = zeros(len(left), dtype=np.float64)
        dependence = zeros(len(left), dtype=np.float64)
        size = PARALLEL_CHUNK if parallel else SCORE_CHUNK

        def score_chunk(start: int) -> None:
            part = slice(start, start + size)
            weights, _tf = _field_weights(comparisons, gamma[part], tables, shared, adjustments, part)
            dependence[part] = _dependence_correction(comparisons, gamma[part], weights)
            total[part] = base + weights.sum(axis=1, dtype=np.float64) + dependence[part]

        run_chunks(range(0, len(left), size), score_chunk, workers if parallel else 1)
        empty = np.zeros((0, len(comparisons)), dtype=np.float32)
        return Scores(
            left, right, gamma, empty, empty, dependence, base, total, probability_from_weight(total)
        )
    weights, tf_adj = _field_weights(comparisons, gamma, tables, shared, adjustments, slice(None))
    dependence = _dependence_correction(comparisons, gamma, weights)
    total = base + weights.sum(axis=1, dtype=np.float64) + dependence
    return Scores(
        left, right, gamma, weights, tf_adj, dependence, base, total, probability_from_weight(total)
    )


class _SharedValues:
    """The code of the value both sides share, per pair and TF-adjusted field (-1 off the TF level).

    A single-valued field's shared value is the left record's own value, so it is read from the records
    here rather than kept per pair by `compare_pairs` (at tens of millions of pairs those int32 columns
    were a gigabyte); multi-valued fields (emails, phones) keep theirs from the comparison."""

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        cols: Columns,
        gamma: np.ndarray,
        tf_codes: list[np.ndarray],
        left: np.ndarray,
    ) -> None:
        self.gamma, self.tf_codes, self.left = gamma, tf_codes, left
        self.levels = [c.level_index(c.tf_level) if c.tf_level else -1 for c in comparisons]
        self.records = [c.record_tf_codes(cols) if c.tf_level else None for c in comparisons]

    def codes(self, f: int, part: slice) -> np.ndarray | None:
        """Shared value codes of field `f` for the pairs in `part` (None: the field has no TF level)."""
        if self.levels[f] < 0:
            return None
        records = self.records[f]
        if records is None:
            return self.tf_codes[f][part]
        return np.where(self.gamma[part, f] == self.levels[f], records[self.left[part]], NO_TF)


def _tf_adjustments(fit: FitResult, comparison: Comparison, cols: Columns) -> np.ndarray | None:
    """TF adjustment (bits) per value code of one field, or None when the field has none."""
    tf = fit.tf.get(comparison.name)
    if tf is None or comparison.tf_level is None:
        return None
    vocab_info = comparison.tf_vocab(cols)
    if vocab_info is None or not len(vocab_info[0]):
        return None
    vocab = vocab_info[0]
    # Every value of the vocabulary at once (a value held once has no entry: it counts as 1).
    counts = np.fromiter((tf.counts.get(v, 1) for v in vocab), dtype=np.float64, count=len(vocab))
    adjustment = np.log2(max(tf.sum_p2, 1e-12) / (counts / max(tf.total, 1)))
    return np.clip(adjustment, TF_MIN_ADJUSTMENT, TF_MAX_ADJUSTMENT)


def _field_weights(
    comparisons: Sequence[Comparison],
    gamma: np.ndarray,
    tables: list[np.ndarray],
    shared: _SharedValues,
    adjustments: list[np.ndarray | None],
    part: slice,
) -> tuple[np.ndarray, np.ndarray]:
    """(weights with TF included, the TF part) of the pairs in `part`, float32 (bits need no more)."""
    weights = np.zeros(gamma.shape, dtype=np.float32)
    tf_adj = np.zeros(gamma.shape, dtype=np.float32)
    for f in range(len(comparisons)):
        weights[:, f] = tables[f][gamma[:, f]]
        adjustment = adjustments[f]
        codes = shared.codes(f, part)
        if adjustment is None or codes is None:
            continue
        hit = codes >= 0
        tf_adj[hit, f] = adjustment[codes[hit]]
    weights += tf_adj
    return weights, tf_adj


def _dependence_correction(
    comparisons: Sequence[Comparison], gamma: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    names = [c.name for c in comparisons]
    columns = []
    for name, level in DEPENDENT_GROUP:
        if name not in names:
            continue
        f = names.index(name)
        positive = np.maximum(weights[:, f], 0.0)
        if level is not None:
            positive = np.where(gamma[:, f] == comparisons[f].level_index(level), positive, 0.0)
        columns.append(positive)
    if len(columns) < 2:
        return np.zeros(len(gamma))
    group = np.column_stack(columns)
    excess = group.sum(axis=1) - group.max(axis=1) - DEPENDENT_EXTRA
    return -np.maximum(excess, 0.0)


def build_tf_tables(
    comparisons: Sequence[Comparison], cols: Columns, max_values: int = 100_000
) -> dict[str, TFTable]:
    """Value counts per TF-adjusted field; only values seen at least twice (the most common first)."""
    tables: dict[str, TFTable] = {}
    for comparison in comparisons:
        if comparison.tf_level is None:
            continue
        info = comparison.tf_vocab(cols)
        if info is None:
            continue
        vocab, counts = info
        total = int(counts.sum())
        p = counts / max(total, 1)
        repeated = np.flatnonzero(counts >= 2)
        repeated = repeated[np.argsort(-counts[repeated], kind="stable")][:max_values]
        tables[comparison.name] = TFTable(
            total=total,
            sum_p2=float((p * p).sum()) if total else 0.0,
            counts={vocab[k]: int(counts[k]) for k in repeated},
        )
    return tables
