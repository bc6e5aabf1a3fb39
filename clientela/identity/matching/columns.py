"""Columnar encoding of normalised records: every value becomes an integer code into a vocabulary, so
comparisons run as numpy operations over whole arrays of candidate pairs instead of per-pair objects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .normalize import NormalizedParty


@dataclass(slots=True)
class Encoded:
    """A single-valued field: vocabulary and one code per record (-1 when missing)."""

    vocab: list[str]
    codes: np.ndarray


@dataclass(slots=True)
class MultiEncoded:
    """A multi-valued field in CSR form: record r owns flat[offsets[r]:offsets[r + 1]]."""

    vocab: list[str]
    offsets: np.ndarray
    flat: np.ndarray
    flags: np.ndarray  # per flat value, a field-specific boolean (e.g. "is a mobile")

    @property
    def counts(self) -> np.ndarray:
        """Number of values of each record."""
        return np.diff(self.offsets)


class Columns:
    """Lazily built integer encodings of the fields of a list of normalised records."""

    def __init__(self, parties: Sequence[NormalizedParty]) -> None:
        self.parties = parties
        self._cache: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.parties)

    def single(self, name: str, getter: Callable[[NormalizedParty], str]) -> Encoded:
        """Encode one string per record ("" means missing)."""
        if name not in self._cache:
            index: dict[str, int] = {}
            code = index.setdefault
            # A list, then one array: assigning numpy items one by one cost twice as much.
            values = [getter(party) for party in self.parties]
            codes = np.array([code(v, len(index)) if v else -1 for v in values], dtype=np.int64)
            self._cache[name] = Encoded(list(index), codes)
        return self._cache[name]

    def multi(
        self,
        name: str,
        getter: Callable[[NormalizedParty], Sequence[str]],
        flag: Callable[[NormalizedParty, str], bool] | None = None,
    ) -> MultiEncoded:
        """Encode a tuple of strings per record."""
        if name not in self._cache:
            index: dict[str, int] = {}
            offsets = np.zeros(len(self.parties) + 1, dtype=np.int64)
            flat: list[int] = []
            flags: list[bool] = []
            code, add, add_flag = index.setdefault, flat.append, flags.append
            counts = np.zeros(len(self.parties), dtype=np.int64)
            for r, party in enumerate(self.parties):
                values = getter(party)
                if not values:
                    continue
                counts[r] = len(values)
                for value in values:
                    add(code(value, len(index)))
                    add_flag(bool(flag(party, value)) if flag else False)
            np.cumsum(counts, out=offsets[1:])
            self._cache[name] = MultiEncoded(
                list(index), offsets, np.asarray(flat, dtype=np.int64), np.asarray(flags, dtype=bool)
            )
        return self._cache[name]

    def strings(self, name: str, enc: Encoded | MultiEncoded) -> np.ndarray:
        """The vocabulary of an encoded field as an object array (built once, not once per chunk)."""
        return self.derived(f"{name}__strings", lambda: vocab_array(enc.vocab))

    def edit_chars(self, name: str, enc: Encoded) -> EditChars:
        """Character matrices of an encoded field's vocabulary, for `within_one_edit`."""
        return self.derived(f"{name}__chars", lambda: EditChars.build(enc.vocab))

    def char_counts(self, name: str, enc: Encoded) -> CharCounts:
        """Character counts of an encoded field's vocabulary, for `jaro_winkler_may_reach`."""
        return self.derived(f"{name}__counts", lambda: CharCounts.build(enc.vocab))

    def cached(self) -> dict[str, Any]:
        """Every encoding built so far, by name."""
        return dict(self._cache)

    def adopt(self, built: dict[str, Any]) -> None:
        """Take encodings built elsewhere from the same records (another process); ones built here win."""
        for name, value in built.items():
            self._cache.setdefault(name, value)

    def derived(self, name: str, build: Callable[[], Any]) -> Any:
        """Cache any other per-record array a comparison needs (lengths, parsed dates ...)."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]


def explode(enc: MultiEncoded, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, ...]:
    """All value combinations of each pair: (pair index, left flat position, right flat position)."""
    counts = enc.counts
    ca = counts[left]
    cb = counts[right]
    n = ca * cb
    total = int(n.sum())
    pair = np.repeat(np.arange(len(left), dtype=np.int64), n)
    start = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(total, dtype=np.int64) - start
    cbp = cb[pair]
    pa = enc.offsets[left][pair] + k // cbp
    pb = enc.offsets[right][pair] + k % cbp
    return pair, pa, pb


def vocab_array(vocab: list[str]) -> np.ndarray:
    """Vocabulary as a numpy object array, indexable by code arrays."""
    # Never empty: missing values index position 0 before being masked out.
    arr = np.empty(max(len(vocab), 1), dtype=object)
    arr[: len(vocab)] = vocab
    if not vocab:
        arr[0] = ""
    return arr


@dataclass(slots=True)
class EditChars:
    """A vocabulary as two character matrices, one left-aligned and one right-aligned (padded with 0),
    plus each value's length: enough to decide "at most one edit apart" for millions of pairs in numpy."""

    left: np.ndarray
    right: np.ndarray
    lengths: np.ndarray

    @classmethod
    def build(cls, vocab: Sequence[str]) -> EditChars:
        """Matrices of `vocab` (uint8 when every character fits, else the code points)."""
        width = max((len(v) for v in vocab), default=1) or 1
        chars = np.array(list(vocab) or [""], dtype=f"<U{width}").view(np.uint32).reshape(-1, width)
        if chars.size and int(chars.max()) < 256:
            chars = chars.astype(np.uint8)
        lengths = np.fromiter((len(v) for v in vocab), dtype=np.int64, count=len(vocab))
        if not len(lengths):
            lengths = np.zeros(1, dtype=np.int64)
        # Row r shifted right by (width - length): position j of the right-aligned row holds the
        # character at j - shift, or 0 before the value starts.
        source = np.arange(width)[None, :] - (width - lengths)[:, None]
        rows = np.arange(len(chars))[:, None]
        right = np.where(source >= 0, chars[rows, np.maximum(source, 0)], 0).astype(chars.dtype)
        return cls(chars, right, lengths)


def within_one_edit(chars: EditChars, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether values a[k] and b[k] (codes into the vocabulary behind `chars`) are at most one
    Damerau-Levenshtein edit apart: one substitution, insertion, deletion or swap of neighbours.

    With p the common prefix and s the common suffix of the two values (each at most the shorter
    length) and L the longer length: one substitution or one insertion/deletion iff p + s >= L - 1;
    one swap of neighbours iff the lengths are equal, p + s == L - 2 and the two characters after the
    prefix are crossed. The same answer as `DamerauLevenshtein.distance(x, y) <= 1`, without a sort of
    the pairs or a string comparison per pair.
    """
    result = np.zeros(len(a), dtype=bool)
    la, lb = chars.lengths[a], chars.lengths[b]
    width = chars.left.shape[1]
    # One edit leaves the first or the last character in place unless the values have at most two
    # characters: pairs differing at both ends (most pairs of different tax ids or dates) stop here,
    # before the full rows are compared.
    ends = (chars.left[a, 0] == chars.left[b, 0]) | (chars.right[a, width - 1] == chars.right[b, width - 1])
    close = np.flatnonzero((np.abs(la - lb) <= 1) & (ends | (np.maximum(la, lb) <= 2)))
    if not len(close):
        return result
    a, b, la, lb = a[close], b[close], la[close], lb[close]
    shortest, longest = np.minimum(la, lb), np.maximum(la, lb)
    same = chars.left[a] == chars.left[b]
    prefix = np.where(same.all(axis=1), width, same.argmin(axis=1))
    same = chars.right[a] == chars.right[b]
    suffix = np.where(same.all(axis=1), width, same[:, ::-1].argmin(axis=1))
    del same
    total = np.minimum(prefix, shortest) + np.minimum(suffix, shortest)
    hit = total >= longest - 1
    swap = np.flatnonzero(~hit & (la == lb) & (total == longest - 2))
    if len(swap):
        i, sa, sb = prefix[swap], a[swap], b[swap]
        crossed = (chars.left[sa, i] == chars.left[sb, i + 1]) & (chars.left[sa, i + 1] == chars.left[sb, i])
        hit[swap] = crossed
    result[close] = hit
    return result


CHAR_BUCKETS = 32


@dataclass(slots=True)
class CharCounts:
    """Per vocabulary value, how many of its characters fall in each of 32 buckets (code point mod 32)
    and its length: an upper bound of the characters two values have in common, cheap for millions of
    pairs (two characters in one bucket may differ, so the bound may be loose, never too low)."""

    counts: np.ndarray  # (values, CHAR_BUCKETS) uint8
    lengths: np.ndarray

    @classmethod
    def build(cls, vocab: Sequence[str]) -> CharCounts:
        """Counts of `vocab` (capped at 255 per bucket, far beyond any name or street)."""
        chars = EditChars.build(vocab)
        rows, cols = np.nonzero(np.arange(chars.left.shape[1])[None, :] < chars.lengths[:, None])
        buckets = chars.left[rows, cols].astype(np.int64) % CHAR_BUCKETS
        flat = np.bincount(rows * CHAR_BUCKETS + buckets, minlength=len(chars.lengths) * CHAR_BUCKETS)
        counts = np.minimum(flat, 255).astype(np.uint8).reshape(len(chars.lengths), CHAR_BUCKETS)
        return cls(counts, chars.lengths)


def jaro_winkler_may_reach(
    a_counts: CharCounts, b_counts: CharCounts, a: np.ndarray, b: np.ndarray, cut: float
) -> np.ndarray:
    """False where the Jaro-Winkler similarity of values a[k] and b[k] is surely below `cut`.

    Jaro is at most (c/|x| + c/|y| + 1) / 3 with c the characters the values share, and Winkler's
    prefix bonus (0.1 per common leading character, at most 4) at most 0.4 * (1 - Jaro): so
    JW <= 0.6 * Jaro + 0.4. Pairs whose bound stays under the cut need no string comparison.
    """
    shared = np.minimum(a_counts.counts[a], b_counts.counts[b]).sum(axis=1, dtype=np.int64)
    la = np.maximum(a_counts.lengths[a], 1)
    lb = np.maximum(b_counts.lengths[b], 1)
    jaro = (shared / la + shared / lb + 1.0) / 3.0
    return 0.6 * jaro + 0.4 >= cut - 1e-9
