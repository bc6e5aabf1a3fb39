"""The forecast selectors: weighted and unweighted pipeline per period, commit and best case, currencies kept
apart, the historical conversion rates and their fallback, won amounts per period, scope of the totals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from clientela.sales.forecast import ForecastFilters, forecast_filters, forecast_report
from clientela.sales.forecast_rates import _median, forecast_rates_refresh
from clientela.sales.models import ConversionRate
from clientela.sales.tests.forecast_helpers import (
    TODAY,
    D,
    at,
    created_at,
    enter,
    lost_reason,
    opp,
    pipeline,
    stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Past wins are cached per process; each test starts without them."""
    from django.core.cache import cache

    cache.clear()


def report(user=None, min_history=20, **kw):
    kw.setdefault("today", TODAY)
    return forecast_report(user=user, filters=ForecastFilters(**kw), min_history=min_history)


def by_label(rows):
    return {r.label: r for r in rows}


@pytest.fixture
def book(users):
    """A small hand-made pipeline for the sales rep of team A (all dates in 2026, "today" 10 Feb)."""
    rep = users["sales_rep"]
    opp(rep, "1000.00", "Qualification", category="pipeline", close=dt.date(2026, 2, 20))  # 10%: 100
    opp(rep, "2000.00", "Proposal", category="commit", close=dt.date(2026, 2, 5))  # 50%: 1000
    opp(rep, "400.00", "Negotiation", category="best_case", close=dt.date(2026, 3, 31))  # 75%: 300
    opp(rep, "3000.00", "Needs analysis", category="commit", close=dt.date(2026, 5, 2))  # 25%: 750
    opp(rep, "500.00", "Proposal", category="omitted", close=dt.date(2026, 3, 1))  # omitted
    opp(rep, "100.00", "Proposal", category="pipeline", close=dt.date(2026, 1, 15))  # overdue, 50
    opp(rep, "70.00", "Proposal", category="pipeline", close=None, probability=30)  # undated, 21
    opp(rep, "999.00", "Proposal", category="commit", close=dt.date(2026, 2, 20), currency="USD")
    return rep


def test_weighted_and_unweighted_per_month(book):
    r = report()
    assert r.currency == "EUR"
    rows = by_label(r.periods)
    assert [p.kind for p in r.periods] == ["overdue", *["period"] * 6, "undated"]
    feb, mar, may = rows["February 2026"], rows["March 2026"], rows["May 2026"]
    assert (feb.count, feb.amount, feb.weighted) == (2, D("3000.00"), D("1100.00"))
    assert (mar.count, mar.amount, mar.weighted) == (1, D("400.00"), D("300.00"))  # omitted left out
    assert (may.amount, may.weighted) == (D("3000.00"), D("750.00"))
    assert (rows["Overdue"].amount, rows["Overdue"].weighted) == (D("100.00"), D("50.00"))
    assert (rows["No close date"].amount, rows["No close date"].weighted) == (D("70.00"), D("21.00"))
    # totals: sum of amount x probability over the open, non-omitted EUR opportunities
    assert r.total.count == 6
    assert r.total.amount == D("6570.00")
    assert r.total.weighted == D("100") + D("1000") + D("300") + D("750") + D("50") + D("21")


def test_commit_and_best_case(book):
    r = report()
    assert r.total.commit == D("5000.00")  # commit only
    assert r.total.best_case == D("5400.00")  # commit + best case
    feb = by_label(r.periods)["February 2026"]
    assert (feb.commit, feb.best_case) == (D("2000.00"), D("2000.00"))
    assert feb.weighted_by_category == {"pipeline": D("100.00"), "commit": D("1000.00")}
    cats = {c.key: c for c in r.categories}
    assert cats["commit"].amount == D("5000.00") and cats["best_case"].amount == D("400.00")
    assert cats["omitted"].amount == D("500.00") and cats["omitted"].count == 1
    owners = r.owners
    assert len(owners) == 1 and owners[0].label and owners[0].weighted == r.total.weighted


def test_per_quarter(book):
    r = report(period="quarter")
    rows = by_label(r.periods)
    q1, q2 = rows["Q1 2026"], rows["Q2 2026"]
    # 15 January is overdue by months but inside the current quarter
    assert (q1.amount, q1.weighted) == (D("3500.00"), D("1450.00"))
    assert "Overdue" not in rows
    assert (q2.amount, q2.weighted) == (D("3000.00"), D("750.00"))
    assert len([p for p in r.periods if p.kind == "period"]) == 4
    assert r.past[0].label == "Q1 2025" and len(r.past) == 4


def test_other_currencies_are_kept_apart(book):
    r = report()
    assert [(o.key, o.count, o.amount, o.weighted) for o in r.other_currencies] == [
        ("USD", 1, D("999.00"), D("499.50"))
    ]
    usd = report(currency="USD")
    assert usd.total.amount == D("999.00") and usd.total.commit == D("999.00")
    assert [o.key for o in usd.other_currencies] == ["EUR"]
    assert D("999.00") not in [p.amount for p in r.periods]


def test_owner_and_team_filters(book, users, team_b):
    opp(users["sales_rep_b"], "800.00", "Proposal", close=dt.date(2026, 2, 11))
    assert report().total.amount == D("7370.00")
    assert report(owner_id=book.pk).total.amount == D("6570.00")
    assert report(team_id=team_b.pk).total.amount == D("800.00")
    assert report(owner_id=book.pk, team_id=team_b.pk).total.count == 0


def test_totals_follow_the_users_scope(book, users, admin_user):
    """StageTotal has no row permission: the report applies the opportunity scope to owner and team."""
    rep_b = users["sales_rep_b"]
    opp(rep_b, "800.00", "Proposal", close=dt.date(2026, 2, 11))
    # a teammate of the sales rep (team A) owns one; the sales rep's view scope is "team"
    opp(users["manager"], "300.00", "Proposal", close=dt.date(2026, 2, 11))
    assert report(admin_user).total.amount == D("7670.00")
    assert report(book).total.amount == D("6870.00")  # own + team A, not team B's 800
    assert report(rep_b).total.amount == D("800.00")
    assert report(rep_b).other_currencies == []
    # "own" scope (the sales rep's export scope): only their own
    own = forecast_report(user=book, filters=ForecastFilters(today=TODAY), action="export")
    assert own.total.amount == D("6570.00")


def test_user_without_scope_sees_nothing(book):
    from clientela.testing.factories import UserFactory

    nobody = UserFactory(username="norole", role=None)
    r = report(nobody)
    assert r.total.count == 0 and r.other_currencies == [] and r.owners == []
    assert all(p.won is None for p in r.past)


# --- history -----------------------------------------------------------------------------------------------


@pytest.fixture
def proposals(users):
    """4 opportunities entered Proposal; 3 closed since: 2 won (after 10 and 30 days), 1 lost (20 days)."""
    rep = users["sales_rep"]
    start = at(dt.date(2025, 6, 1))
    out = []
    for days, outcome in ((10, "Won"), (30, "Won"), (20, "Lost"), (None, None)):
        o = opp(rep, "1000.00", "Qualification", close=dt.date(2025, 9, 1))
        created_at(o, start - dt.timedelta(days=5))
        o = enter(rep, o, "Proposal", start)
        if outcome == "Lost":
            o = enter(rep, o, "Lost", start + dt.timedelta(days=days), lost_reason=lost_reason())
        elif outcome:
            o = enter(rep, o, "Won", start + dt.timedelta(days=days))
        out.append(o)
    return rep, out


def test_rates_refresh(proposals):
    assert forecast_rates_refresh() > 0
    rate = ConversionRate.objects.get(stage=stage("Proposal"))
    assert (rate.entered, rate.won, rate.lost) == (4, 2, 1)
    assert rate.win_rate == pytest.approx(2 / 3)
    assert rate.median_days_to_close == 20
    qualification = ConversionRate.objects.get(stage=stage("Qualification"))
    assert (qualification.entered, qualification.won, qualification.lost) == (4, 2, 1)
    assert qualification.median_days_to_close == 25  # 5 days more each: 15, 25, 35
    won = ConversionRate.objects.get(stage=stage("Won"))
    assert (won.entered, won.won) == (2, 2)
    # idempotent
    forecast_rates_refresh()
    assert ConversionRate.objects.filter(stage=stage("Proposal")).count() == 1


def test_rates_command_and_task(proposals, capsys):
    from clientela.sales.tasks import forecast_rates_task

    call_command("forecast_rates")
    assert "stages" in capsys.readouterr().out
    assert ConversionRate.objects.get(stage=stage("Proposal")).won == 2
    ConversionRate.objects.all().delete()
    forecast_rates_task.call()
    assert ConversionRate.objects.filter(stage=stage("Proposal")).exists()


def test_median():
    assert _median({}) is None
    assert _median({10: 1, 20: 1, 30: 1}) == 20
    assert _median({10: 2, 30: 2}) == 20
    assert _median({5: 3, 100: 1}) == 5


def test_historical_forecast_uses_rates_with_enough_history(proposals, users):
    rep = users["sales_rep"]
    forecast_rates_refresh()
    opp(rep, "300.00", "Proposal", close=dt.date(2026, 4, 10))  # history: 2/3 -> 200
    opp(rep, "90.00", "Proposal", close=None)  # undated: today + 20 days (median) -> March 2 2026
    r = report(min_history=3)
    proposal = next(s for s in r.stages if s.name == "Proposal")
    assert proposal.uses_history and proposal.win_rate == pytest.approx(2 / 3)
    # the fixture's open Proposal deal (1000, expected in September 2025) is one of them
    assert proposal.amount == D("1390.00") and proposal.weighted == D("695.00")  # stage probability 50%
    assert proposal.historical == D("926.67")  # 2/3 of 1390
    rows = by_label(r.periods)
    assert rows["April 2026"].historical == D("200.00") and rows["April 2026"].weighted == D("150.00")
    # past or missing close dates: expected 20 days (the median) from today, 2 March
    assert rows["March 2026"].historical == D("726.67") and rows["March 2026"].weighted == D("0")
    assert rows["No close date"].historical == D("0.00") and rows["No close date"].weighted == D("45.00")
    assert rows["Overdue"].weighted == D("500.00") and rows["Overdue"].historical == D("0.00")
    assert r.fallback_stages == ["Needs analysis", "Negotiation"]  # no closed deal entered them
    assert r.historical_total == D("926.67")


def test_historical_forecast_falls_back_when_history_is_thin(proposals, users):
    forecast_rates_refresh()
    opp(users["sales_rep"], "300.00", "Proposal", close=dt.date(2026, 4, 10))
    r = report()  # 3 closed < 20
    proposal = next(s for s in r.stages if s.name == "Proposal")
    assert not proposal.uses_history and proposal.closed == 3
    assert by_label(r.periods)["April 2026"].historical == D("150.00")  # the stage's 50%
    assert "Proposal" in r.fallback_stages


def test_won_per_past_period(proposals, users):
    r = report(horizon=12)
    won = {p.label: (p.won, p.won_count) for p in r.past}
    assert won["June 2025"] == (D("1000.00"), 1)  # won after 10 days
    assert won["July 2025"] == (D("1000.00"), 1)  # after 30 days
    assert won["August 2025"] == (D("0"), 0)
    current = next(p for p in r.periods if p.kind == "period")
    assert current.won == D("0")  # the current period so far
    # a win re-opened afterwards no longer counts
    rep, opps = proposals
    enter(rep, opps[0], "Negotiation", at(dt.date(2025, 12, 1)))
    assert {p.label: p.won for p in report(horizon=12).past}["June 2025"] == D("0")
    # outside the scope: the other team's rep sees no wins
    assert all(not p.won for p in report(users["sales_rep_b"], horizon=12).past)


def test_filters_parse_and_report_errors(db):
    filters, errors = forecast_filters(
        {"period": "week", "currency": "euro", "horizon": "99", "pipeline": "123456", "owner": "x"}
    )
    assert set(errors) == {"period", "currency", "horizon", "pipeline", "owner"}
    assert filters == ForecastFilters()
    filters, errors = forecast_filters(
        {"period": "quarter", "currency": "usd", "horizon": "3", "pipeline": str(pipeline().pk)}
    )
    assert not errors and filters.currency == "USD" and filters.horizon == 3 and filters.period == "quarter"


def test_rates_refresh_is_one_grouped_pass(proposals, users):
    """The refresh reads the history with one grouped query, whatever its size (no Python loop per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        forecast_rates_refresh()
    rep = users["sales_rep"]
    for _ in range(5):
        o = opp(rep, "10.00", "Qualification")
        enter(rep, o, "Proposal", at(dt.date(2025, 7, 1)))
    with CaptureQueriesContext(connection) as large:
        forecast_rates_refresh()
    assert len(large) == len(small)
    reads = [q["sql"] for q in large.captured_queries if "sales_stagechange" in q["sql"]]
    assert len(reads) == 1 and "GROUP BY" in reads[0]
    assert ConversionRate.objects.get(stage=stage("Proposal")).entered == 9
