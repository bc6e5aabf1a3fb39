"""What to correct: complaint, return and suggestion rates per 100 purchases by product, segment and month."""

from __future__ import annotations

import pytest

from clientela.analytics import rates
from clientela.analytics.tests.dashboard_data import make_ledger, score
from clientela.analytics.tests.test_dashboard import Q1

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(users, team_a, team_b):
    return make_ledger(users, team_a, team_b)


def _rows(table):
    return {row[0]: row[1:] for row in table.rows}


def test_rates_by_product(ledger, admin_user):
    rows = _rows(rates.rates_by_product(admin_user, Q1, "view"))
    # purchases, complaints, per 100, returns, per 100
    assert rows["Widget"] == [3, 1, 33.33, 1, 33.33]  # A1 Jan, A2 Feb, B1 Mar
    assert rows["Gadget"] == [2, 1, 50.0, 0, 0.0]
    assert rows["Gizmo"] == [1, 0, 0.0, 0, 0.0]  # products of purchases in any currency count


def test_rates_by_month(ledger, admin_user):
    rows = rates.rates_by_month(admin_user, Q1, "view").rows
    # month, purchases, complaints, /100, returns, /100, suggestions, /100
    assert rows[0][1:] == [1, 0, 0.0, 0, 0.0, 0, 0.0]
    assert rows[1][1:] == [2, 1, 50.0, 1, 50.0, 0, 0.0]
    assert rows[2][1:] == [2, 1, 50.0, 0, 0.0, 1, 50.0]


def test_rates_by_segment(ledger, admin_user):
    score(ledger["a1"], rfm_segment="loyal")
    score(ledger["a2"], rfm_segment="champions")
    rows = _rows(rates.rates_by_segment(admin_user, Q1, "view"))
    assert rows["Loyal"] == [2, 1, 50.0, 1, 50.0, 0, 0.0]
    assert rows["Champions"] == [2, 0, 0.0, 0, 0.0, 1, 50.0]
    assert rows["Not scored"] == [1, 1, 100.0, 0, 0.0, 0, 0.0]


def test_rates_follow_scope(ledger, users):
    rows = _rows(rates.rates_by_product(users["sales_rep"], Q1, "view"))
    assert rows["Widget"][:2] == [2, 1] and "Gadget" in rows and rows["Gadget"][1] == 0


def test_zero_denominators_are_blank_not_nan(admin_user, users, team_a):
    from clientela.analytics.tests.dashboard_data import at, complaint, customer

    complaint(customer(users["sales_rep"], team=team_a), at(2026, 2, 2), "Lonely")
    rows = _rows(rates.rates_by_product(admin_user, Q1, "view"))
    assert rows["Lonely"] == [0, 1, None, 0, None]
    month = rates.rates_by_month(admin_user, Q1, "view").rows[1]
    assert month[3] is None
    for table in (
        rates.rates_by_product(admin_user, Q1, "view"),
        rates.rates_by_segment(admin_user, Q1, "view"),
    ):
        assert "nan" not in repr(table.rows).lower() and "inf" not in repr(table.spec).lower()
