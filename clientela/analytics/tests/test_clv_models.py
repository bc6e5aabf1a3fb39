"""BG/NBD, Gamma-Gamma, CLV and churn risk of the math engine on simulated data and bad input."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from clientela.analytics.clv import bgnbd, gamma_gamma, pipeline, rfm, synthetic, value

TRUTH = {"r": 0.25, "alpha": 30.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 3.7, "v": 15.0}


@cache
def population() -> synthetic.Population:
    return synthetic.simulate(60_000, seed=11, **TRUTH)


@cache
def population_summary() -> rfm.Summary:
    pop = population()
    return rfm.summarise(pop.customer, pop.t, pop.amount, pop.as_of)


def test_simulation_is_well_formed():
    pop = population()
    s = population_summary()
    assert s.n == 60_000
    assert np.all(pop.t <= pop.as_of) and np.all(pop.amount > 0)
    # Sub-day times: almost no two purchases of a customer share a day number.
    assert np.mean(pop.t != np.floor(pop.t)) > 0.99
    # Mean repeat purchases close to the model's unconditional expectation for these ages.
    expected = bgnbd.expected_purchases_new(TRUTH, s.T).mean()
    assert s.frequency.mean() == pytest.approx(expected, rel=0.05)


def test_bgnbd_recovers_the_simulated_parameters():
    s = population_summary()
    fit = bgnbd.fit(s.frequency, s.t_x, s.T)
    assert fit.converged, fit.message
    for name in ("r", "alpha", "a", "b"):
        assert fit.params[name] == pytest.approx(TRUTH[name], rel=0.06), name


def test_gamma_gamma_recovers_the_simulated_parameters():
    s = population_summary()
    fit = gamma_gamma.fit(s.frequency, s.mean_repeat_value)
    assert fit.converged, fit.message
    for name in ("p", "q", "v"):
        assert fit.params[name] == pytest.approx(TRUTH[name], rel=0.06), name
    # The population mean spend p v / (q - 1) is identified much more tightly than p, q, v apart.
    truth_mean = TRUTH["p"] * TRUTH["v"] / (TRUTH["q"] - 1)
    assert fit.population_mean == pytest.approx(truth_mean, rel=0.02)


def test_subsampled_warm_start_reaches_the_full_data_maximum(monkeypatch):
    s = population_summary()
    monkeypatch.setattr(bgnbd, "SUBSAMPLE", 5_000)
    warm = bgnbd.fit(s.frequency, s.t_x, s.T)
    cold = bgnbd.fit(s.frequency, s.t_x, s.T, initial={"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0})
    assert warm.converged and cold.converged
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, abs=1e-3)
    for name in ("r", "alpha", "a", "b"):
        assert warm.params[name] == pytest.approx(cold.params[name], rel=1e-4), name


def test_gradient_is_the_derivative_of_the_likelihood():
    s = population_summary().take(np.arange(5_000))
    point = np.log([0.3, 20.0, 0.9, 2.0])
    d = bgnbd._Data(s.frequency, s.t_x, s.T)
    _, grad, _ = bgnbd._negll_and_grad(point, d)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6
        numeric = (
            bgnbd._negll_and_grad(point + step, d)[0] - bgnbd._negll_and_grad(point - step, d)[0]
        ) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_fit_that_does_not_converge_is_reported(monkeypatch):
    s = population_summary()
    monkeypatch.setattr(bgnbd, "MAX_ITERATIONS", 2)
    fit = bgnbd.fit(s.frequency, s.t_x, s.T, initial={"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0})
    assert not fit.converged
    assert "ITERATIONS" in fit.message.upper()
    pop = population()
    scored = pipeline.score_all(
        pop.customer, pop.t, pop.amount, pop.as_of, horizon_days=365, monthly_discount=0.01
    )
    assert scored.status == "not_converged"
    assert "BG/NBD did not converge" in scored.message
    assert not scored.has_bgnbd.any() and not scored.has_value.any()
    assert np.all(scored.p_alive == 0) and np.all(scored.clv == 0)
    assert np.all(scored.churn_risk == "")
    # RFM is still there.
    assert np.all(scored.r_score >= 1)


def test_data_without_repeat_purchases_does_not_converge():
    T = np.linspace(10, 300, 500)
    fit = bgnbd.fit(np.zeros(500, dtype=np.int64), np.zeros(500), T)
    assert not fit.converged
    assert fit.message


def test_gamma_gamma_with_infinite_mean_is_not_converged():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 4, 3000)
    m = (rng.pareto(0.6, 3000) + 1) * 10  # mean spend without a finite mean
    fit = gamma_gamma.fit(x, m)
    assert not fit.converged
    assert "q" in fit.message


def test_gamma_gamma_expected_value():
    params = {"p": 6.25, "q": 3.74, "v": 15.44}
    out = gamma_gamma.expected_value(params, np.array([0, 2, 10]), np.array([99.0, 30.0, 30.0]))
    assert out[0] == pytest.approx(6.25 * 15.44 / 2.74)  # x = 0: population mean, m ignored
    assert out[1] == pytest.approx(6.25 * (15.44 + 60) / (12.5 + 2.74))
    # Shrinkage towards the population mean (35.2) weakens as the customer's evidence grows.
    assert out[0] > out[1] > out[2] > 30.0


def test_fast_clv_on_simulated_customers():
    s = population_summary()
    bg = bgnbd.fit(s.frequency, s.t_x, s.T)
    gg = gamma_gamma.fit(s.frequency, s.mean_repeat_value)
    sub = s.take(np.arange(0, s.n, 10))
    args = (bg, gg, sub.frequency, sub.t_x, sub.T, sub.mean_repeat_value)
    exact = value.clv(*args, horizon_days=365, monthly_discount=0.01, method="exact")
    fast = value.clv(*args, horizon_days=365, monthly_discount=0.01)
    assert np.max(np.abs(fast - exact) / exact) < 0.005
    assert fast.sum() == pytest.approx(exact.sum(), rel=0.002)
    # No discount and one step: CLV is expected purchases times order value.
    one = value.clv(*args, horizon_days=30, monthly_discount=0.0)
    ev = gamma_gamma.expected_value(gg, sub.frequency, sub.mean_repeat_value)
    assert one == pytest.approx(ev * bgnbd.expected_purchases(bg, 30.0, sub.frequency, sub.t_x, sub.T))


def test_churn_rule():
    p_alive = np.array([0.2, 0.45, 0.45, 0.55, 0.9, 0.9, 1.0, 1.0, 1.0])
    recency = np.array([1.0, 40.0, 5.0, 1.0, 25.0, 5.0, 100.0, 50.0, 5.0])
    t_x = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0])
    x = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0])
    risk, reason = value.churn_risk(p_alive, recency, t_x, x, population_rhythm_days=20.0)
    assert risk.tolist() == ["high", "high", "medium", "medium", "medium", "low", "high", "medium", "low"]
    assert reason.tolist() == [
        "p_alive_below_30",
        "overdue_3x_and_p_alive_below_50",
        "p_alive_below_60",
        "p_alive_below_60",
        "overdue_2x",
        "ok",
        "single_purchase_overdue_3x",
        "overdue_2x",
        "ok",
    ]
    # Without a population rhythm it is the median of the customers' own.
    assert value.population_rhythm(np.array([10.0, 30.0, 0.0]), np.array([1, 1, 0])) == 20.0


def test_pipeline_with_bad_customers_and_too_few():
    pop = synthetic.simulate(3_000, seed=2, **TRUTH)
    customer = np.concatenate([pop.customer, [900_001, 900_001, 900_002, 900_003, 900_003]])
    t = np.concatenate([pop.t, [pop.as_of - 50, pop.as_of - 40, pop.as_of - 5, pop.as_of - 9, pop.as_of - 8]])
    amount = np.concatenate([pop.amount, [10.0, -30.0, 0.0, 5.0, -5.0]])
    scored = pipeline.score_all(customer, t, amount, pop.as_of, horizon_days=365, monthly_discount=0.01)
    assert scored.status == "ok", scored.message
    reasons = dict(zip(scored.customer.tolist(), scored.excluded_reason.tolist(), strict=True))
    assert reasons[900_001] == "returns larger than purchases"
    assert reasons[900_003] == "net value not positive"
    assert 900_002 not in reasons  # only a zero-amount row: ignored, counted
    assert scored.summary.ignored_rows["zero amount"] == 1
    bad = np.isin(scored.customer, [900_001, 900_003])
    assert not scored.has_value[bad].any() and np.all(scored.clv[bad] == 0)
    assert scored.has_value[~bad].all()
    for arr in (scored.p_alive, scored.expected_purchases, scored.expected_order_value, scored.clv):
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
    stats = scored.stats()
    assert stats["excluded"] == {"returns larger than purchases": 1, "net value not positive": 1}
    # A refit warm-started from the previous one lands on the same maximum.
    again = pipeline.score_all(
        customer,
        t,
        amount,
        pop.as_of,
        horizon_days=365,
        monthly_discount=0.01,
        previous={"bgnbd": scored.bgnbd.params, "gamma_gamma": scored.gamma_gamma.params},
    )
    assert again.bgnbd.r == pytest.approx(scored.bgnbd.r, rel=1e-4)

    few = pipeline.score_all(
        pop.customer[:30],
        pop.t[:30],
        pop.amount[:30],
        pop.as_of,
        horizon_days=365,
        monthly_discount=0.01,
        min_customers=20,
    )
    assert few.status == "too_few" and few.bgnbd is None
    assert np.all(few.r_score >= 1) and not few.has_bgnbd.any()


def test_rounding_purchases_to_days_biases_the_fit():
    # Frequent buyers (alpha 3.6 days: several purchases a day for some): counting by day, as
    # lifetimes' summary does, merges same-day purchases and the fitted rate drops; sub-day times don't.
    truth = {**TRUTH, "alpha": 3.6}
    pop = synthetic.simulate(40_000, seed=5, **truth)
    exact = rfm.summarise(pop.customer, pop.t, pop.amount, pop.as_of)
    fit = bgnbd.fit(exact.frequency, exact.t_x, exact.T)
    assert fit.alpha == pytest.approx(truth["alpha"], rel=0.06)
    key = pop.customer * 100_000 + np.floor(pop.t - synthetic.EPOCH_DAY).astype(np.int64)
    first = np.unique(key, return_index=True)[1]
    by_day = rfm.summarise(
        pop.customer[first], np.floor(pop.t[first]), pop.amount[first], np.floor(pop.as_of)
    )
    rounded = bgnbd.fit(by_day.frequency, by_day.t_x, by_day.T)
    assert by_day.frequency.sum() < 0.95 * exact.frequency.sum()
    assert rounded.alpha > 1.15 * truth["alpha"]


def test_expected_purchases_against_quadrature_for_heavy_buyers():
    # E[Y(t)] = P(alive) * integral of (1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p over p ~ Beta(a, b+x):
    # checks scipy's hyp2f1 where it is hardest (hundreds of purchases, z near 0.35).
    from scipy import integrate, stats

    params = {"r": 0.25, "alpha": 3.65, "a": 0.8, "b": 2.48}
    for x, t_x, T in (
        (0, 0.0, 300.0),
        (1, 100.0, 300.0),
        (50, 650.0, 700.0),
        (600, 699.0, 700.0),
        (5, 10.0, 700.0),
    ):
        args = (np.array([x]), np.array([t_x]), np.array([T]))
        alive = bgnbd.p_alive(params, *args)[0]
        got = bgnbd.expected_purchases(params, 365.0, *args)[0]
        shape = params["r"] + x
        base = params["alpha"] + T

        def integrand(p: float, shape: float = shape, base: float = base, x: int = x) -> float:
            return (
                (1 - (base / (base + p * 365.0)) ** shape)
                / p
                * stats.beta.pdf(p, params["a"], params["b"] + x)
            )

        want = alive * integrate.quad(integrand, 0, 1, limit=500, points=[1e-6, 1e-4, 1e-2])[0]
        assert got == pytest.approx(want, rel=1e-8), (x, t_x, T)


def test_a_failed_previous_fit_is_not_used_as_a_start():
    s = population_summary().take(np.arange(20_000))
    zeros = {"r": 0.0, "alpha": 0.0, "a": 0.0, "b": 0.0}
    fit = bgnbd.fit(s.frequency, s.t_x, s.T, initial=zeros)
    assert fit.converged and fit.params == pytest.approx(bgnbd.fit(s.frequency, s.t_x, s.T).params, rel=1e-5)
    gg = gamma_gamma.fit(s.frequency, s.mean_repeat_value, initial={"p": 0.0, "q": float("nan"), "v": 1.0})
    assert gg.converged
    assert bgnbd.fit(s.frequency, s.t_x, s.T, initial={"r": 1.0}).converged  # keys missing


def test_single_purchase_customers_get_the_population_mean_only_while_it_is_stable():
    """q close to 1 makes p v / (q - 1) run away: single-purchase customers then get the observed mean of
    the repeat customers' order values, with a note, instead of a made-up figure."""
    import numpy as np

    from clientela.analytics.clv import gamma_gamma

    x = np.array([0.0, 2.0, 5.0])
    m = np.array([0.0, 30.0, 50.0])
    stable = {"p": 6.25, "q": 3.74, "v": 15.44}
    value, note = gamma_gamma.single_purchase_value(stable, x, m)
    assert value == pytest.approx(6.25 * 15.44 / 2.74) and note == ""
    out = gamma_gamma.expected_value(stable, x, m, single_purchase_value=value)
    assert out[0] == pytest.approx(value)
    runaway = {"p": 1.93, "q": 1.008, "v": 268089.0}
    value, note = gamma_gamma.single_purchase_value(runaway, x, m)
    assert value == pytest.approx(40.0) and "observed mean" in note
    out = gamma_gamma.expected_value(runaway, x, m, single_purchase_value=value)
    assert out[0] == pytest.approx(40.0)
    # repeat customers keep the model's conditional expectation
    assert out[1] == pytest.approx(1.93 * (268089.0 + 2 * 30.0) / (1.93 * 2 + 0.008))
