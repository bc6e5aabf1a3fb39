"""The dashboard pages over HTTP: every tile and its CSV, the churn list and the "what to correct" page, for
every role; refusals without an analytics scope; figures of other teams never leak; tiles fail alone; query
counts do not grow with the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from clientela.accounts.models import Role
from clientela.accounts.roles import BUILTIN_ROLES
from clientela.analytics.tests.dashboard_data import at, customer, make_ledger, purchase, score
from clientela.analytics.views_dashboard import DASHBOARD_TILES, RATES_TILES, TILES
from clientela.core.permissions import Scope, user_scope
from clientela.testing.factories import UserFactory
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2026-01-01", "to": "2026-03-31"}
ALL_TILES = ["kpis", *TILES]


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def ledger(users, team_a, team_b):
    data = make_ledger(users, team_a, team_b)
    score(data["a1"], rfm_segment="loyal", churn_risk="high", churn_reason="No purchase for 400 days")
    score(
        data["b1"], rfm_segment="at_risk", clv=Decimal("987654.32"), churn_risk="high", churn_reason="Secreto"
    )
    return data


def _tile(client, name, **extra):
    return client.get(reverse("analytics:dashboard_tile", args=[name]), {**PERIOD, **extra})


def test_dashboard_page_lists_lazy_tiles(admin_user, client_for):
    response = client_for(admin_user).get(reverse("analytics:dashboard"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["kpis", *DASHBOARD_TILES]:
        assert f'data-tile="{name}"' in html
    assert 'hx-trigger="revealed"' in html and "from=2026-01-01" in html
    assert reverse("analytics:churn") in html and reverse("analytics:rates") in html


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_every_role_sees_only_its_customers(role, users, ledger, client_for):
    user = users[role]
    client = client_for(user)
    view_all = user_scope(user, "party", "view") == Scope.ALL
    for url in (reverse("analytics:dashboard"), reverse("analytics:churn"), reverse("analytics:rates")):
        response = client.get(url, PERIOD)
        assert response.status_code == 200
    churn = client.get(reverse("analytics:churn"), PERIOD).content.decode()
    assert ("Zacarías" in churn) == view_all
    for name in ALL_TILES:
        response = _tile(client, name)
        assert response.status_code == 200, name
        body = response.content.decode()
        assert "data-tile-error" not in body, name
        if not view_all:
            assert "987,654" not in body and "987.654" not in body and "Zacarías" not in body
        csv = _tile(client, name, format="csv")
        export = min(
            user_scope(user, "analytics", "export"),
            user_scope(user, "party", "export"),
            key=["none", "own", "team", "all"].index,
        )
        assert csv.status_code == (403 if export == Scope.NONE else 200), name


def test_rep_kpis_exclude_other_team(users, ledger, client_for):
    body = _tile(client_for(users["sales_rep"]), "kpis").content.decode()
    assert "€350.00" in body and "€430.00" not in body


def test_role_without_analytics_is_refused(db, client_for, team_a):
    grants = {k: dict(v) for k, v in BUILTIN_ROLES["read_only"]["grants"].items()}
    grants["analytics"] = dict.fromkeys(grants["analytics"], "none")
    role = Role.objects.create(slug="no-analytics", name="No analytics", grants=grants)
    client = client_for(UserFactory(username="blind", role=role, teams=[team_a]))
    for url in (reverse("analytics:dashboard"), reverse("analytics:churn"), reverse("analytics:rates")):
        assert client.get(url).status_code == 403
    assert _tile(client, "revenue").status_code == 403
    assert _tile(client, "revenue", format="csv").status_code == 403
    assert "Dashboards" not in client.get(reverse("parties:list")).content.decode()


def test_csv_is_the_tables_data(admin_user, ledger, client_for):
    response = _tile(client_for(admin_user), "revenue", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content.decode("utf-8")
    assert raw.startswith("\ufeff")
    lines = raw.lstrip("\ufeff").splitlines()
    assert lines[0] == "Month,Purchases,Revenue,Returns,Net of returns"
    assert lines[1:] == [
        "Jan 2026,1,100.00,0.00,100.00",
        "Feb 2026,2,250.00,20.00,230.00",
        "Mar 2026,1,80.00,0.00,80.00",
    ]
    cohorts = _tile(client_for(admin_user), "cohorts", format="csv").content.decode().splitlines()
    assert cohorts[1].startswith("Jan 2026,1,100.0,100.0,0.0,")


def test_tile_shows_toggle_table_and_csv(admin_user, ledger, client_for):
    body = _tile(client_for(admin_user), "revenue").content.decode()
    assert 'aria-pressed="true"' in body and 'aria-pressed="false"' in body
    assert "<caption>" in body and '<th scope="col"' in body and '<th scope="row">' in body
    assert "format=csv" in body and "Download CSV" in body
    assert 'data-chart="tile-revenue-data"' in body and 'id="tile-revenue-data"' in body
    assert "01/01/2026 to 03/31/2026" in body  # the filters in words (English short dates)


def test_a_failing_tile_fails_alone(admin_user, client_for, monkeypatch):
    from clientela.analytics import views_dashboard

    def boom(*args):
        raise RuntimeError("database on fire")

    monkeypatch.setitem(views_dashboard.TILES, "revenue", (boom, False))
    client = client_for(admin_user)
    assert "data-tile-error" in _tile(client, "revenue").content.decode()
    assert "data-tile-error" not in _tile(client, "customers").content.decode()
    assert _tile(client, "revenue", format="csv").status_code == 500


def test_unknown_tile_is_404(admin_user, client_for):
    assert _tile(client_for(admin_user), "nope").status_code == 404


def test_empty_database_shows_no_nan(admin_user, client_for):
    client = client_for(admin_user)
    for name in ALL_TILES:
        for extra in ({}, {"format": "csv"}):
            body = _tile(client, name, **extra).content.decode().lower()
            assert "nan" not in body.replace("nance", "") and "infinity" not in body, name


@pytest.mark.parametrize("name", ALL_TILES)
def test_tile_query_count_does_not_grow(
    name, admin_user, users, team_a, client_for, django_assert_max_num_queries
):
    client = client_for(admin_user)
    for i in range(3):
        party = customer(users["sales_rep"], team=team_a, name=f"Q{i}")
        purchase(party, at(2026, 1 + i, 3), "10.00", f"P{i}")
        score(party)
    with django_assert_max_num_queries(14):
        assert _tile(client, name).status_code == 200
    for i in range(3, 12):
        party = customer(users["sales_rep"], team=team_a, name=f"Q{i}")
        purchase(party, at(2026, 1 + i % 3, 3), "10.00", f"P{i}")
        score(party)
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(14):
        assert _tile(client, name).status_code == 200


def test_churn_page_query_count(admin_user, users, team_a, client_for, django_assert_max_num_queries):
    for i in range(12):
        score(
            customer(users["sales_rep"], team=team_a, name=f"R{i}"),
            churn_risk="high",
            churn_reason=f"why {i}",
        )
    client = client_for(admin_user)
    with django_assert_max_num_queries(9):
        body = client.get(reverse("analytics:churn"), PERIOD).content.decode()
    assert "why 11" in body and "12 customers" in body


def test_rates_page_loads_its_tiles(admin_user, client_for):
    body = client_for(admin_user).get(reverse("analytics:rates")).content.decode()
    for name in RATES_TILES:
        assert f'data-tile="{name}"' in body


def test_segment_and_team_filters_reach_the_tiles(admin_user, ledger, client_for, team_b):
    body = _tile(client_for(admin_user), "kpis", team=str(team_b.pk)).content.decode()
    assert "€80.00" in body and "team Sur" in body


def test_default_period_is_last_twelve_months(admin_user, client_for):
    body = client_for(admin_user).get(reverse("analytics:dashboard")).content.decode()
    assert "Last 12 months" in body
    assert dt.date.today().strftime("%m/%d/%Y") in body
