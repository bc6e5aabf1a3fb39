"""Candidate pairs from several blocking rules, unioned and deduplicated; never all pairs.

Each rule maps a normalised record to zero or more keys; two records sharing a key of the same rule
become a candidate pair. A key held by more than `max_block_size` records (a company switchboard, a
placeholder that slipped through cleaning, "garcia" + a large postcode) is skipped: such a key alone
would add up to n^2/2 pairs, and the other rules still reach the true duplicates behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .normalize import NormalizedParty

KeyFunction = Callable[[NormalizedParty], list[str]]


def _family_year(p: NormalizedParty) -> list[str]:
    return [f"{p.family_tokens[0]}|{p.birth_date[:4]}"] if p.family_tokens and p.birth_date else []


def _postal_name_prefix(p: NormalizedParty) -> list[str]:
    if not p.postal_code:
        return []
    tokens = (*p.given_tokens, *p.family_tokens, *p.organisation.split())
    return list({f"{p.postal_code}|{t[:3]}" for t in tokens if len(t) >= 2})


def _sorted_name(p: NormalizedParty) -> list[str]:
    # Given and family tokens together, sorted: survives swapped fields and reordered surnames.
    tokens = sorted((*p.given_tokens, *p.family_tokens))
    return [" ".join(tokens)] if len(tokens) >= 2 else []


def _canonical_name(p: NormalizedParty) -> list[str]:
    # Nickname-folded given name + each family token: Pepe García meets José García López.
    if not p.given_canon or not p.family_tokens:
        return []
    first = p.given_canon.split()[0]
    return [f"{first}|{t}" for t in p.family_tokens]


def _birth_initial(p: NormalizedParty) -> list[str]:
    if not p.birth_date:
        return []
    return list({f"{p.birth_date}|{t[0]}" for t in (*p.given_tokens, *p.family_tokens)})


def _org_key(p: NormalizedParty) -> list[str]:
    return [" ".join(sorted(p.organisation.split()))] if p.organisation else []


def _year_name_prefixes(p: NormalizedParty) -> list[str]:
    # Catches a typo in the family name when the given name, birth year and city agree.
    if not p.birth_date or not p.given_tokens or not p.family_tokens:
        return []
    return [f"{p.birth_date[:4]}|{p.given_tokens[0][:2]}|{p.family_tokens[0][:2]}"]


DEFAULT_RULES: dict[str, KeyFunction] = {
    "email": lambda p: list(p.emails),
    "phone": lambda p: list(p.phones),
    "tax_id": lambda p: [p.tax_id] if p.tax_id else [],
    "external_id": lambda p: list(p.external_ids),
    "handle": lambda p: list(p.handles),
    "family_first_token+birth_year": _family_year,
    "postal_code+name_prefix": _postal_name_prefix,
    "sorted_name_tokens": _sorted_name,
    "canonical_given+family_token": _canonical_name,
    "birth_date+name_initial": _birth_initial,
    "birth_year+name_prefixes": _year_name_prefixes,
    "organisation_key": _org_key,
}


@dataclass(slots=True)
class BlockingStats:
    """What blocking did: pairs per rule (before the union) and keys skipped for being too common."""

    pairs_per_rule: dict[str, int] = field(default_factory=dict)
    skipped_keys: dict[str, int] = field(default_factory=dict)
    total_pairs: int = 0


def block_keys(parties: Sequence[NormalizedParty], rule: KeyFunction) -> tuple[np.ndarray, np.ndarray]:
    """(key code, record index) arrays of one rule, each (key, record) at most once."""
    index: dict[str, int] = {}
    keys: list[int] = []
    recs: list[int] = []
    for r, party in enumerate(parties):
        for key in set(rule(party)):
            keys.append(index.setdefault(key, len(index)))
            recs.append(r)
    return np.asarray(keys, dtype=np.int64), np.asarray(recs, dtype=np.int64)


def pairs_within_blocks(
    keys: np.ndarray, recs: np.ndarray, max_block_size: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """All pairs inside each block (vectorised), skipping blocks larger than `max_block_size`.

    Returns left, right (left < right) and the number of skipped keys.
    """
    if len(keys) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, 0
    order = np.lexsort((recs, keys))
    keys, recs = keys[order], recs[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    skipped = int(np.count_nonzero(sizes > max_block_size))
    keep = (sizes >= 2) & (sizes <= max_block_size)
    starts, sizes = starts[keep], sizes[keep]
    # For the element at offset o of a block of size s, pair it with the s - o - 1 elements after it.
    member_block = np.repeat(np.arange(len(starts)), sizes)
    offset = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    position = starts[member_block] + offset
    partners = sizes[member_block] - offset - 1
    left_pos = np.repeat(position, partners)
    step = np.arange(int(partners.sum())) - np.repeat(np.cumsum(partners) - partners, partners)
    right_pos = left_pos + 1 + step
    a, b = recs[left_pos], recs[right_pos]
    return np.minimum(a, b), np.maximum(a, b), skipped


def candidate_pairs(
    parties: Sequence[NormalizedParty],
    rules: dict[str, KeyFunction] | None = None,
    max_block_size: int = 200,
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union of the pairs of every rule, deduplicated, between records of the same kind."""
    rules = DEFAULT_RULES if rules is None else rules
    n = len(parties)
    stats = BlockingStats()
    encoded: list[np.ndarray] = []
    for name, rule in rules.items():
        keys, recs = block_keys(parties, rule)
        left, right, skipped = pairs_within_blocks(keys, recs, max_block_size)
        stats.pairs_per_rule[name] = len(left)
        stats.skipped_keys[name] = skipped
        encoded.append(left * n + right)
    flat = np.unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    left, right = flat // max(n, 1), flat % max(n, 1)
    kinds = np.array([p.kind == "person" for p in parties], dtype=bool)
    same_kind = kinds[left] == kinds[right]
    left, right = left[same_kind], right[same_kind]
    stats.total_pairs = len(left)
    return left, right, stats
