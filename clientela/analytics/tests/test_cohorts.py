"""Cohort retention and revenue per cohort: hand-made ledger, the pure builder, and the user's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.analytics import cohorts
from clientela.analytics.tests.dashboard_data import make_ledger
from clientela.analytics.tests.test_dashboard import Q1

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


@pytest.fixture
def ledger(users, team_a, team_b):
    return make_ledger(users, team_a, team_b)


def test_retention_by_first_purchase_month(ledger, admin_user):
    found = cohorts.cohorts(admin_user, Q1, "view")
    assert [(c.month, c.size) for c in found] == [(JAN, 1), (FEB, 1)]  # B1 started in December: no cohort
    jan, feb = found
    assert jan.retention[:4] == [100.0, 100.0, 0.0, None]  # bought in Jan and Feb, not in March
    assert feb.retention[:3] == [100.0, 100.0, None]  # the USD purchase in March counts as buying
    assert jan.revenue == Decimal("150") and feb.revenue == Decimal("200")  # EUR only
    table = cohorts.retention_table(found, Q1)
    assert table.rows[0][:5] == ["Jan 2026", 1, 100.0, 100.0, 0.0]
    assert table.spec["datasets"][0]["data"][:3] == [100.0, 100.0, 0.0]
    cells = table.display()
    assert cells[0][2]["shade"] == 1.0 and cells[0][4]["shade"] == 0.0
    revenue = cohorts.revenue_table(found, Q1)
    assert [r[2:] for r in revenue.rows] == [[Decimal("150"), 150.0], [Decimal("200"), 200.0]]


def test_cohorts_follow_the_users_scope(ledger, users):
    assert [c.size for c in cohorts.cohorts(users["sales_rep_b"], Q1, "view")] == []
    assert [c.size for c in cohorts.cohorts(users["sales_rep"], Q1, "view")] == [1, 1]


def test_build_cohorts_pure():
    sizes = {JAN: 4, FEB: 0, MAR: 2}
    activity = {(JAN, JAN): (4, Decimal("40")), (JAN, MAR): (1, Decimal("5")), (MAR, MAR): (2, Decimal("9"))}
    found = cohorts.build_cohorts(sizes, activity, [JAN, FEB, MAR], max_offset=3)
    assert [c.month for c in found] == [JAN, MAR]  # an empty cohort is left out (no division by zero)
    assert found[0].retention == [100.0, 0.0, 25.0, None]
    assert found[1].retention == [100.0, None, None, None]
    assert found[0].revenue_per_customer == pytest.approx(11.25)


def test_no_cohorts_no_nan(admin_user):
    table = cohorts.retention_table([], Q1)
    assert table.rows == [] and "nan" not in repr(table.spec).lower()
    assert cohorts.revenue_table([], Q1).rows == []


def test_team_and_segment_filters_reach_cohorts(ledger, admin_user, team_a, team_b):
    from dataclasses import replace

    from django.utils import timezone

    from clientela.segments.models import Segment, SegmentMembership

    assert cohorts.cohorts(admin_user, replace(Q1, team_id=team_b.pk), "view") == []
    assert len(cohorts.cohorts(admin_user, replace(Q1, team_id=team_a.pk), "view")) == 2
    segment = Segment.objects.create(name="Solo Aitor", owner=admin_user)
    SegmentMembership.objects.create(segment=segment, party=ledger["a2"], since=timezone.now())
    found = cohorts.cohorts(admin_user, replace(Q1, segment_id=segment.pk), "view")
    assert [(c.month, c.size) for c in found] == [(FEB, 1)]
