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
            codes = np.empty(len(self.parties), dtype=np.int64)
            for r, party in enumerate(self.parties):
                value = getter(party)
                codes[r] = index.setdefault(value, len(index)) if value else -1
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
            for r, party in enumerate(self.parties):
                for value in getter(party):
                    flat.append(index.setdefault(value, len(index)))
                    flags.append(bool(flag(party, value)) if flag else False)
                offsets[r + 1] = len(flat)
            self._cache[name] = MultiEncoded(
                list(index), offsets, np.asarray(flat, dtype=np.int64), np.asarray(flags, dtype=bool)
            )
        return self._cache[name]

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
