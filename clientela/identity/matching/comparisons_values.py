"""Comparisons of single identifying values: tax id, birth date and the address parts."""

from __future__ import annotations

import numpy as np

from .columns import Columns, Encoded
from .comparisons import MISSING, NO_TF, Comparison, Level, Result, _edit_levels, _fuzzy_levels, _single_tf


class _SingleValue(Comparison):
    """A single string per record: exact (TF-adjusted), then a near level, then different."""

    key: str = ""

    def _enc(self, cols: Columns) -> Encoded:
        raise NotImplementedError

    def _near(self, cols: Columns, out: np.ndarray, todo: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        raise NotImplementedError

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        enc = self._enc(cols)
        a, b = enc.codes[left], enc.codes[right]
        different = len(self.levels) - 1
        out = np.full(len(left), different, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        self._near(cols, out, ~missing & ~exact, a, b)
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF) if self.tf_level else np.full(len(left), NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray] | None:
        """TF counts of the field's values."""
        return _single_tf(self._enc(cols)) if self.tf_level else None

    def record_tf_codes(self, cols: Columns) -> np.ndarray | None:
        """The record's own value code (the exact level shares it)."""
        return self._enc(cols).codes if self.tf_level else None


DIFFERENT_TAX_ID_MAX_WEIGHT = -3.0


class TaxIdComparison(_SingleValue):
    """Tax ids (normalised): exact, one edit away (a typo), different."""

    name = "tax_id"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("one_edit", 0.08),
        # Two different tax ids are two taxpayers (a mistyped one is "one_edit"): never weaker than this.
        # EM cannot learn it when one source alone keeps tax ids: the only pairs with two of them are
        # namesakes and relatives, which EM may count as matches and so teach that ids differ in matches.
        Level("different", 0.07, max_weight=DIFFERENT_TAX_ID_MAX_WEIGHT),
    )
    tf_level = "exact"

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("tax_id", lambda p: p.tax_id)

    def _near(self, cols: Columns, out: np.ndarray, todo: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        _edit_levels(out, todo, a, b, cols.edit_chars(self.name, self._enc(cols)), 2, 3)


class BirthDateComparison(Comparison):
    """Birth dates: exact, day and month swapped, one digit typed wrong, same year only, different."""

    name = "birth_date"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("day_month_swapped", 0.02, below="exact", margin=2.0),
        Level("one_edit", 0.06),
        Level("same_year", 0.03),
        Level("different", 0.04, max_weight=0.0),
    )

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        enc = cols.single("birth_date", lambda p: p.birth_date)
        ymd = cols.derived(
            "birth_ymd",
            lambda: np.array([[int(v[:4]), int(v[4:6]), int(v[6:])] for v in enc.vocab] or [[0, 0, 0]]),
        )
        a, b = enc.codes[left], enc.codes[right]
        out = np.full(len(left), 5, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        ya, yb = ymd[np.maximum(a, 0)], ymd[np.maximum(b, 0)]
        rest = ~missing & ~exact
        swapped = rest & (ya[:, 0] == yb[:, 0]) & (ya[:, 1] == yb[:, 2]) & (ya[:, 2] == yb[:, 1])
        out[swapped] = 2
        rest &= ~swapped
        _edit_levels(out, rest, a, b, cols.edit_chars("birth_date", enc), 3, 5)
        out[rest & (out == 5) & (ya[:, 0] == yb[:, 0])] = 4
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.full(len(left), NO_TF))


class StreetComparison(_SingleValue):
    """Streets with expanded abbreviations: exact, then Jaro-Winkler bands."""

    name = "street"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.7),
        Level("jaro_winkler>=0.92", 0.15),
        Level("jaro_winkler>=0.80", 0.07),
        Level("different", 0.08, max_weight=0.0),
    )

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("street", lambda p: p.street)

    def _near(self, cols: Columns, out: np.ndarray, todo: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        enc = self._enc(cols)
        counts = cols.char_counts(self.name, enc)
        _fuzzy_levels(out, todo, a, b, cols.strings(self.name, enc), [(0.92, 2), (0.80, 3)], 4, counts)


class PostalCodeComparison(_SingleValue):
    """Postal codes: exact (TF-adjusted), one edit, different."""

    name = "postal_code"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.8),
        Level("one_edit", 0.1),
        Level("different", 0.1, max_weight=0.0),
    )
    tf_level = "exact"

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("postal_code", lambda p: p.postal_code)

    def _near(self, cols: Columns, out: np.ndarray, todo: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        _edit_levels(out, todo, a, b, cols.edit_chars(self.name, self._enc(cols)), 2, 3)


class CityComparison(_SingleValue):
    """Cities (folded): exact (TF-adjusted), Jaro-Winkler >= 0.9, different."""

    name = "city"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.8),
        Level("jaro_winkler>=0.90", 0.1),
        Level("different", 0.1, max_weight=0.0),
    )
    tf_level = "exact"

    def _enc(self, cols: Columns) -> Encoded:
        return cols.single("city", lambda p: p.city)

    def _near(self, cols: Columns, out: np.ndarray, todo: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        enc = self._enc(cols)
        _fuzzy_levels(
            out, todo, a, b, cols.strings(self.name, enc), [(0.90, 2)], 3, cols.char_counts(self.name, enc)
        )
