"""Batch work spread over forked processes gives exactly what one process gives, and fails loudly."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from clientela.identity.matching import Matcher, blocking, model, synthetic
from clientela.identity.matching.blocking import candidate_pairs
from clientela.identity.matching.columns import Columns
from clientela.identity.matching.normalize import normalize_records
from clientela.identity.matching.parallel import gc_paused, map_forked, run_chunks, shared_zeros

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


@pytest.fixture(autouse=True)
def _allow_fork(monkeypatch):
    # Even on a one-CPU runner the forked path must be the one exercised.
    monkeypatch.setattr("clientela.identity.matching.parallel.default_workers", lambda: 2)


@needs_fork
def test_run_chunks_fills_shared_memory_from_every_process():
    out = shared_zeros(1000, np.int64)

    def work(start: int) -> None:
        out[start : start + 100] = np.arange(start, start + 100) * 3

    run_chunks(range(0, 1000, 100), work, workers=3)
    assert out.tolist() == [k * 3 for k in range(1000)]


@needs_fork
def test_run_chunks_raises_when_a_child_fails():
    out = shared_zeros(10, np.int64)
    parent = os.getpid()

    def work(task: int) -> None:
        if os.getpid() != parent:
            raise ValueError("boom")
        out[task] = 1

    with pytest.raises(RuntimeError, match="worker processes failed"):
        run_chunks(list(range(10)), work, workers=2)


@needs_fork
def test_map_forked_keeps_task_order_and_reports_failures():
    parent = os.getpid()
    got = map_forked(list(range(7)), lambda k: (k, np.full(3, k), os.getpid() != parent), workers=3)
    assert [g[0] for g in got] == list(range(7))
    assert [g[1].tolist() for g in got] == [[k] * 3 for k in range(7)]
    assert any(g[2] for g in got)  # some of them did run in another process

    def fail_in_child(k: int) -> int:
        if os.getpid() != parent:
            raise ValueError("boom")
        return k

    with pytest.raises(RuntimeError, match="worker processes failed"):
        map_forked(list(range(4)), fail_in_child, workers=2)


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("x")
    assert gc.isenabled()


@pytest.fixture(scope="module")
def batch():
    records = synthetic.generate(3000, seed=21, namesake_rate=0.1, missing_rate=0.1)
    matcher = Matcher(seed=2, workers=1)
    matcher.fit(records)
    return records, matcher


@needs_fork
def test_compare_and_score_on_two_processes_equal_one(batch, monkeypatch):
    records, matcher = batch
    parties = normalize_records(records)
    left, right, _ = candidate_pairs(parties, matcher.rules, matcher.max_block_size)
    assert len(left) > 4000
    # Small chunks so that a few thousand pairs already take the parallel path.
    monkeypatch.setattr(model, "COMPARE_CHUNK", 1000)
    monkeypatch.setattr(model, "PARALLEL_CHUNK", 700)
    monkeypatch.setattr(model, "SCORE_CHUNK", 1000)
    one = model.compare_pairs(matcher.comparisons, Columns(parties), left, right, workers=1)
    two = model.compare_pairs(matcher.comparisons, Columns(parties), left, right, workers=2)
    assert np.array_equal(one[0], two[0])
    assert all(np.array_equal(a, b) for a, b in zip(one[1], two[1], strict=True))
    cols = Columns(parties)
    s1 = model.score(matcher.fitted, matcher.comparisons, cols, left, right, per_field=False, workers=1)
    s2 = model.score(matcher.fitted, matcher.comparisons, cols, left, right, per_field=False, workers=2)
    assert np.array_equal(s1.total, s2.total)
    # The per-field path (explanations) agrees with the totals-only path.
    full = model.score(matcher.fitted, matcher.comparisons, cols, left, right)
    assert np.allclose(full.total, s1.total, atol=1e-4)


@needs_fork
def test_blocking_on_two_processes_equals_one(batch, monkeypatch):
    records, matcher = batch
    parties = normalize_records(records)
    monkeypatch.setattr(blocking, "PARALLEL_MIN_RECORDS", 100)
    l1, r1, st1 = candidate_pairs(parties, matcher.rules, 5, workers=1)
    l2, r2, st2 = candidate_pairs(parties, matcher.rules, 5, workers=2)
    assert np.array_equal(l1, l2) and np.array_equal(r1, r2)
    assert st1.pairs_per_rule == st2.pairs_per_rule and st1.skipped_keys == st2.skipped_keys
    assert sum(st1.skipped_keys.values()) > 0  # oversize blocks were sub-blocked in both


@needs_fork
def test_resolution_with_workers_equals_one_process(monkeypatch):
    records = synthetic.generate(2500, seed=9, namesake_rate=0.1, missing_rate=0.1)
    monkeypatch.setattr(model, "COMPARE_CHUNK", 2000)
    monkeypatch.setattr(model, "PARALLEL_CHUNK", 1500)
    monkeypatch.setattr(model, "SCORE_CHUNK", 2000)
    monkeypatch.setattr(blocking, "PARALLEL_MIN_RECORDS", 100)
    monkeypatch.setattr("clientela.identity.matching.matcher.PARALLEL_MIN_RECORDS", 100)
    monkeypatch.setattr("clientela.identity.matching.training.PARALLEL_MIN_RECORDS", 100)
    one = Matcher(seed=1, workers=1).resolve_batch(records)
    two = Matcher(seed=1, workers=2).resolve_batch(records)
    assert sorted(map(sorted, one.clusters)) == sorted(map(sorted, two.clusters))
    assert np.array_equal(one.scores.probability, two.scores.probability)
    assert [r.probability for r in one.review] == [r.probability for r in two.review]


@needs_fork
def test_normalisation_on_two_processes_keeps_order_and_values(monkeypatch):
    records = synthetic.generate(900, seed=4, namesake_rate=0.1, missing_rate=0.2)
    monkeypatch.setattr("clientela.identity.matching.matcher.PARALLEL_MIN_RECORDS", 100)
    assert Matcher(workers=3)._parties(records) == normalize_records(records)
