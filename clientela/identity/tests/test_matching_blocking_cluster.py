"""Blocking and clustering of the matching engine (pure, no database)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from clientela.identity.matching import PartyRecord, cluster_pairs, normalize_record, synthetic
from clientela.identity.matching.blocking import candidate_pairs, pairs_within_blocks


def test_blocking_is_far_from_all_pairs_and_keeps_the_true_duplicates():
    records = synthetic.generate(2000, seed=11)
    parties = [normalize_record(r) for r in records]
    left, right, stats = candidate_pairs(parties)
    n = len(records)
    assert len(left) < n * (n - 1) / 2 / 50
    assert (left < right).all()
    assert len(set(zip(left.tolist(), right.tolist(), strict=True))) == len(left)
    groups: dict[str, list[int]] = {}
    for position, record in enumerate(records):
        groups.setdefault(synthetic.true_entity(record.id), []).append(position)
    truth = {pair for members in groups.values() for pair in combinations(members, 2)}
    found = set(zip(left.tolist(), right.tolist(), strict=True))
    assert len(truth) > 200
    assert len(truth & found) / len(truth) >= 0.99
    assert stats.total_pairs == len(left)


def test_oversized_blocks_are_skipped():
    keys = np.array([1] * 300 + [2, 2], dtype=np.int64)
    recs = np.arange(302, dtype=np.int64)
    left, right, skipped = pairs_within_blocks(keys, recs, max_block_size=200)
    assert skipped == 1
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(300, 301)]


def test_one_shared_placeholder_email_does_not_pair_everyone():
    records = [PartyRecord(id=str(k), given_name=f"Name{k}", emails=("test@test.com",)) for k in range(50)]
    left, _right, _stats = candidate_pairs([normalize_record(r) for r in records])
    assert len(left) == 0


def test_weak_chain_does_not_join_the_ends():
    # A~B and B~C above the threshold, but A and C are clearly different people.
    left = np.array([0, 1, 0])
    right = np.array([1, 2, 2])
    probability = np.array([0.95, 0.93, 0.01])
    labels = cluster_pairs(3, left, right, probability, merge_threshold=0.9, review_threshold=0.5)
    assert labels[0] != labels[2]
    assert labels[1] in (labels[0], labels[2])


@pytest.mark.parametrize(("end_pair", "joined"), [(0.35, True), (0.19, False)])
def test_an_uncertain_end_pair_does_not_split_a_strong_group_a_contradicting_one_does(end_pair, joined):
    # Heavily corrupted duplicates score "uncertain" against each other yet strongly against the rest;
    # a pair the engine is fairly sure about (below 0.2) still keeps the ends apart.
    left = np.array([0, 1, 0])
    right = np.array([1, 2, 2])
    probability = np.array([0.99, 0.98, end_pair])
    labels = cluster_pairs(3, left, right, probability, merge_threshold=0.9, review_threshold=0.5)
    assert bool(labels[0] == labels[2]) is joined


def test_weak_chain_without_a_scored_end_pair_is_rescored():
    left = np.array([0, 1])
    right = np.array([1, 2])
    probability = np.array([0.95, 0.95])
    labels = cluster_pairs(3, left, right, probability, 0.9, 0.5, rescore=lambda a, b: np.full(len(a), 0.001))
    assert labels[0] != labels[2]


def test_cluster_that_holds_together_is_kept():
    left = np.array([0, 0, 0, 1, 1, 2])
    right = np.array([1, 2, 3, 2, 3, 3])
    probability = np.array([0.99, 0.99, 0.99, 0.97, 0.6, 0.95])
    labels = cluster_pairs(5, left, right, probability, 0.9, 0.5)
    assert len(set(labels[:4].tolist())) == 1
    assert labels[4] == 4
