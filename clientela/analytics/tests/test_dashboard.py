"""Dashboard figures on a small hand-made ledger: revenue net of returns, new vs returning customers, key
figures against the previous period, complaints by category, the score tiles, and the filters (period,
team, segment) and the user's scope applied to every one of them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.analytics import dashboard, dashboard_scores
from clientela.analytics.dashboard_scope import Filters, parse_filters
from clientela.analytics.tests.dashboard_data import at, customer, make_ledger, score
from clientela.segments.models import Segment, SegmentMembership

pytestmark = pytest.mark.django_db

Q1 = Filters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31), preset="custom", currency="EUR")


@pytest.fixture
def ledger(users, team_a, team_b):
    return make_ledger(users, team_a, team_b)


def _rows(table):
    return {row[0]: row[1:] for row in table.rows}


def test_revenue_by_month_net_of_returns(ledger, admin_user):
    table = dashboard.revenue_by_month(admin_user, Q1, "view")
    rows = table.rows
    assert [r[1] for r in rows] == [1, 2, 1]  # EUR purchases per month
    assert [r[2] for r in rows] == [Decimal("100"), Decimal("250"), Decimal("80")]
    assert [r[3] for r in rows] == [0, Decimal("20"), 0]
    assert [r[4] for r in rows] == [Decimal("100"), Decimal("230"), Decimal("80")]
    assert table.spec["datasets"][2]["data"] == [100.0, 230.0, 80.0]


def test_new_vs_returning(ledger, admin_user):
    table = dashboard.new_vs_returning(admin_user, Q1, "view")
    # month: new, returning, active (the USD purchase makes A2 active in March)
    assert [r[1:4] for r in table.rows] == [[1, 0, 1], [1, 1, 2], [0, 2, 2]]


def test_kpis_against_previous_period(ledger, admin_user):
    kpis = {k.key: k for k in dashboard.kpis(admin_user, Q1, "view")}
    assert kpis["revenue"].value == Decimal("430") and kpis["revenue"].previous == Decimal("300")
    assert kpis["revenue"].change == pytest.approx(43.3)
    assert kpis["returns"].value == Decimal("20")
    assert kpis["net"].value == Decimal("410")
    assert kpis["active"].value == 3 and kpis["active"].previous == 1
    assert kpis["new"].value == 2 and kpis["new"].previous == 1


def test_complaints_by_product_and_severity(ledger, admin_user):
    table = dashboard.complaints_by_category(admin_user, Q1, "view")
    rows = _rows(table)
    # columns: low, medium, high, critical, total
    assert rows["Widget"] == [0, 0, 1, 0, 1]
    assert rows["Gadget"] == [1, 0, 0, 0, 1]


def test_a_rep_sees_only_their_teams_customers(ledger, users):
    rep = users["sales_rep"]
    kpis = {k.key: k.value for k in dashboard.kpis(rep, Q1, "view")}
    assert kpis["revenue"] == Decimal("350") and kpis["active"] == 2
    assert "Gadget" not in _rows(dashboard.complaints_by_category(rep, Q1, "view"))  # B1's complaint
    rep_b = users["sales_rep_b"]
    assert {k.key: k.value for k in dashboard.kpis(rep_b, Q1, "view")}["revenue"] == Decimal("80")


def test_team_filter(ledger, admin_user, team_b):
    filters, errors = parse_filters(
        {"from": "2026-01-01", "to": "2026-03-31", "team": str(team_b.pk)}, admin_user
    )
    assert not errors and filters.team_id == team_b.pk and "Sur" in filters.describe()
    kpis = {k.key: k.value for k in dashboard.kpis(admin_user, filters, "view")}
    assert kpis["revenue"] == Decimal("80")


def test_a_rep_cannot_filter_on_another_team(ledger, users, team_b):
    _filters, errors = parse_filters({"team": str(team_b.pk)}, users["sales_rep"])
    assert "team" in errors


def test_segment_filter(ledger, admin_user):
    segment = Segment.objects.create(name="Grandes", owner=admin_user)
    SegmentMembership.objects.create(segment=segment, party=ledger["a2"], since=timezone.now())
    filters, errors = parse_filters(
        {"from": "2026-01-01", "to": "2026-03-31", "segment": str(segment.pk)}, admin_user
    )
    assert not errors and filters.segment_id == segment.pk
    kpis = {k.key: k.value for k in dashboard.kpis(admin_user, filters, "view")}
    assert kpis["revenue"] == Decimal("200") and kpis["active"] == 1


def test_period_filter_and_bad_input(admin_user):
    filters, errors = parse_filters({"from": "2026-02-01", "to": "2026-02-28"}, admin_user)
    assert (filters.date_from, filters.date_to, filters.preset) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        "custom",
    )
    assert filters.previous().date_to == dt.date(2026, 1, 31) and filters.previous().days == 28
    _f, errors = parse_filters({"from": "2026-03-01", "to": "2026-02-01"}, admin_user)
    assert "period" in errors
    _f, errors = parse_filters({"from": "yesterday", "currency": "euros", "preset": "nope"}, admin_user)
    assert set(errors) >= {"period", "currency", "preset"}
    last, _e = parse_filters({"preset": "last_year"}, admin_user, today=dt.date(2026, 5, 1))
    assert (last.date_from, last.date_to) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_deleted_customers_do_not_count(ledger, admin_user):
    from clientela.parties.models import Party

    Party.objects.filter(pk=ledger["b1"].pk).update(deleted_at=timezone.now())
    kpis = {k.key: k.value for k in dashboard.kpis(admin_user, Q1, "view")}
    assert kpis["revenue"] == Decimal("350")


def test_score_tiles(ledger, admin_user, users):
    score(ledger["a1"], rfm_segment="loyal", clv=Decimal("100"), p_alive=0.9, recency_days=10)
    score(ledger["a2"], rfm_segment="champions", clv=Decimal("2500"), p_alive=0.5, recency_days=100)
    score(
        ledger["b1"],
        rfm_segment="at_risk",
        clv=Decimal("40"),
        p_alive=0.1,
        recency_days=400,
        churn_risk="high",
    )
    rfm = _rows(dashboard_scores.rfm_segments(admin_user, Q1, "view"))
    assert rfm["Loyal"][0] == 1 and rfm["Champions"][0] == 1 and rfm["At risk"][0] == 1
    clv = dashboard_scores.clv_histogram(admin_user, Q1, "view")
    assert sum(r[2] for r in clv.rows) == 3
    alive = dashboard_scores.alive_vs_recency(admin_user, Q1, "view")
    assert [r[1] for r in alive.rows] == [1, 0, 1, 0, 1, 0]
    assert alive.rows[0][2] == 90.0
    assert len(alive.spec["datasets"][0]["data"]) == 3
    churn = list(dashboard_scores.churn_list(admin_user, Q1, "view"))
    assert [s.party_id for s in churn] == [ledger["b1"].pk]
    # the rep of team A sees neither B1's score nor its risk
    assert not list(dashboard_scores.churn_list(users["sales_rep"], Q1, "view"))
    assert _rows(dashboard_scores.rfm_segments(users["sales_rep"], Q1, "view"))["At risk"][0] == 0


def test_scatter_is_sampled(admin_user, monkeypatch):
    monkeypatch.setattr(dashboard_scores, "SCATTER_POINTS", 5)
    for i in range(23):
        score(customer(name=f"C{i}"), p_alive=0.5, recency_days=float(i))
    alive = dashboard_scores.alive_vs_recency(admin_user, Q1, "view")
    assert sum(r[1] for r in alive.rows) == 23
    assert 0 < len(alive.spec["datasets"][0]["data"]) <= 5


def test_empty_data_gives_no_nan(admin_user):
    tables = [
        dashboard.revenue_by_month(admin_user, Q1, "view"),
        dashboard.new_vs_returning(admin_user, Q1, "view"),
        dashboard.complaints_by_category(admin_user, Q1, "view"),
        dashboard_scores.rfm_segments(admin_user, Q1, "view"),
        dashboard_scores.clv_histogram(admin_user, Q1, "view"),
        dashboard_scores.alive_vs_recency(admin_user, Q1, "view"),
    ]
    kpis = dashboard.kpis(admin_user, Q1, "view")
    assert all(k.change is None for k in kpis)
    for table in tables:
        text = repr(table.rows) + repr(table.spec) + table.summary
        assert "nan" not in text.lower() and "inf" not in text.lower()


def test_clv_histogram_with_one_value(admin_user):
    score(customer(), clv=Decimal("0"))
    clv = dashboard_scores.clv_histogram(admin_user, Q1, "view")
    assert sum(r[2] for r in clv.rows) == 1


def test_filters_reach_the_score_tiles(ledger, admin_user, team_b):
    from dataclasses import replace

    score(ledger["a1"], rfm_segment="loyal", first_purchase_at=at(2025, 6, 1))
    score(ledger["b1"], rfm_segment="lost", first_purchase_at=at(2026, 2, 1))
    rows = _rows(dashboard_scores.rfm_segments(admin_user, replace(Q1, team_id=team_b.pk), "view"))
    assert rows["Lost"][0] == 1 and rows["Loyal"][0] == 0
    # the period: customers whose first purchase came after it are left out
    early = replace(Q1, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))
    score_rows = _rows(dashboard_scores.rfm_segments(admin_user, early, "view"))
    assert score_rows["Loyal"][0] == 1 and score_rows["Lost"][0] == 0


def test_rfm_grid_counts_customers_per_recency_and_frequency_monetary_cell(ledger, admin_user, users):
    score(ledger["a1"], r_score=5, f_score=4, m_score=5)  # FM = round-half-up(4.5) = 5
    score(ledger["a2"], r_score=5, f_score=4, m_score=3)  # FM = 4 (3.5 rounds up)
    score(ledger["b1"], r_score=1, f_score=1, m_score=2)  # FM = 2 (1.5 rounds up)
    table = dashboard_scores.rfm_grid(admin_user, Q1, "view")
    rows = _rows(table)
    assert list(rows) == ["R = 5", "R = 4", "R = 3", "R = 2", "R = 1"]
    assert rows["R = 5"] == [2, 0, 0, 0, 1, 1]
    assert rows["R = 1"] == [1, 0, 1, 0, 0, 0]
    assert rows["R = 3"] == [0, 0, 0, 0, 0, 0]
    assert table.shade and [d["data"] for d in table.spec["datasets"]][4] == [1, 0, 0, 0, 0]
    # the rep of team A does not see team B's customer on the grid
    assert _rows(dashboard_scores.rfm_grid(users["sales_rep"], Q1, "view"))["R = 1"][0] == 0


def test_segment_and_value_bars_open_the_filtered_customer_list(ledger, admin_user, client_for):
    """Clicking a bar (and the table view's first cell) opens the customer list behind it."""
    from dataclasses import replace

    score(ledger["a1"], rfm_segment="loyal", clv=Decimal("100"))
    score(ledger["a2"], rfm_segment="champions", clv=Decimal("2500"))
    filters = replace(Q1, team_id=7)
    rfm = dashboard_scores.rfm_segments(admin_user, filters, "view")
    links = dict(zip(rfm.spec["labels"], rfm.spec["links"], strict=True))
    assert links["Loyal"] == "/customers/?rfm_segment=loyal&sort=-clv&team=7"
    assert rfm.display()[1][0]["link"] == links["Loyal"]
    clv = dashboard_scores.clv_histogram(admin_user, Q1, "view")
    first, last = clv.spec["links"][0], clv.spec["links"][-1]
    assert "clv_min" not in first and "clv_max=" in first
    assert "clv_min=" in last and "clv_max" not in last
    # the first band's list holds exactly the customers the first bar counts
    response = client_for(admin_user).get(first)
    assert response.status_code == 200
    assert len(response.context["page"].items) == clv.rows[0][2]
