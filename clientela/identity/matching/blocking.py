"""Candidate pairs from several blocking rules, unioned and deduplicated; never all pairs.

Each rule maps a normalised record to zero or more keys; two records sharing a key of the same rule
become a candidate pair. A key held by more than `max_block_size` records (a company switchboard, a
placeholder that slipped through cleaning, "jose|garcia" in a city of millions) would add up to n^2/2
pairs on its own: such a block is sub-blocked instead (sorted neighbourhood inside the block, see
`pairs_within_blocks`), so its duplicates are still proposed at a cost linear in its size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .normalize import STREET_TYPES, NormalizedParty
from .parallel import map_forked

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


_STREET_WORDS = frozenset(STREET_TYPES.values())


@lru_cache(maxsize=200_000)  # streets repeat across records, and two rules ask for each record's key
def street_key(street: str) -> str:
    """House numbers plus the first four letters of the street's name (street types skipped): equal for
    "calle mayor 12" and "c mayro 12", so a typo late in the street name still meets its duplicate."""
    numbers = [t for t in street.split() if t.isdigit()]
    words = [t for t in street.split() if not t.isdigit() and t not in _STREET_WORDS]
    return f"{' '.join(numbers)}|{words[0][:4]}" if words else ""


def _street_postal(p: NormalizedParty) -> list[str]:
    # Same address: the pairs the household correction exists for, and duplicates whose names were
    # mistyped, swapped or left out.
    key = street_key(p.street)
    return [f"{key}|{p.postal_code}"] if key and p.postal_code else []


def _street_city(p: NormalizedParty) -> list[str]:
    # Same address with a mistyped postal code.
    key = street_key(p.street)
    return [f"{key}|{p.city}"] if key and p.city else []


def _birth_postal(p: NormalizedParty) -> list[str]:
    return [f"{p.birth_date}|{p.postal_code}"] if p.birth_date and p.postal_code else []


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
    "street+postal_code": _street_postal,
    "street+city": _street_city,
    "birth_date+postal_code": _birth_postal,
}


@dataclass(slots=True)
class BlockingStats:
    """What blocking did: pairs per rule (before the union) and keys skipped for being too common."""

    pairs_per_rule: dict[str, int] = field(default_factory=dict)
    skipped_keys: dict[str, int] = field(default_factory=dict)  # oversize keys (sub-blocked, not all pairs)
    total_pairs: int = 0


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: `np.unique` without its hash path. NumPy 2.4 hashes integer arrays
    when no inverse is asked for, and on tens of millions of mostly distinct pair codes that took 89 s at
    a million records (13 s for 10M random int64s) where a sort and a comparison take 5 s for 52M."""
    return sorted_unique_of_sorted(np.sort(values))


def sorted_unique_of_sorted(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of an already sorted array."""
    if len(ordered) == 0:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def block_keys(parties: Sequence[NormalizedParty], rule: KeyFunction) -> tuple[np.ndarray, np.ndarray]:
    """(key code, record index) arrays of one rule, each (key, record) at most once."""
    index: dict[str, int] = {}
    keys: list[int] = []
    recs: list[int] = []
    code, add_key, add_rec = index.setdefault, keys.append, recs.append
    for r, party in enumerate(parties):
        found = rule(party)
        if not found:
            continue
        if len(found) == 1:  # most rules give one key or none: no set to build
            add_key(code(found[0], len(index)))
            add_rec(r)
            continue
        for key in set(found):
            add_key(code(key, len(index)))
            add_rec(r)
    return np.asarray(keys, dtype=np.int64), np.asarray(recs, dtype=np.int64)


def pairs_within_blocks(
    keys: np.ndarray,
    recs: np.ndarray,
    max_block_size: int,
    orders: Sequence[np.ndarray] = (),
    window: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """All pairs inside each block (vectorised); blocks larger than `max_block_size` are sub-blocked.

    A too-large block ("jose|garcia" in Madrid) would add s^2/2 pairs. Instead of dropping it, each of
    its members is paired with its `window` nearest members in every secondary order given (`orders`
    holds a rank per record, e.g. by birth date, by address): the sorted-neighbourhood method inside the
    block, so its duplicates are still found at s * window cost. Without orders such blocks are skipped.
    Returns left, right (left < right) and the number of oversize keys.
    """
    if len(keys) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, 0
    order = np.lexsort((recs, keys))
    keys, recs = keys[order], recs[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    oversize = sizes > max_block_size
    skipped = int(np.count_nonzero(oversize))
    keep = (sizes >= 2) & ~oversize
    left, right = _all_pairs(recs, starts[keep], sizes[keep])
    if skipped and window > 0 and orders:
        member = np.repeat(oversize, sizes)
        big_keys, big_recs = keys[member], recs[member]
        extra_l, extra_r = [left], [right]
        for rank in orders:
            by = np.lexsort((rank[big_recs], big_keys))
            k, r = big_keys[by], big_recs[by]
            for step in range(1, window + 1):
                same = k[step:] == k[:-step]
                extra_l.append(r[:-step][same])
                extra_r.append(r[step:][same])
        a, b = np.concatenate(extra_l), np.concatenate(extra_r)
        left, right = np.minimum(a, b), np.maximum(a, b)
    return left, right, skipped


def _all_pairs(recs: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # For the element at offset o of a block of size s, pair it with the s - o - 1 elements after it.
    member_block = np.repeat(np.arange(len(starts)), sizes)
    offset = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    position = starts[member_block] + offset
    partners = sizes[member_block] - offset - 1
    left_pos = np.repeat(position, partners)
    step = np.arange(int(partners.sum())) - np.repeat(np.cumsum(partners) - partners, partners)
    right_pos = left_pos + 1 + step
    a, b = recs[left_pos], recs[right_pos]
    return np.minimum(a, b), np.maximum(a, b)


def secondary_orders(parties: Sequence[NormalizedParty]) -> list[np.ndarray]:
    """Rank of every record in two sort orders used to sub-block oversize blocks: by birth date then
    name, and by address then name (duplicates agree on at least one of them far more often than not)."""
    by_birth = [f"{p.birth_date}|{p.given}|{p.family}" for p in parties]
    by_address = [f"{p.postal_code}|{p.street}|{p.given}" for p in parties]
    ranks = []
    for values in (by_birth, by_address):
        rank = np.empty(len(values), dtype=np.int64)
        rank[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
        ranks.append(rank)
    return ranks


SUB_BLOCK_WINDOW = 2
BY_BIRTH, BY_ADDRESS = 0, 1  # positions in `secondary_orders`
# The secondary orders an oversize block of each rule is sub-blocked by: not the one its key already
# holds. Inside "garcia|1975" the birth-date order puts together what "birth_date+name_initial" has
# already paired, and inside a street's block the address order what "street+postal_code" has. On the
# synthetic million records (window 2) this removed 1.7M of the 11.1M sub-blocked pairs and no true pair
# from the candidates. A rule not named here is sub-blocked by both orders.
SUB_BLOCK_ORDERS: dict[str, tuple[int, ...]] = {
    "family_first_token+birth_year": (BY_ADDRESS,),
    "birth_date+name_initial": (BY_ADDRESS,),
    "birth_year+name_prefixes": (BY_ADDRESS,),
    "postal_code+name_prefix": (BY_BIRTH,),
    "street+postal_code": (BY_BIRTH,),
    "street+city": (BY_BIRTH,),
}
PARALLEL_MIN_RECORDS = 50_000  # below this, forking costs more than sharing the rules saves


def _rules_pairs(
    parties: Sequence[NormalizedParty],
    rules: Sequence[tuple[str, KeyFunction]],
    max_block_size: int,
    window: int,
) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """The distinct pairs of some rules as sorted codes left * n + right, with pairs and oversize keys
    per rule."""
    n = len(parties)
    encoded: list[np.ndarray] = []
    pairs: dict[str, int] = {}
    skipped_keys: dict[str, int] = {}
    orders: list[np.ndarray] | None = None
    for name, rule in rules:
        keys, recs = block_keys(parties, rule)
        left, right, skipped = pairs_within_blocks(keys, recs, max_block_size)
        wanted = SUB_BLOCK_ORDERS.get(name, (BY_BIRTH, BY_ADDRESS))
        if skipped and window > 0 and wanted:
            orders = orders if orders is not None else secondary_orders(parties)
            chosen = [orders[k] for k in wanted]
            left, right, skipped = pairs_within_blocks(keys, recs, max_block_size, chosen, window)
        pairs[name] = len(left)
        skipped_keys[name] = skipped
        encoded.append(left * n + right)
        del keys, recs, left, right
    codes = sorted_unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    return codes, pairs, skipped_keys


def candidate_pairs(
    parties: Sequence[NormalizedParty],
    rules: dict[str, KeyFunction] | None = None,
    max_block_size: int = 50,
    window: int = SUB_BLOCK_WINDOW,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union of the pairs of every rule, deduplicated, between records of the same kind.

    With `workers` > 1 the rules are shared between forked processes (`parallel.map_forked`): each
    builds the keys and pairs of its rules and deduplicates them, and the sorted halves are merged.
    """
    rules = DEFAULT_RULES if rules is None else rules
    n = len(parties)
    stats = BlockingStats()
    items = list(rules.items())
    workers = max(1, min(workers, len(items))) if n >= PARALLEL_MIN_RECORDS else 1
    shares = [items[w::workers] for w in range(workers)]
    parts = map_forked(shares, lambda share: _rules_pairs(parties, share, max_block_size, window), workers)
    for _codes, pairs, skipped in parts:
        stats.pairs_per_rule.update(pairs)
        stats.skipped_keys.update(skipped)
    stats.pairs_per_rule = {name: stats.pairs_per_rule[name] for name in rules}
    stats.skipped_keys = {name: stats.skipped_keys[name] for name in rules}
    if len(parts) == 1:
        flat = parts[0][0]
    else:
        # Each part is sorted already: the stable sort (timsort) merges the runs in linear time.
        flat = np.concatenate([codes for codes, _p, _s in parts])
        del parts
        flat.sort(kind="stable")
        flat = sorted_unique_of_sorted(flat)
    left, right = flat // max(n, 1), flat % max(n, 1)
    del flat
    kinds = np.array([p.kind == "person" for p in parties], dtype=bool)
    same_kind = kinds[left] == kinds[right]
    left, right = left[same_kind], right[same_kind]
    stats.total_pairs = len(left)
    return left, right, stats
