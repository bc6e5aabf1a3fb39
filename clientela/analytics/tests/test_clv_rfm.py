"""RFM summary, scores and segments of the math engine, with the bad input it must survive."""

from __future__ import annotations

import numpy as np
import pytest

from clientela.analytics.clv import rfm


def summary_of(rows: list[tuple[int, float, float]], as_of: float = 100.0) -> rfm.Summary:
    customer, t, amount = (np.array(col) for col in zip(*rows, strict=True))
    return rfm.summarise(customer.astype(np.int64), t.astype(float), amount.astype(float), as_of)


def test_summary_figures_keep_sub_day_times():
    s = summary_of(
        [
            (7, 10.25, 50.0),
            (7, 10.75, 30.0),  # same day, later: a second purchase, not merged
            (7, 40.5, 20.0),
            (7, 41.0, -10.0),  # a return of 10
            (3, 90.0, 15.0),  # single purchase
        ]
    )
    assert s.customer.tolist() == [3, 7]
    assert s.purchases.tolist() == [1, 3]
    assert s.frequency.tolist() == [0, 2]
    assert s.t_x.tolist() == [0.0, 30.25]
    assert s.T.tolist() == [10.0, 89.75]
    assert s.recency_days.tolist() == [10.0, 59.5]
    assert s.monetary.tolist() == [15.0, 90.0]
    assert s.returns.tolist() == [0.0, 10.0]
    # Repeat purchases 30 + 20 = 50, net of their 90/100 share of the return: 45 over 2 purchases.
    assert s.mean_repeat_value.tolist() == pytest.approx([0.0, 22.5])
    assert s.included.all()


def test_bad_rows_are_ignored_and_counted():
    s = summary_of(
        [
            (1, 10.0, 20.0),
            (1, 20.0, 0.0),  # zero amount: not a purchase
            (1, 30.0, np.nan),
            (1, np.inf, 5.0),
            (1, 150.0, 5.0),  # after as_of
            (2, 50.0, 10.0),
        ]
    )
    assert s.ignored_rows == {"not finite": 2, "zero amount": 1, "after as_of": 1}
    assert s.purchases.tolist() == [1, 1]
    assert s.frequency.tolist() == [0, 0]


def test_exclusions_have_reasons_and_no_nan():
    s = summary_of(
        [
            (1, 10.0, 20.0),
            (1, 12.0, -25.0),  # returns larger than purchases
            (2, 10.0, 20.0),
            (2, 15.0, -20.0),  # net zero
            (3, 30.0, -5.0),  # only a return
            (4, 40.0, 8.0),
        ]
    )
    assert s.excluded_reason().tolist() == [
        "returns larger than purchases",
        "net value not positive",
        "no purchases",
        "",
    ]
    assert s.included.tolist() == [False, False, False, True]
    for name in ("recency_days", "t_x", "T", "monetary", "mean_repeat_value", "first_t", "last_t"):
        assert np.all(np.isfinite(getattr(s, name))), name
    assert s.purchases[2] == 0 and s.frequency[2] == 0


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="same length"):
        rfm.summarise(np.array([1, 2]), np.array([1.0]), np.array([1.0, 2.0]), 10.0)
    with pytest.raises(ValueError, match="finite"):
        rfm.summarise(np.array([1]), np.array([1.0]), np.array([1.0]), float("nan"))


def test_scores_are_quintiles_with_ties_kept_together():
    rng = np.random.default_rng(3)
    n = 1000
    customer = np.arange(n)
    s = rfm.summarise(customer, rng.uniform(0, 100, n), rng.uniform(1, 100, n), 100.0)
    r, f, m, breakpoints = rfm.score(s)
    assert set(np.unique(r)) == {1, 2, 3, 4, 5}
    assert np.all(np.bincount(m)[1:] == 200)
    # Most recent get 5.
    assert r[np.argmin(s.recency_days)] == 5 and r[np.argmax(s.recency_days)] == 1
    # Everybody bought once: every frequency value is tied, so all share one score.
    assert np.unique(f).tolist() == [1]
    assert len(breakpoints["monetary"]) == 4


def test_equal_values_get_equal_scores_and_incremental_scoring_agrees():
    rows = [(c, 100.0 - c % 7, float(10 * (c % 5) + 5)) for c in range(1, 200)]
    rows += [(c, 50.0, 12.0) for c in range(1, 60)]  # repeat purchases for some
    s = summary_of(rows, as_of=101.0)
    r, f, m, breakpoints = rfm.score(s)
    for values, scores in ((s.recency_days, r), (s.purchases, f), (s.monetary, m)):
        for v in np.unique(values):
            assert np.unique(scores[values == v]).size == 1
    # One customer scored later against the stored breakpoints gets the batch's scores.
    one = s.take(np.array([42]))
    r1, f1, m1, same = rfm.score(one, breakpoints)
    assert (r1[0], f1[0], m1[0]) == (r[42], f[42], m[42])
    assert same is breakpoints


def test_segment_grid():
    r = np.array([5, 5, 4, 5, 4, 3, 3, 3, 2, 1, 2, 1, 1])
    f = np.array([5, 1, 5, 2, 1, 4, 3, 1, 2, 5, 4, 1, 4])
    m = np.array([5, 1, 4, 3, 1, 4, 3, 1, 1, 5, 3, 1, 3])
    assert rfm.segment(r, f, m).tolist() == [
        "champions",
        "new",
        "champions",  # FM = round(4.5) = 5
        "potential_loyalists",
        "promising",
        "loyal",
        "need_attention",
        "about_to_sleep",
        "hibernating",
        "cant_lose",
        "at_risk",
        "lost",
        "at_risk",
    ]
    assert set(rfm.SEGMENT_GRID.ravel()) == {
        "champions",
        "loyal",
        "potential_loyalists",
        "new",
        "promising",
        "need_attention",
        "about_to_sleep",
        "at_risk",
        "cant_lose",
        "hibernating",
        "lost",
    }


def test_dense_and_hashed_aggregation_agree(monkeypatch):
    # Dense ids (party ids) are aggregated by direct indexing, others by a polars group_by: same figures.
    rng = np.random.default_rng(4)
    for _ in range(10):
        n = int(rng.integers(1, 3000))
        customer = rng.integers(0, 500, n)
        t = rng.uniform(0, 100, n).round(int(rng.integers(0, 3)))  # rounding makes ties at one time
        amount = rng.choice([-20.0, 0.0, 5.0, 12.5, 30.0, np.nan], n, p=[0.15, 0.05, 0.3, 0.25, 0.24, 0.01])
        dense = rfm.summarise(customer, t, amount, 100.0)
        monkeypatch.setattr(rfm, "DENSE_SPAN_PER_ROW", -(10**9))
        hashed = rfm.summarise(customer, t, amount, 100.0)
        monkeypatch.undo()
        for name in ("customer", "purchases", "frequency", "recency_days", "t_x", "T", "monetary", "returns"):
            assert np.allclose(getattr(dense, name), getattr(hashed, name), rtol=1e-12, atol=1e-9), name
        assert np.allclose(dense.mean_repeat_value, hashed.mean_repeat_value, rtol=1e-12, atol=1e-9)
        assert dense.ignored_rows == hashed.ignored_rows
        assert dense.excluded_reason().tolist() == hashed.excluded_reason().tolist()


def test_sparse_and_negative_ids_and_empty_input():
    s = summary_of([(-5, 10.0, 3.0), (10**15, 20.0, 4.0), (10**15, 30.0, 6.0)])
    assert s.customer.tolist() == [-5, 10**15]
    assert s.frequency.tolist() == [0, 1]
    empty = rfm.summarise(np.array([], dtype=np.int64), np.array([]), np.array([]), 10.0)
    assert empty.n == 0
    r, f, m, _ = rfm.score(empty)
    assert r.size == f.size == m.size == 0
