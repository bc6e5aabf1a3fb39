"""Clustering of scored pairs that refuses to chain weak links.

Chosen rule (documented for reviewers):

1. Connected components over edges with probability >= merge threshold.
2. A component is accepted as one cluster when it "holds together":
   - every member links at or above the merge threshold to at least half of the other members
     (ceil((k - 1) / 2) of them), and
   - no pair inside it contradicts: every pair scores at least `CONTRADICTION` (0.2), or the review
     threshold when that is lower (pairs never scored are re-scored through `rescore` when given;
     otherwise they count as neutral, at the review threshold).
3. Otherwise the component is split greedily around centres (pivot clustering): the member with the
   most strong links (ties: the largest summed log-odds) takes its strong neighbours; members are
   dropped from that group, weakest average support first, until the group holds together; the rest
   are clustered again the same way.

So A~B and B~C with A and C clearly different yield {A, B} + {C} (or {A} + {B, C}), never {A, B, C}.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# A pair inside a group "contradicts" it below this probability (or below the review threshold when that is
# lower): the engine is fairly sure they are different. A pair merely uncertain (heavily corrupted records,
# say 0.4) no longer splits a group whose members otherwise link strongly: on FEBRL3 the review threshold
# (0.5) as the bound split 24 true pairs scored >= 0.9 (cluster F1 0.9965); 0.2 gives 0.9981, with the
# same precision (bench/identity.py).
CONTRADICTION = 0.2
Rescore = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(x) for x in range(n)])


def holds_together(p: np.ndarray, merge: float, review: float) -> bool:
    """Whether a group with pairwise probability matrix `p` (diagonal ignored) may be one cluster."""
    k = len(p)
    if k <= 1:
        return True
    off = ~np.eye(k, dtype=bool)
    if (p[off] < min(review, CONTRADICTION)).any():
        return False
    strong = ((p >= merge) & off).sum(axis=1)
    return bool((strong >= math.ceil((k - 1) / 2)).all())


def split_group(p: np.ndarray, merge: float, review: float) -> list[list[int]]:
    """Split a component (matrix `p` of pairwise probabilities) into groups that hold together."""
    if holds_together(p, merge, review):
        return [list(range(len(p)))]
    logit = np.log(np.clip(p, 1e-12, 1 - 1e-12)) - np.log1p(-np.clip(p, 1e-12, 1 - 1e-12))
    remaining = list(range(len(p)))
    groups: list[list[int]] = []
    while remaining:
        sub = p[np.ix_(remaining, remaining)]
        strong = sub >= merge
        np.fill_diagonal(strong, False)
        support = np.where(strong, logit[np.ix_(remaining, remaining)], 0.0).sum(axis=1)
        pivot_pos = max(range(len(remaining)), key=lambda i: (strong[i].sum(), support[i], -i))
        pivot = remaining[pivot_pos]
        group = [pivot] + [remaining[i] for i in np.flatnonzero(strong[pivot_pos])]
        while not holds_together(p[np.ix_(group, group)], merge, review):
            gp = p[np.ix_(group, group)]
            np.fill_diagonal(gp, np.nan)
            mean = np.nanmean(gp, axis=1)
            mean[0] = np.inf  # the pivot stays
            group.pop(int(np.argmin(mean)))
        groups.append(group)
        taken = set(group)
        remaining = [r for r in remaining if r not in taken]
    return groups


def cluster_pairs(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    merge_threshold: float,
    review_threshold: float,
    rescore: Rescore | None = None,
    max_component: int = 60,
) -> np.ndarray:
    """Cluster label per record (labels are the smallest record index of each cluster).

    `rescore(left, right)` scores pairs inside a component that blocking never compared; components
    larger than `max_component` use only the pairs already scored (missing pairs count as neutral).
    """
    strong = probability >= merge_threshold
    comp = _components(n, left[strong], right[strong])
    labels = np.arange(n)
    order = np.argsort(comp, kind="stable")
    sorted_comp = comp[order]
    starts = np.flatnonzero(np.r_[True, sorted_comp[1:] != sorted_comp[:-1]])
    ends = np.r_[starts[1:], n]
    known: dict[tuple[int, int], float] | None = None
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        members = order[s:e]
        if len(members) == 1:
            continue
        if len(members) == 2:
            labels[members] = members.min()
            continue
        if known is None:
            in_comp = np.bincount(comp, minlength=n)[comp] >= 3
            mask = in_comp[left] & in_comp[right]
            known = {
                (int(a), int(b)): float(q)
                for a, b, q in zip(left[mask], right[mask], probability[mask], strict=True)
            }
        k = len(members)
        p = np.full((k, k), review_threshold, dtype=np.float64)
        unknown: list[tuple[int, int]] = []
        for i in range(k):
            for j in range(i + 1, k):
                a, b = int(min(members[i], members[j])), int(max(members[i], members[j]))
                q = known.get((a, b))
                if q is None:
                    unknown.append((i, j))
                else:
                    p[i, j] = p[j, i] = q
        if unknown and rescore is not None and k <= max_component:
            ui = np.array([members[i] for i, _ in unknown])
            uj = np.array([members[j] for _, j in unknown])
            rescored = rescore(np.minimum(ui, uj), np.maximum(ui, uj))
            for (i, j), value in zip(unknown, rescored.tolist(), strict=True):
                p[i, j] = p[j, i] = value
        np.fill_diagonal(p, 1.0)
        for group in split_group(p, merge_threshold, review_threshold):
            ids = members[group]
            labels[ids] = ids.min()
    return labels
