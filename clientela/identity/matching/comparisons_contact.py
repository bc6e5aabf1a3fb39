"""Comparisons of multi-valued contact fields (emails, phones, handles, external ids): the best level
over all value combinations of a pair."""

from __future__ import annotations

import numpy as np

from .columns import Columns, MultiEncoded, explode
from .comparisons import MISSING, NO_TF, Comparison, Level, Result
from .normalize import PUBLIC_EMAIL_DOMAINS, is_generic_email


def _multi_tf(enc: MultiEncoded) -> tuple[list[str], np.ndarray]:
    return enc.vocab, np.bincount(enc.flat, minlength=len(enc.vocab))


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
        local_code, domain_code = locals_.setdefault, domains.setdefault
        parts = [email.split("@", 1) for email in enc.vocab]
        # Lists, then arrays: item by item into numpy arrays cost seconds at a million addresses.
        lc = np.array([local_code(local, len(locals_)) for local, _ in parts], dtype=np.int64)
        dc = np.array([domain_code(domain, len(domains)) for _, domain in parts], dtype=np.int64)
        generic = np.array([is_generic_email(email) for email in enc.vocab], dtype=bool)
        public = np.array([domain in PUBLIC_EMAIL_DOMAINS for _, domain in parts], dtype=bool)
        return lc, dc, generic, public

    return cols.derived("email_parts", build)


class EmailComparison(_MultiValued):
    """Emails: exact (personal), exact on a role mailbox between people (capped low), same local part
    on another domain, same company domain, different."""

    name = "email"
    levels = (
        Level("missing", 0.0),
        Level("exact", 0.8),
        Level("exact_generic_mailbox", 0.02, max_weight=1.0, below="exact", margin=4.0, side=True),
        Level("same_local_part", 0.05),
        Level("same_domain", 0.03, max_weight=2.0),
        Level("different", 0.1, max_weight=0.0),
    )
    tf_level = "exact"

    def _encode(self, cols: Columns) -> MultiEncoded:
        # flag: a role mailbox held by a person. A company's own info@ is its address and identifies it;
        # people who share one (colleagues, a family's mailbox) are not the same for sharing it.
        return cols.multi(
            "emails", lambda p: p.emails, lambda p, v: p.kind == "person" and is_generic_email(v)
        )

    def _row_levels(self, cols: Columns, enc: MultiEncoded, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        lc, dc, generic, public = _email_parts(cols, enc)
        va, vb = enc.flat[pa], enc.flat[pb]
        row = np.full(len(va), 5, dtype=np.int8)
        same_domain = (dc[va] == dc[vb]) & ~public[va] & ~generic[va] & ~generic[vb]
        row[same_domain] = 4
        same_local = (lc[va] == lc[vb]) & ~generic[va] & ~generic[vb]
        row[same_local] = 3
        exact = va == vb
        shared_role = enc.flags[pa] | enc.flags[pb]  # candidate pairs are of one kind: either side says it
        row[exact & shared_role] = 2
        row[exact & ~shared_role] = 1
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
