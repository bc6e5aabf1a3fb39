"""The full recompute (``analytics_refit``): fits per currency, scores for every customer, bad input."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clientela.analytics.clv import bgnbd
from clientela.analytics.models import CustomerScore, FitStatus, ModelFit
from clientela.analytics.services import analytics_refit
from clientela.analytics.tests.score_helpers import AS_OF, populate, purchase, refund
from clientela.core.exceptions import NotPermitted
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def refit(user, **kwargs):
    return analytics_refit(actor=actor_for(user), as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def test_refit_stores_one_fit_and_a_score_per_customer(admin_user):
    parties = populate(admin_user, 40)
    [fit] = refit(admin_user)
    assert fit.currency == "EUR" and fit.status == FitStatus.OK and fit.is_current
    assert fit.as_of == AS_OF and fit.customers == 40 and fit.created_by == admin_user
    assert set(fit.bgnbd) == {"r", "alpha", "a", "b"} and set(fit.gamma_gamma) == {"p", "q", "v"}
    assert fit.stats["bgnbd"]["converged"] and fit.stats["gamma_gamma"]["converged"]
    assert len(fit.rfm["recency_days"]) == 4
    scores = {s.party_id: s for s in CustomerScore.objects.all()}
    assert set(scores) == {p.pk for p in parties}
    for s in scores.values():
        assert s.fit_id == fit.pk and s.currency == "EUR" and s.as_of == AS_OF
        assert 1 <= s.r_score <= 5 and 1 <= s.f_score <= 5 and 1 <= s.m_score <= 5 and s.rfm_segment
        assert 0 <= s.p_alive <= 1 and math.isfinite(s.expected_purchases)
        assert s.clv is not None and s.clv >= 0 and s.expected_order_value > 0
        assert s.churn_risk in {"low", "medium", "high"} and s.churn_reason
        assert s.frequency == s.purchases - 1 and s.excluded_reason == ""
        assert s.last_purchase_at <= AS_OF and s.recency_days >= 0
    assert {s.rfm_segment for s in scores.values()} - {""}


def test_a_second_refit_replaces_the_current_fit_and_every_score(admin_user):
    populate(admin_user, 30)
    [first] = refit(admin_user)
    [second] = refit(admin_user, as_of=AS_OF + dt.timedelta(days=10))
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert ModelFit.objects.filter(currency="EUR", is_current=True).count() == 1
    assert set(CustomerScore.objects.values_list("fit_id", flat=True)) == {second.pk}
    assert set(CustomerScore.objects.values_list("as_of", flat=True)) == {AS_OF + dt.timedelta(days=10)}


def test_as_of_leaves_out_later_rows_and_measures_times_from_it(admin_user):
    parties = populate(admin_user, 25)
    late = parties[0]
    purchase(admin_user, late, "99.00", AS_OF + dt.timedelta(days=5))
    refit(admin_user)
    score = CustomerScore.objects.get(party=late)
    assert score.last_purchase_at <= AS_OF
    expected = (AS_OF - score.last_purchase_at).total_seconds() / 86400
    assert score.recency_days == pytest.approx(expected, abs=1e-3)


def test_returns_larger_than_purchases_and_single_purchases(admin_user):
    populate(admin_user, 30)
    returner = make_person(admin_user, given_names="Devuelve")
    purchase(admin_user, returner, "50.00", AS_OF - dt.timedelta(days=40))
    refund(admin_user, returner, "80.00", AS_OF - dt.timedelta(days=30))
    once = make_person(admin_user, given_names="Una")
    purchase(admin_user, once, "42.00", AS_OF - dt.timedelta(days=3))
    [fit] = refit(admin_user)
    bad = CustomerScore.objects.get(party=returner)
    assert bad.monetary == Decimal("-30.00") and bad.returns_total == Decimal("80.00")
    assert bad.excluded_reason == "returns larger than purchases"
    assert bad.p_alive is None and bad.clv is None and bad.churn_risk == "" and bad.r_score >= 1
    single = CustomerScore.objects.get(party=once)
    assert single.frequency == 0 and single.purchases == 1 and single.excluded_reason == ""
    assert single.p_alive is not None and single.clv is not None and single.expected_order_value > 0
    assert fit.stats["excluded"] == {"returns larger than purchases": 1}


def test_each_customer_is_scored_in_its_main_currency_without_conversion(admin_user, settings):
    settings.CLIENTELA_ANALYTICS_MIN_CUSTOMERS = 20
    populate(admin_user, 30, seed=6)
    populate(admin_user, 22, seed=17, currency="USD")
    mixed = make_person(admin_user, given_names="Mixta")
    purchase(admin_user, mixed, "300.00", AS_OF - dt.timedelta(days=60))
    purchase(admin_user, mixed, "10.00", AS_OF - dt.timedelta(days=50), currency="USD")
    purchase(admin_user, mixed, "15.00", AS_OF - dt.timedelta(days=20), currency="USD")
    fits = {f.currency: f for f in refit(admin_user)}
    assert set(fits) == {"EUR", "USD"}
    assert fits["EUR"].customers == 31 and fits["USD"].customers == 22
    assert fits["EUR"].stats["left_out_purchases"] == {"USD": 2}
    score = CustomerScore.objects.get(party=mixed)
    assert score.currency == "EUR" and score.monetary == Decimal("300.00") and score.purchases == 1
    assert score.excluded_reason == "2 purchases in USD left out"
    assert score.fit_id == fits["EUR"].pk and score.clv is not None
    assert CustomerScore.objects.filter(currency="USD").count() == 22


def test_refit_of_one_currency_keeps_the_others(admin_user):
    populate(admin_user, 25, seed=6)
    populate(admin_user, 25, seed=17, currency="USD")
    fits = {f.currency: f for f in refit(admin_user)}
    [usd] = refit(admin_user, currency="usd")
    assert usd.currency == "USD"
    assert ModelFit.objects.get(currency="EUR", is_current=True) == fits["EUR"]
    assert CustomerScore.objects.filter(fit=fits["EUR"]).count() == 25
    assert CustomerScore.objects.filter(fit=usd).count() == 25


def test_too_few_customers_gives_rfm_but_no_model_figures(admin_user, settings):
    settings.CLIENTELA_ANALYTICS_MIN_CUSTOMERS = 20
    populate(admin_user, 6)
    [fit] = refit(admin_user)
    assert fit.status == FitStatus.TOO_FEW and fit.message and fit.bgnbd == {}
    for s in CustomerScore.objects.all():
        assert s.r_score >= 1 and s.rfm_segment
        assert s.p_alive is None and s.clv is None and s.expected_purchases is None
        assert s.excluded_reason == "too few customers in this currency to fit the models"


def test_a_fit_that_does_not_converge_is_reported_and_gives_no_figures(admin_user, monkeypatch):
    populate(admin_user, 25)
    real = bgnbd.fit

    def stuck(*args, **kwargs):
        result = real(*args, **kwargs)
        result.converged, result.message = False, "ABNORMAL_TERMINATION_IN_LNSRCH"
        return result

    monkeypatch.setattr(bgnbd, "fit", stuck)
    [fit] = refit(admin_user)
    assert fit.status == FitStatus.NOT_CONVERGED and "ABNORMAL" in fit.message
    assert fit.stats["bgnbd"]["converged"] is False
    scores = list(CustomerScore.objects.all())
    assert len(scores) == 25
    assert all(s.p_alive is None and s.clv is None and s.rfm_segment for s in scores)
    assert {s.excluded_reason for s in scores} == {"the value models did not converge for this currency"}


def test_no_purchases_means_no_fit(admin_user):
    make_person(admin_user)
    assert refit(admin_user) == []
    assert not ModelFit.objects.exists() and not CustomerScore.objects.exists()


def test_a_future_cut_off_is_refused(admin_user):
    with pytest.raises(ValidationError):
        analytics_refit(actor=actor_for(admin_user), as_of=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))


def test_a_role_without_analytics_change_may_not_refit(users):
    with pytest.raises(NotPermitted):
        analytics_refit(actor=actor_for(users["sales_rep"]))
    assert not ModelFit.objects.exists()


def test_purchases_count_for_the_buyer_not_also_for_its_organisation(admin_user):
    populate(admin_user, 25)
    org = make_organisation(admin_user, legal_name="Compradora S.A.")
    buyer = make_person(admin_user, given_names="Compradora")
    purchase(admin_user, buyer, "120.00", AS_OF - dt.timedelta(days=10), organisation=org)
    purchase(admin_user, org, "500.00", AS_OF - dt.timedelta(days=5))
    refit(admin_user)
    assert CustomerScore.objects.get(party=buyer).monetary == Decimal("120.00")
    assert CustomerScore.objects.get(party=org).monetary == Decimal("500.00")


def test_purchases_without_value_are_left_out_and_counted(admin_user):
    parties = populate(admin_user, 25)
    purchase(admin_user, parties[0], "0.00", AS_OF - dt.timedelta(days=1))
    refund(admin_user, parties[1], "0.00", AS_OF - dt.timedelta(days=1))
    [fit] = refit(admin_user)
    assert fit.stats["skipped_rows"] == 2


def test_a_refit_that_fails_while_writing_leaves_the_old_fit_and_scores(admin_user, monkeypatch):
    from clientela.analytics import services

    populate(admin_user, 25)
    [old] = refit(admin_user)
    before = sorted(CustomerScore.objects.values_list("party_id", "fit_id", "clv"))
    calls = []

    def failing(rows, **kwargs):
        calls.append(len(rows))
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "write_scores", failing)
    with pytest.raises(RuntimeError):
        refit(admin_user, as_of=AS_OF + dt.timedelta(days=3))
    assert calls == [25]
    assert list(ModelFit.objects.values_list("pk", "is_current")) == [(old.pk, True)]
    assert sorted(CustomerScore.objects.values_list("party_id", "fit_id", "clv")) == before


def test_the_refit_task_reports_a_failure_instead_of_raising(admin_user, monkeypatch):
    from clientela.analytics import services, tasks

    def boom(**kwargs):
        raise ValueError("numerical trouble")

    monkeypatch.setattr(services, "analytics_refit", boom)
    assert tasks.refit_task.call(admin_user.pk, None, None) == {
        "status": "failed",
        "error": "numerical trouble",
    }


def test_a_committed_refit_re_evaluates_segments_over_the_scores(
    admin_user, settings, django_capture_on_commit_callbacks
):
    """The "analytics.refitted" event enqueues the segments refresh once the new scores are committed."""
    from clientela.core.actor import Actor
    from clientela.segments.models import SegmentMembership
    from clientela.segments.services import segment_create

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    parties = populate(admin_user, 40)
    segment = segment_create(
        actor=Actor(user=admin_user, source="test"),
        data={"name": "Scored", "definition": {"all": [{"field": "p_alive", "op": "gte", "value": 0.0}]}},
    )
    assert not SegmentMembership.objects.filter(segment=segment).exists()  # nobody has a score yet
    with django_capture_on_commit_callbacks(execute=False) as pending:
        refit(admin_user)
    # nothing moves before the commit (a rolled-back refit must not move anybody)
    assert not SegmentMembership.objects.filter(segment=segment).exists()
    for callback in pending:
        callback()
    members = set(SegmentMembership.objects.filter(segment=segment).values_list("party_id", flat=True))
    assert members == {p.pk for p in parties}


def test_each_refit_keeps_a_holdout_check_of_its_own_data(admin_user, settings):
    """The fit without the last 90 days is compared with what those days brought (or why it could not be)."""
    populate(admin_user, 40)
    [fit] = refit(admin_user)
    holdout = fit.stats["holdout"]
    assert holdout["days"] == 90 and holdout["status"] in {"ok", "too_few", "too_short", "not_converged"}
    if holdout["status"] == "ok":
        assert math.isfinite(holdout["forecast"]) and holdout["forecast"] >= 0 and holdout["actual"] >= 0
        assert holdout["customers"] <= fit.customers
    else:
        assert holdout["message"]
    settings.CLIENTELA_ANALYTICS_HOLDOUT_DAYS = 0
    [again] = refit(admin_user)
    assert "holdout" not in again.stats
