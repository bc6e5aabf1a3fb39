"""``GET /api/v1/analytics/fits``, ``POST /api/v1/analytics/refit``, ``GET /api/v1/parties/{id}/score`` and
the score filters of ``GET /api/v1/parties``."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.analytics.models import CustomerScore, ModelFit
from clientela.analytics.services import analytics_refit
from clientela.analytics.tests.score_helpers import AS_OF, populate, purchase, refund
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(admin_user):
    parties = populate(admin_user, 25)
    returner = make_person(admin_user, given_names="Devuelve")
    purchase(admin_user, returner, "50.00", AS_OF - dt.timedelta(days=40))
    refund(admin_user, returner, "80.00", AS_OF - dt.timedelta(days=30))
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    return parties, returner


def test_fits_list(admin_user, scored, client_for):
    client = client_for(admin_user)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF + dt.timedelta(days=1))
    fits = client.get("/api/v1/analytics/fits").json()
    assert [f["is_current"] for f in fits] == [True, False]
    assert fits[0]["bgnbd"].keys() == {"r", "alpha", "a", "b"} and fits[0]["status"] == "ok"
    assert fits[0]["as_of"].startswith("2025-07-01T12:00:00")
    assert len(client.get("/api/v1/analytics/fits", {"current": "true"}).json()) == 1
    assert client.get("/api/v1/analytics/fits", {"currency": "usd"}).json() == []
    assert client.get("/api/v1/analytics/fits", {"currency": "EURO"}).status_code == 422


def test_refit_is_queued(admin_user, client_for, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    populate(admin_user, 25)
    client = client_for(admin_user)
    response = client.post(
        "/api/v1/analytics/refit", {"as_of": "2025-06-30T12:00:00Z"}, content_type="application/json"
    )
    assert response.status_code == 202 and response.json()["status"] == "queued"
    fit = ModelFit.objects.get(is_current=True)  # the immediate backend ran it already
    assert fit.as_of == AS_OF and fit.created_by == admin_user
    assert CustomerScore.objects.count() == 25


@pytest.mark.parametrize(
    "body, field",
    [
        ({"as_of": "2999-01-01T00:00:00Z"}, "as_of"),
        ({"as_of": "ayer"}, "as_of"),
        ({"currency": "E1R"}, "currency"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_refit_bad_input_is_a_422(admin_user, client_for, body, field):
    response = client_for(admin_user).post("/api/v1/analytics/refit", body, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not ModelFit.objects.exists()


def test_a_customer_score(admin_user, scored, client_for):
    parties, returner = scored
    client = client_for(admin_user)
    body = client.get(f"/api/v1/parties/{parties[0].pk}/score").json()
    score = CustomerScore.objects.get(party=parties[0])
    assert body["scored"] is True and body["currency"] == "EUR" and body["fit_id"] == score.fit_id
    assert Decimal(body["clv"]) == score.clv and Decimal(body["net_value"]) == score.monetary
    assert 0 <= body["p_alive"] <= 1 and math.isfinite(body["expected_purchases"])
    assert body["horizon_days"] == 365 and body["rfm_segment_label"] and body["churn_reason_text"]
    bad = client.get(f"/api/v1/parties/{returner.pk}/score").json()
    assert bad["clv"] is None and bad["p_alive"] is None
    assert bad["notes"] == ["returns larger than purchases"]
    new = make_person(admin_user, given_names="Nueva")
    assert client.get(f"/api/v1/parties/{new.pk}/score").json() == {
        **dict.fromkeys(body, None),
        "party_id": new.pk,
        "scored": False,
        "notes": [],
    }
    assert client.get("/api/v1/parties/999999/score").status_code == 404


def test_spanish_notes(admin_user, scored, client_for):
    _parties, returner = scored
    client = client_for(admin_user)
    body = client.get(f"/api/v1/parties/{returner.pk}/score", HTTP_ACCEPT_LANGUAGE="es").json()
    assert body["notes"] and body["rfm_segment_label"]


def test_party_list_filters_and_their_query_count(admin_user, scored, client_for):
    parties, returner = scored
    client = client_for(admin_user)
    scores = {s.party_id: s for s in CustomerScore.objects.all()}

    def ids(params):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/parties", {**params, "limit": 100})
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["items"]}, len(ctx.captured_queries)

    everyone, base_queries = ids({})
    segment = scores[parties[0].pk].rfm_segment
    found, queries = ids({"rfm_segment": [segment]})
    assert found == {p for p, s in scores.items() if s.rfm_segment == segment}
    assert queries == base_queries  # a join, not a query per customer
    threshold = sorted(s.clv for s in scores.values() if s.clv is not None)[10]
    assert ids({"clv_min": str(threshold)})[0] == {
        p for p, s in scores.items() if s.clv and s.clv >= threshold
    }
    assert ids({"clv_max": str(threshold)})[0] == {
        p for p, s in scores.items() if s.clv is not None and s.clv <= threshold
    }
    assert ids({"p_alive_max": "0.5"})[0] == {
        p for p, s in scores.items() if s.p_alive is not None and s.p_alive <= 0.5
    }
    risk = {p for p, s in scores.items() if s.churn_risk in ("high", "medium")}
    assert ids({"churn_risk": ["high", "medium"]})[0] == risk
    assert returner.pk in everyone
    assert client.get("/api/v1/parties", {"p_alive_max": "2"}).status_code == 422
    assert client.get("/api/v1/parties", {"rfm_segment": ["vip"]}).status_code == 422


def test_fits_list_query_count_does_not_grow(admin_user, scored, client_for, django_assert_max_num_queries):
    client = client_for(admin_user)
    client.get("/api/v1/analytics/fits")  # session and role read once
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/analytics/fits").json()) == 1
    for day in range(1, 4):
        analytics_refit(actor=actor_for(admin_user), as_of=AS_OF + dt.timedelta(days=day))
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/analytics/fits").json()) == 4
