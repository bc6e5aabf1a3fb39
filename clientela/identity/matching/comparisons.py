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
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from .columns import Columns, Encoded, MultiEncoded, explode, vocab_array
from .normalize import PUBLIC_EMAIL_DOMAINS, is_generic_email

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


def _cpdist(a: np.ndarray, b: np.ndarray, scorer: Any) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    # One worker: the batch is already cheap and the matcher must share the machine.
    return np.asarray(process.cpdist(list(a), list(b), scorer=scorer, workers=1))


def _fuzzy_levels(
    out: np.ndarray,
    todo: np.ndarray,
    sa: np.ndarray,
    sb: np.ndarray,
    cuts: list[tuple[float, int]],
    other: int,
) -> None:
    """Assign Jaro-Winkler levels to pairs selected by `todo` (cuts: (min similarity, level) desc)."""
    idx = np.flatnonzero(todo)
    sim = _cpdist(sa[idx], sb[idx], JaroWinkler.normalized_similarity)
    assigned = np.full(len(idx), other, dtype=np.int8)
    for cut, level in reversed(cuts):
        assigned[sim >= cut] = level
    out[idx] = assigned


def _edit_levels(
    out: np.ndarray, todo: np.ndarray, sa: np.ndarray, sb: np.ndarray, close: int, other: int
) -> None:
    idx = np.flatnonzero(todo)
    dist = _cpdist(sa[idx], sb[idx], DamerauLevenshtein.distance)
    out[idx] = np.where(dist <= 1, close, other).astype(np.int8)


def _single_tf(enc: Encoded) -> tuple[list[str], np.ndarray]:
    valid = enc.codes[enc.codes >= 0]
    return enc.vocab, np.bincount(valid, minlength=len(enc.vocab))


def _multi_tf(enc: MultiEncoded) -> tuple[list[str], np.ndarray]:
    return enc.vocab, np.bincount(enc.flat, minlength=len(enc.vocab))


def _token_sets(cols: Columns, name: str, getter: object) -> list[frozenset[str]]:
    return cols.derived(name, lambda: [frozenset(getter(p)) for p in cols.parties])  # type: ignore[operator]


def _subset_level(
    out: np.ndarray,
    todo: np.ndarray,
    sets: list[frozenset[str]],
    left: np.ndarray,
    right: np.ndarray,
    level: int,
) -> None:
    """Token-set containment (either way), checked per pair only where a side has several tokens."""
    for k in np.flatnonzero(todo):
        a = sets[left[k]]
        b = sets[right[k]]
        if a and b and (a <= b or b <= a):
            out[k] = level


class GivenNameComparison(Comparison):
    """Given names: exact, nickname (Pepe = José, Chema = José María), one name inside the other
    (José vs José María), initial (J. vs José), then Jaro-Winkler bands."""

    name = "given_name"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("nickname", 0.03),
        Level("token_subset", 0.03),
        Level("initial", 0.01),
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
        out = np.full(len(left), 7, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        ca, cb, xa, xb = canon[left], canon[right], alt[left], alt[right]
        nick = ~missing & ~exact & ((ca == cb) | (ca == xb) | (xa == cb) | (xa == xb))
        out[nick] = 2
        rest = ~missing & ~exact & ~nick
        sets = _token_sets(cols, "given_canon_sets", lambda p: p.given_canon.split())
        _subset_level(out, rest & ((ntok[left] > 1) | (ntok[right] > 1)), sets, left, right, 3)
        strings = vocab_array(enc.vocab)
        sa, sb = strings[np.maximum(a, 0)], strings[np.maximum(b, 0)]
        rest &= out == 7
        lengths = cols.derived("given_len", lambda: np.array([len(p.given) for p in cols.parties]))
        la, lb = lengths[left], lengths[right]
        initial = rest & (np.minimum(la, lb) == 1)
        for k in np.flatnonzero(initial):
            if sa[k][0] == sb[k][0]:
                out[k] = 4
        rest &= out == 7
        _fuzzy_levels(out, rest, sa, sb, [(0.92, 5), (0.80, 6)], 7)
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray]:
        """TF counts of folded given names."""
        return _single_tf(self._enc(cols))


class FamilyNameComparison(Comparison):
    """Family names, tokens in any order: exact, double surname with one missing ("García López" vs
    "García"), then Jaro-Winkler bands."""

    name = "family_name"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("double_surname_partial", 0.05),
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
        out = np.full(len(left), 5, dtype=np.int8)
        missing = (a < 0) | (b < 0)
        exact = ~missing & (a == b)
        rest = ~missing & ~exact
        sets = _token_sets(cols, "family_sets", lambda p: p.family_tokens)
        _subset_level(out, rest & ((ntok[left] > 1) | (ntok[right] > 1)), sets, left, right, 2)
        strings = vocab_array(plain.vocab)
        pa, pb = plain.codes[left], plain.codes[right]
        _fuzzy_levels(out, rest & (out == 5), strings[np.maximum(pa, 0)], strings[np.maximum(pb, 0)],
                      [(0.92, 3), (0.80, 4)], 5)  # fmt: skip
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray]:
        """TF counts of family names (sorted tokens)."""
        return _single_tf(self._enc(cols))


class OrganisationNameComparison(Comparison):
    """Organisation names without legal forms: exact, one name's tokens inside the other's, then
    Jaro-Winkler bands on the token-sorted names."""

    name = "organisation_name"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.85),
        Level("token_subset", 0.05),
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
        sets = _token_sets(cols, "org_sets", lambda p: p.organisation.split())
        _subset_level(out, rest, sets, left, right, 2)
        strings = vocab_array(enc.vocab)
        _fuzzy_levels(out, rest & (out == 5), strings[np.maximum(a, 0)], strings[np.maximum(b, 0)],
                      [(0.92, 3), (0.80, 4)], 5)  # fmt: skip
        out[exact] = 1
        out[missing] = MISSING
        return Result(out, np.where(exact, a, NO_TF))

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray]:
        """TF counts of organisation keys."""
        return _single_tf(self._enc(cols))


class _MultiValued(Comparison):
    """Shared machinery of multi-valued fields: the best level over all value combinations."""

    def _encode(self, cols: Columns) -> MultiEncoded:
        raise NotImplementedError

    def _row_levels(self, cols: Columns, enc: MultiEncoded, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def compare(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Result:
        enc = self._encode(cols)
        pair, pa, pb = explode(enc, left, right)
        row = self._row_levels(cols, enc, pa, pb)
        sentinel = np.int8(len(self.levels))
        best = np.full(len(left), sentinel, dtype=np.int8)
        np.minimum.at(best, pair, row)
        best[best == sentinel] = MISSING
        tf = np.full(len(left), NO_TF, dtype=np.int64)
        if self.tf_level is not None:
            tf_index = self.level_index(self.tf_level)
            hit = row == tf_index
            tf[pair[hit]] = enc.flat[pa[hit]]
        return Result(best, tf)

    def tf_vocab(self, cols: Columns) -> tuple[list[str], np.ndarray] | None:
        """TF counts over all values of the field."""
        return _multi_tf(self._encode(cols)) if self.tf_level else None


def _email_parts(cols: Columns, enc: MultiEncoded) -> tuple[np.ndarray, ...]:
    def build() -> tuple[np.ndarray, ...]:
        locals_: dict[str, int] = {}
        domains: dict[str, int] = {}
        lc = np.empty(len(enc.vocab), dtype=np.int64)
        dc = np.empty(len(enc.vocab), dtype=np.int64)
        generic = np.zeros(len(enc.vocab), dtype=bool)
        public = np.zeros(len(enc.vocab), dtype=bool)
        for k, email in enumerate(enc.vocab):
            local, domain = email.split("@", 1)
            lc[k] = locals_.setdefault(local, len(locals_))
            dc[k] = domains.setdefault(domain, len(domains))
            generic[k] = is_generic_email(email)
            public[k] = domain in PUBLIC_EMAIL_DOMAINS
        return lc, dc, generic, public

    return cols.derived("email_parts", build)


class EmailComparison(_MultiValued):
    """Emails: exact (personal), exact on a role mailbox (capped low), same local part on another
    domain, same company domain, different."""

    name = "email"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.8),
        Level("exact_generic_mailbox", 0.02, max_weight=1.0, below="exact", margin=4.0),
        Level("same_local_part", 0.05),
        Level("same_domain", 0.03, max_weight=2.0),
        Level("different", 0.1, max_weight=0.0),
    )
    tf_level = "exact"

    def _encode(self, cols: Columns) -> MultiEncoded:
        return cols.multi("emails", lambda p: p.emails)

    def _row_levels(self, cols: Columns, enc: MultiEncoded, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        lc, dc, generic, public = _email_parts(cols, enc)
        va, vb = enc.flat[pa], enc.flat[pb]
        row = np.full(len(va), 5, dtype=np.int8)
        same_domain = (dc[va] == dc[vb]) & ~public[va] & ~generic[va] & ~generic[vb]
        row[same_domain] = 4
        same_local = (lc[va] == lc[vb]) & ~generic[va] & ~generic[vb]
        row[same_local] = 3
        exact = va == vb
        row[exact & generic[va]] = 2
        row[exact & ~generic[va]] = 1
        return row


class PhoneComparison(_MultiValued):
    """E.164 phones: a shared mobile, a shared landline (weighs less: households and offices share
    them), different."""

    name = "phone"
    levels = (
        Level("missing", 0.0),
        Level("exact_mobile", 0.7),
        Level("exact_landline", 0.1, below="exact_mobile", margin=2.0),
        Level("different", 0.2, max_weight=0.0),
    )
    tf_level = "exact_mobile"

    def _encode(self, cols: Columns) -> MultiEncoded:
        return cols.multi("phones", lambda p: p.phones, lambda p, v: v in p.mobiles)

    def _row_levels(self, cols: Columns, enc: MultiEncoded, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        va, vb = enc.flat[pa], enc.flat[pb]
        row = np.full(len(va), 3, dtype=np.int8)
        exact = va == vb
        row[exact] = 2
        row[exact & (enc.flags[pa] | enc.flags[pb])] = 1
        return row


class HandleComparison(_MultiValued):
    """Social handles: the same handle, or none in common."""

    name = "handle"
    levels = (Level("missing", 0.0), Level("exact", 0.7), Level("different", 0.3, max_weight=0.0))
    tf_level = "exact"

    def _encode(self, cols: Columns) -> MultiEncoded:
        return cols.multi("handles", lambda p: p.handles)

    def _row_levels(self, cols: Columns, enc: MultiEncoded, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        return np.where(enc.flat[pa] == enc.flat[pb], 1, 2).astype(np.int8)


class ExternalIdComparison(_MultiValued):
    """External ids: the same id from the same source is a certain match (fixed weight); ids from
    different sources say nothing (missing); different ids from the same source weigh nothing either,
    because a source may itself hold duplicates."""

    name = "external_id"
    levels = (Level("missing", 0.0), Level("same_source_same_id", 1.0), Level("same_source_other_id", 0.0))
    fixed_weights = {"missing": 0.0, "same_source_same_id": 40.0, "same_source_other_id": 0.0}

    def _encode(self, cols: Columns) -> MultiEncoded:
        return cols.multi("external_ids", lambda p: p.external_ids)

    def _row_levels(self, cols: Columns, enc: MultiEncoded, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        def build() -> np.ndarray:
            sources: dict[str, int] = {}
            return np.array([sources.setdefault(v.split(":", 1)[0], len(sources)) for v in enc.vocab] or [0])

        source = cols.derived("external_source", build)
        va, vb = enc.flat[pa], enc.flat[pb]
        row = np.where(source[va] == source[vb], 2, len(self.levels)).astype(np.int8)
        row[va == vb] = 1
        return row
