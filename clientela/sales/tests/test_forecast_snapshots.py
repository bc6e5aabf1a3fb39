"""Forecast snapshots: what a snapshot copies, that re-taking a day replaces it, the forecast at the start of
each past period beside what was won (scope, filters, no snapshot), the page, the API, the command and task."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clientela.sales.forecast import ForecastFilters, forecast_report, period_shift
from clientela.sales.models import ConversionRate, ForecastSnapshot, StageTotal
from clientela.sales.snapshots import forecast_snapshot_take
from clientela.sales.tests.forecast_helpers import TODAY, D, at, enter, opp, pipeline, stage

pytestmark = pytest.mark.django_db

DEC, JAN, NOV = dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2025, 11, 1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def book(users):
    """Open deals as they stood on 1 December 2025 (close dates relative to that day)."""
    rep, rep_b = users["sales_rep"], users["sales_rep_b"]
    opp(rep, "1000.00", "Proposal", category="commit", close=dt.date(2025, 12, 20))  # 50%: 500
    opp(rep, "400.00", "Negotiation", category="best_case", close=dt.date(2026, 1, 10))  # 75%: 300
    opp(rep, "200.00", "Qualification", close=dt.date(2025, 11, 5))  # overdue on 1 Dec, 10%: 20
    opp(rep, "100.00", "Proposal", close=None)  # undated, 50%: 50 (historical only)
    opp(rep, "500.00", "Proposal", category="omitted", close=dt.date(2025, 12, 3))  # not forecast
    opp(rep, "999.00", "Proposal", category="commit", close=dt.date(2025, 12, 20), currency="USD")
    opp(rep_b, "300.00", "Proposal", close=dt.date(2025, 12, 10))  # team B, 50%: 150
    winner = opp(rep, "800.00", "Proposal", close=dt.date(2025, 12, 28))  # 50%: 400, won later
    return rep, rep_b, winner


def rows(on=DEC):
    return {
        (r.period_start, r.owner_id_value, r.currency): r
        for r in ForecastSnapshot.objects.filter(taken_on=on, pipeline=pipeline())
    }


def report(user=None, **kw):
    kw.setdefault("today", TODAY)
    return forecast_report(user=user, filters=ForecastFilters(**kw))


def test_snapshot_copies_the_open_pipeline_per_month(book):
    rep, rep_b, _winner = book
    assert forecast_snapshot_take(on=DEC) == 5
    got = rows()
    assert set(got) == {
        (DEC, rep.pk, "EUR"),
        (JAN, rep.pk, "EUR"),
        (NOV, rep.pk, "EUR"),
        (DEC, rep.pk, "USD"),
        (DEC, rep_b.pk, "EUR"),
    }
    dec = got[(DEC, rep.pk, "EUR")]
    assert (dec.count, dec.amount_cents, dec.weighted_cents_pct) == (2, 180000, 180000 * 50)
    assert (dec.commit_cents, dec.best_case_cents) == (100000, 100000)
    # historical: 500 + 400 (stage probability, no rates yet) + the overdue 20 and undated 50 moved to today
    assert dec.historical_cents == 97000
    jan = got[(JAN, rep.pk, "EUR")]
    assert (jan.count, jan.weighted_cents_pct, jan.commit_cents, jan.best_case_cents) == (
        1,
        40000 * 75,
        0,
        40000,
    )
    nov = got[(NOV, rep.pk, "EUR")]
    assert (nov.count, nov.amount_cents, nov.historical_cents) == (1, 20000, 0)
    assert got[(DEC, rep.pk, "USD")].historical_cents == 49950
    b = got[(DEC, rep_b.pk, "EUR")]
    team_b = (
        StageTotal.objects.filter(owner_id_value=rep_b.pk).values_list("team_id_value", flat=True).first()
    )
    assert (b.amount_cents, b.historical_cents, b.team_id_value) == (30000, 15000, team_b)


def test_snapshot_uses_the_historical_rates_like_the_report(book):
    now = timezone.now()
    ConversionRate.objects.create(
        pipeline=pipeline(),
        stage=stage("Proposal"),
        entered=40,
        won=30,
        lost=10,
        median_days_to_close=45,
        computed_at=now,
    )
    rep = book[0]
    forecast_snapshot_take(on=DEC)
    got = rows()
    # Proposal wins 75 %: 1000 and 800 in December; the undated 100 goes to 1 Dec + 45 days = January
    assert got[(DEC, rep.pk, "EUR")].historical_cents == 75000 + 60000 + 2000
    assert got[(JAN, rep.pk, "EUR")].historical_cents == 30000 + 7500


def test_retaking_a_day_replaces_it(book):
    rep = book[0]
    forecast_snapshot_take(on=DEC)
    first = {k: (r.count, r.weighted_cents_pct) for k, r in rows().items()}
    assert forecast_snapshot_take(on=DEC) == len(first)
    assert {k: (r.count, r.weighted_cents_pct) for k, r in rows().items()} == first
    forecast_snapshot_take(on=dt.date(2025, 12, 2))
    opp(rep, "50.00", "Proposal", close=dt.date(2025, 12, 5))
    forecast_snapshot_take(on=DEC)
    assert rows()[(DEC, rep.pk, "EUR")].count == 3  # replaced with today's figures
    assert rows(dt.date(2025, 12, 2))[(DEC, rep.pk, "EUR")].count == 2  # other days untouched
    assert ForecastSnapshot.objects.filter(taken_on=DEC).count() == len(first)


def test_past_period_shows_the_snapshot_taken_before_it_and_the_won_amount(book, users):
    rep, rep_b, winner = book
    forecast_snapshot_take(on=dt.date(2025, 11, 20))  # older: superseded for December
    forecast_snapshot_take(on=DEC)
    opp(rep, "2000.00", "Negotiation", close=dt.date(2026, 1, 20))  # after 1 Dec: only in the later snapshot
    forecast_snapshot_take(on=dt.date(2025, 12, 15))
    forecast_snapshot_take(on=dt.date(2026, 1, 2))  # after 1 January: not used for January
    enter(rep, winner, "Won", at(dt.date(2025, 12, 20)))
    past = {p.start: p for p in report().past}
    dec, jan, nov = past[DEC], past[JAN], past[NOV]
    assert dec.forecast_on == DEC
    assert (dec.forecast_weighted, dec.forecast_historical) == (D("1050.00"), D("1120.00"))
    assert dec.won == D("800.00")
    assert jan.forecast_on == dt.date(2025, 12, 15)
    assert jan.forecast_weighted == D("300.00") + D("1500.00")
    assert (nov.forecast_on, nov.forecast_weighted, nov.forecast_historical) == (None, None, None)
    # other currency, owner and team filters
    usd = {p.start: p for p in report(currency="USD").past}
    assert usd[DEC].forecast_weighted == D("499.50")
    assert {p.start: p for p in report(owner_id=rep_b.pk).past}[DEC].forecast_weighted == D("150.00")
    # per quarter: no snapshot was taken by 1 October, Q4 2025's first day
    q = {p.start: p for p in report(period="quarter").past}
    assert q[dt.date(2025, 10, 1)].forecast_weighted is None
    assert q[dt.date(2025, 10, 1)].forecast_on is None


def test_a_sales_rep_only_sums_rows_in_scope(book, users):
    rep = book[0]
    forecast_snapshot_take(on=DEC)
    mine = {p.start: p for p in report(users["sales_rep_b"]).past}
    assert mine[DEC].forecast_weighted == D("150.00")
    assert mine[JAN].forecast_weighted == D("0.00")  # a snapshot exists, nothing of theirs in it
    other = {p.start: p for p in report(rep).past}
    assert other[DEC].forecast_weighted == D("900.00")
    # a filter never widens the scope
    assert {p.start: p for p in report(users["sales_rep_b"], owner_id=rep.pk).past}[
        DEC
    ].forecast_weighted == D("0.00")


def test_no_snapshot_is_none(book):
    assert all(p.forecast_weighted is None and p.forecast_historical is None for p in report().past)


def _spec(html: str, name: str) -> dict:
    match = re.search(rf'<script id="chart-{name}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_page_and_api_show_the_forecast_at_period_start(users, client_for, admin_user):
    rep = users["sales_rep"]
    last = period_shift(timezone.localdate().replace(day=1), "month", -1)
    opp(rep, "1000.00", "Proposal", close=last + dt.timedelta(days=4))
    forecast_snapshot_take(on=last)
    html = client_for(admin_user).get("/sales/forecast/").content.decode()
    spec = _spec(html, "forecast")
    line = next(d for d in spec["datasets"] if d["label"] == "Weighted forecast at period start")
    assert line["type"] == "line"
    assert line["data"][:6] == [
        None,
        None,
        None,
        None,
        None,
        500.0,
    ]  # the six past months, the last snapshotted
    assert "Weighted forecast at period start" in html and "€500.00" in html
    table = html[html.index('id="chart-forecast-title"') :]
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    assert cells[0][1] == "—"  # before the first snapshot
    assert cells[5][1] == "€500.00"  # won, then the weighted forecast at the period's start
    api = client_for(admin_user).get("/api/v1/forecast").json()
    assert api["past"][-1]["forecast_weighted"] == "500.00"
    assert api["past"][-1]["forecast_on"] == last.isoformat()
    assert api["past"][0]["forecast_weighted"] is None and api["past"][0]["forecast_historical"] is None


def test_command_and_task(book):
    out = io.StringIO()
    call_command("forecast_snapshot", "--date", "2025-12-01", stdout=out)
    assert "Forecast snapshot taken: 5 rows" in out.getvalue()
    assert ForecastSnapshot.objects.filter(taken_on=DEC).count() == 5
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("forecast_snapshot", "--date", "1 December")
    from clientela.sales.tasks import forecast_snapshot_task

    # today every close date has passed: the historical figures move to this month (three more rows)
    assert forecast_snapshot_task.call() == 8
    assert ForecastSnapshot.objects.filter(taken_on=timezone.localdate()).count() == 8
    assert ForecastSnapshot.objects.filter(taken_on=DEC).count() == 5


def test_one_query_for_the_snapshots_however_many(book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    forecast_snapshot_take(on=DEC)
    report()  # warm caches (past wins, roles)
    with CaptureQueriesContext(connection) as few:
        report()
    for day in range(2, 28):
        forecast_snapshot_take(on=dt.date(2025, 11, day))
    forecast_snapshot_take(on=JAN)
    with CaptureQueriesContext(connection) as many:
        report()
    assert len(many) == len(few)
    assert sum("forecastsnapshot" in q["sql"] for q in many.captured_queries) == 1
