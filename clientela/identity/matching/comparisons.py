"""Field comparisons: each turns arrays of candidate pairs into an int8 array of agreement levels.

Level 0 is always "missing" (one side has no usable value: weight 0). The other levels are ordered
from the strongest agreement to "different". A comparison may name one level whose weight gets the
term-frequency adjustment; it then also returns, per pair, the code of the value both sides share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from .columns import (
    CharCounts,
    Columns,
    EditChars,
    Encoded,
    jaro_winkler_may_reach,
    within_one_edit,
)

MISSING = 0
NO_TF = -1


@dataclass(frozen=True, slots=True)
class Level:
    """One agreement level: its code, a prior for m used to start EM, and an optional weight cap."""

    code: str
    m_prior: float
    max_weight: float | None = None
    below: str | None = None  # the weight must stay at least `margin` bits under this level's weight
    margin: float = 0.0
    # A side level (nickname, initial, swapped fields ...) is not a step on the similarity ladder: it is
    # neither capped by the level before it nor caps the levels after it. Without this, a level that
    # never occurs in the data (nicknames in an English file) would drag every weaker level down with it.
    side: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    """Levels of each pair and, for the TF level, the code of the shared value (else -1)."""

    levels: np.ndarray
    tf_codes: np.ndarray


class Comparison:
    """Base class: subclasses define `name`, `levels`, `tf_level` and `compare`."""

    name: str = ""
    levels: tuple[Level, ...] = ()
    tf_level: str | None = None
    ordered: bool = True  # a later level may never weigh more than an earlier one
    fixed_weights: dict[str, float] | None = None  # weights not learnt by EM

    def level_index(self, code: str) -> int:
        """Index of a level by its code."""
        return [lv.code for lv in self.levels].index(code)

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        """Agreement level of each pair (left[k], right[k])."""
        raise NotImplementedError

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray] | None:
        """Vocabulary and per-value occurrence counts used for the TF table (None: no TF)."""
        return None

    def record_tf_codes(self, cols: Columns) -> np.ndarray | None:
        """Per record, the code its pairs get on the TF level (a single value: the record's own), or
        None when a pair's shared value must come from `compare` (several values per record)."""
        return None


def _cpdist(a: np.ndarray, b: np.ndarray, scorer: Any) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    # One worker: the batch is already cheap and the matcher must share the machine.
    return np.asarray(process.cpdist(list(a), list(b), scorer=scorer, workers=1))


def code_pair_scores(
    a: np.ndarray, b: np.ndarray, strings_a: np.ndarray, strings_b: np.ndarray, scorer: Any
) -> np.ndarray:
    """`scorer` of the vocabulary strings behind code pairs, computed once per distinct pair of codes:
    candidate pairs repeat value pairs (cities, postal codes, common names), so this is far cheaper
    than one string comparison per candidate pair."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    width = len(strings_b)
    unique, inverse = np.unique(a.astype(np.int64) * width + b, return_inverse=True)
    return _cpdist(strings_a[unique // width], strings_b[unique % width], scorer)[inverse.reshape(-1)]


def _fuzzy_levels(
    out: np.ndarray,
    todo: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    strings: np.ndarray,
    cuts: list[tuple[float, int]],
    other: int,
    counts: CharCounts | None = None,
) -> None:
    """Assign Jaro-Winkler levels to pairs selected by `todo` (value codes a/b into `strings`; cuts:
    (min similarity, level), strongest first). With the values' `counts`, pairs that cannot reach the
    weakest cut are set to `other` without comparing their strings."""
    idx = np.flatnonzero(todo)
    if counts is not None and len(idx):
        reach = jaro_winkler_may_reach(counts, counts, a[idx], b[idx], min(cut for cut, _ in cuts))
        out[idx[~reach]] = other
        idx = idx[reach]
    sim = code_pair_scores(a[idx], b[idx], strings, strings, JaroWinkler.normalized_similarity)
    assigned = np.full(len(idx), other, dtype=np.int8)
    for cut, level in reversed(cuts):
        assigned[sim >= cut] = level
    out[idx] = assigned


def _edit_levels(
    out: np.ndarray,
    todo: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    chars: EditChars,
    close: int,
    other: int,
) -> None:
    """Level `close` for the pairs selected by `todo` at most one edit apart (a typo), else `other`."""
    idx = np.flatnonzero(todo)
    out[idx] = np.where(within_one_edit(chars, a[idx], b[idx]), close, other).astype(np.int8)


def _single_tf(enc: Encoded) -> tuple[list[str], np.ndarray]:
    valid = enc.codes[enc.codes >= 0]
    return enc.vocab, np.bincount(valid, minlength=len(enc.vocab))


SWAP_SIMILARITY = 0.9


def swapped_names(cols: Columns, left: np.ndarray, right: np.ndarray, todo: np.ndarray) -> np.ndarray:
    """Pairs (among `todo`) whose given and family names were typed into each other's fields: each
    side's given name is close (Jaro-Winkler) to the other side's family name, both ways round."""
    given = cols.single("given", lambda p: p.given)
    family = cols.single("family", lambda p: p.family)
    ga, gb, fa, fb = given.codes[left], given.codes[right], family.codes[left], family.codes[right]
    # A swap changes both fields: where either is the same on both sides there is nothing to compare
    # (most name-blocked pairs share the given name, and these two string comparisons were the
    # costliest part of the family-name comparison).
    todo = todo & (ga >= 0) & (gb >= 0) & (fa >= 0) & (fb >= 0) & (ga != gb) & (fa != fb)
    idx = np.flatnonzero(todo)
    hit = np.zeros(len(left), dtype=bool)
    if len(idx) == 0:
        return hit
    g_counts, f_counts = cols.char_counts("given", given), cols.char_counts("family", family)
    idx = idx[
        jaro_winkler_may_reach(g_counts, f_counts, ga[idx], fb[idx], SWAP_SIMILARITY)
        & jaro_winkler_may_reach(f_counts, g_counts, fa[idx], gb[idx], SWAP_SIMILARITY)
    ]
    gv, fv = cols.strings("given", given), cols.strings("family", family)
    jw = JaroWinkler.normalized_similarity
    one = code_pair_scores(ga[idx], fb[idx], gv, fv, jw) >= SWAP_SIMILARITY
    two = code_pair_scores(fa[idx], gb[idx], fv, gv, jw) >= SWAP_SIMILARITY
    hit[idx] = one & two
    return hit


SUBSET_MAX_TOKENS = 8  # values with more tokens (long company names) are compared as Python sets


def _token_matrix(vocab: list[str]) -> np.ndarray:
    """Each value's distinct tokens as integer codes, one row per value, padded with -1."""
    index: dict[str, int] = {}
    rows = [[index.setdefault(t, len(index)) for t in dict.fromkeys(v.split())] for v in vocab]
    width = max((len(r) for r in rows), default=1) or 1
    matrix = np.full((max(len(rows), 1), width), -1, dtype=np.int32)
    for k, row in enumerate(rows):
        matrix[k, : len(row)] = row
    return matrix


def _subset_level(
    out: np.ndarray,
    todo: np.ndarray,
    enc: Encoded,
    left: np.ndarray,
    right: np.ndarray,
    level: int,
    cols: Columns,
    name: str,
) -> None:
    """Token-set containment either way ("jose" inside "jose maria"); `enc` holds space-separated
    tokens. Decided on token-code matrices for all pairs at once when values have few tokens, else once
    per distinct pair of values."""
    idx = np.flatnonzero(todo & (enc.codes[left] >= 0) & (enc.codes[right] >= 0))
    if len(idx) == 0:
        return
    tokens = cols.derived(f"{name}__tokens", lambda: _token_matrix(enc.vocab))
    a, b = enc.codes[left[idx]], enc.codes[right[idx]]
    if tokens.shape[1] <= SUBSET_MAX_TOKENS:
        ta, tb = tokens[a], tokens[b]
        same = ta[:, :, None] == tb[:, None, :]
        a_in_b = ((ta < 0) | same.any(axis=2)).all(axis=1)
        b_in_a = ((tb < 0) | same.any(axis=1)).all(axis=1)
        out[idx[a_in_b | b_in_a]] = level
        return
    width = len(enc.vocab)
    unique, inverse = np.unique(a * width + b, return_inverse=True)
    sets = cols.derived(f"{name}__token_sets", lambda: [frozenset(v.split()) for v in enc.vocab])
    hit = np.array(
        [(x <= y or y <= x) for x, y in ((sets[u // width], sets[u % width]) for u in unique.tolist())],
        dtype=bool,
    )
    out[idx[hit[inverse.reshape(-1)]]] = level


class GivenNameComparison(Comparison):
    """Given names: exact, nickname (Pepe = José, Chema = José María), one name inside the other
    (José vs José María), initial (J. vs José), then Jaro-Winkler bands."""

    name = "given_name"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("nickname", 0.03, side=True),
        Level("token_subset", 0.03, side=True),
        Level("initial", 0.01, side=True),
        Level("swapped_with_family", 0.01, side=True, below="exact", margin=1.0),
        Level("jaro_winkler>=0.92", 0.05),
        Level("jaro_winkler>=0.80", 0.02),
        Level("different", 0.01, max_weight=0.0),
    )
    tf_level = "exact"

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("given", lambda p: p.given)

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        enc = self._enc(cols)
        canon = cols.single("given_canon", lambda p: p.given_canon).codes
        alt = cols.single("given_canon_alt", lambda p: p.given_canon_alt).codes
        ntok = cols.derived("given_ntok", lambda: np.array([len(p.given_tokens) for p in cols.parties]))
        a, b = enc.codes[left], enc.codes[right]
        out = np.full(len(left), 8, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        ca, cb, xa, xb = canon[left], canon[right], alt[left], alt[right]
        nick = ~missing & ~exact & ((ca == cb) | (ca == xb) | (xa == cb) | (xa == xb))
        out[nick] = 2
        rest = ~missing & ~exact & ~nick
        canon_enc = cols.single("given_canon", lambda p: p.given_canon)
        many = (ntok[left] > 1) | (ntok[right] > 1)
        _subset_level(out, rest & many, canon_enc, left, right, 3, cols, "given_canon")
        strings = cols.strings("given", enc)
        rest &= out == 8
        lengths = cols.derived("given_len", lambda: np.array([len(p.given) for p in cols.parties]))
        firsts = cols.derived("given_first", lambda: np.array([ord(p.given[0]) if p.given else 0
                                                                for p in cols.parties]))  # fmt: skip
        initial = rest & (np.minimum(lengths[left], lengths[right]) == 1) & (firsts[left] == firsts[right])
        out[initial] = 4
        rest &= out == 8
        out[swapped_names(cols, left, right, rest)] = 5
        rest &= out == 8
        _fuzzy_levels(out, rest, a, b, strings, [(0.92, 6), (0.80, 7)], 8, cols.char_counts("given", enc))
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray]:
        """TF counts of folded given names."""
        return _single_tf(self._enc(cols))

    def record_tf_codes(self, cols: Columns) -> np.ndarray:
        """The record's own value code (the exact level shares it)."""
        return self._enc(cols).codes


class FamilyNameComparison(Comparison):
    """Family names, tokens in any order: exact, double surname with one missing ("García López" vs
    "García"), then Jaro-Winkler bands."""

    name = "family_name"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("double_surname_partial", 0.05, side=True),
        Level("swapped_with_given", 0.01, side=True, below="exact", margin=1.0),
        Level("jaro_winkler>=0.92", 0.05),
        Level("jaro_winkler>=0.80", 0.03),
        Level("different", 0.02, max_weight=0.0),
    )
    tf_level = "exact"

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("family_sorted", lambda p: " ".join(sorted(p.family_tokens)))

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        enc = self._enc(cols)
        plain = cols.single("family", lambda p: p.family)
        ntok = cols.derived("family_ntok", lambda: np.array([len(p.family_tokens) for p in cols.parties]))
        a, b = enc.codes[left], enc.codes[right]
        out = np.full(len(left), 6, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        rest = ~missing & ~exact
        many = (ntok[left] > 1) | (ntok[right] > 1)
        _subset_level(out, rest & many, enc, left, right, 2, cols, "family_sorted")
        out[swapped_names(cols, left, right, rest & (out == 6))] = 3
        strings = cols.strings("family", plain)
        pa, pb = plain.codes[left], plain.codes[right]
        counts = cols.char_counts("family", plain)
        _fuzzy_levels(out, rest & (out == 6), pa, pb, strings, [(0.92, 4), (0.80, 5)], 6, counts)
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray]:
        """TF counts of family names (sorted tokens)."""
        return _single_tf(self._enc(cols))

    def record_tf_codes(self, cols: Columns) -> np.ndarray:
        """The record's own value code (the exact level shares it)."""
        return self._enc(cols).codes


class OrganisationNameComparison(Comparison):
    """Organisation names without legal forms: exact, one name's tokens inside the other's, then
    Jaro-Winkler bands on the token-sorted names."""

    name = "organisation_name"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("token_subset", 0.05, side=True),
        Level("jaro_winkler>=0.92", 0.05),
        Level("jaro_winkler>=0.80", 0.02),
        Level("different", 0.03, max_weight=0.0),
    )
    tf_level = "exact"

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("org_sorted", lambda p: " ".join(sorted(p.organisation.split())))

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        enc = self._enc(cols)
        a, b = enc.codes[left], enc.codes[right]
        out = np.full(len(left), 5, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        rest = ~missing & ~exact
        _subset_level(out, rest, enc, left, right, 2, cols, "org_sorted")
        strings = cols.strings("org_sorted", enc)
        counts = cols.char_counts("org_sorted", enc)
        _fuzzy_levels(out, rest & (out == 5), a, b, strings, [(0.92, 3), (0.80, 4)], 5, counts)
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray]:
        """TF counts of organisation keys."""
        return _single_tf(self._enc(cols))

    def record_tf_codes(self, cols: Columns) -> np.ndarray:
        """The record's own value code (the exact level shares it)."""
        return self._enc(cols).codes
