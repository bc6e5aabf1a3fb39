"""The forecast page (charts' JSON, table views, notices), its CSV downloads, the API (same numbers as the
selector) and the page's query count (independent of the number of opportunities)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.api.routers.forecast import forecast_out
from clientela.sales.forecast import ForecastFilters, forecast_report
from clientela.sales.tests.forecast_helpers import opp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Past wins are cached per process; each test starts without them."""
    from django.core.cache import cache

    cache.clear()


URL = "/sales/forecast/"


def close(days: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


@pytest.fixture
def deals(users):
    rep = users["sales_rep"]
    opp(rep, "1000.00", "Proposal", category="commit", close=close(1))
    opp(rep, "2000.00", "Qualification", category="best_case", close=close(40))
    opp(rep, "500.00", "Negotiation", close=close(70))
    opp(rep, "300.00", "Proposal", close=close(5), currency="USD")
    return rep


def _spec(html: str, name: str) -> dict:
    match = re.search(rf'<script id="chart-{name}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no JSON for chart {name}"
    return json.loads(match.group(1))


def test_url_is_named():
    assert reverse("sales:forecast") == URL


def test_page_renders_charts_tables_and_notices(deals, client_for, admin_user):
    response = client_for(admin_user).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in html and "web/charts.js" in html
    periods = _spec(html, "periods")
    assert periods["type"] == "stacked-bar" and periods["currency"] == "EUR"
    assert [d["label"] for d in periods["datasets"]] == ["Commit", "Best case", "Pipeline"]
    assert sum(v for d in periods["datasets"] for v in d["data"]) == pytest.approx(500 + 200 + 375)
    stages = _spec(html, "stages")
    assert stages["horizontal"] and stages["labels"][:2] == ["Qualification", "Needs analysis"]
    forecast = _spec(html, "forecast")
    assert [d.get("type") for d in forecast["datasets"]] == [None, "line", "line", "line"]
    assert _spec(html, "owners")["labels"]
    # each chart has a table view and a CSV link; no inline script other than the JSON data
    assert html.count("<details") >= 4 and html.count("format=csv&amp;table=") == 4
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)
    # the history notice: no rates computed yet, every stage on its configured probability
    assert "Conversion rates have not been computed yet" in html
    assert "Too little history" in html and "Proposal" in html
    # other currencies apart
    assert "Also open in other currencies" in html and "$300.00" in html


def test_bad_filters_are_reported_not_crashing(deals, client_for, admin_user):
    response = client_for(admin_user).get(URL, {"period": "week", "horizon": "0", "currency": "xx"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters are not valid" in html and "Period:" in html and "Periods ahead:" in html


def test_csv_downloads_the_table(deals, client_for, admin_user):
    client = client_for(admin_user)
    response = client.get(URL, {"format": "csv", "table": "stages"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Stage", "Opportunities", "Amount", "Stage probability (%)", "Weighted amount"]
    by_stage = {r[0]: r for r in rows[1:]}
    assert by_stage["Proposal"][1:3] == ["1", "1000.00"] and by_stage["Proposal"][4] == "500.00"
    assert by_stage["Qualification"][2] == "2000.00" and by_stage["Qualification"][-1] == "EUR"
    periods = list(csv.reader(io.StringIO(client.get(URL, {"format": "csv"}).content.decode("utf-8-sig"))))
    weighted = sum(float(r[8]) for r in periods[1:])
    assert weighted == pytest.approx(1075.0)
    usd = client.get(URL, {"format": "csv", "table": "stages", "currency": "USD"}).content.decode("utf-8-sig")
    assert "300.00" in usd and "1000.00" not in usd
    assert client.get(URL, {"format": "csv", "table": "nope"}).status_code == 400


def test_api_equals_the_selector(deals, client_for, users):
    rep = users["sales_rep"]
    response = client_for(rep).get("/api/v1/forecast", {"period": "quarter"})
    assert response.status_code == 200
    body = response.json()
    expected = forecast_out(forecast_report(user=rep, filters=ForecastFilters(period="quarter")))
    assert body["total"] == expected["total"]
    assert body["total"]["weighted"] == "1075.00" and body["total"]["commit"] == "1000.00"
    assert body["total"]["best_case"] == "3000.00"
    assert [p["weighted"] for p in body["periods"]] == [p["weighted"] for p in expected["periods"]]
    assert body["stages"][2]["amount"] == "1000.00" and body["stages"][2]["uses_history"] is False
    assert body["other_currencies"] == [
        {
            "key": "USD",
            "label": "USD",
            "count": 1,
            "amount": "300.00",
            "weighted": "150.00",
            "commit": "0.00",
            "best_case": "0.00",
        }
    ]
    assert body["owners"][0]["owner_id"] == rep.pk


def test_api_rejects_bad_filters(deals, client_for, admin_user):
    client = client_for(admin_user)
    response = client.get("/api/v1/forecast", {"period": "week"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period"
    response = client.get("/api/v1/forecast", {"pipeline": 999999, "currency": "E1R"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"pipeline", "currency"}


def test_page_query_count_does_not_grow_with_opportunities(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    opp(rep, "10.00", "Proposal", close=close(3))
    client.get(URL)  # warm caches (content types, roles)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for i in range(12):
        stage = ("Qualification", "Needs analysis", "Proposal", "Negotiation")[i % 4]
        opp(rep, f"{100 + i}.00", stage, close=close(10 * i), category=("commit", "pipeline")[i % 2])
    opp(users["manager"], "70.00", "Proposal", close=close(2))
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 16, [q["sql"] for q in many.captured_queries]
