"""Every analytics route, for every role (collected by clientela/core/tests/test_permission_inventory.py).

The value models page and its refit button, the fits and refit API and a customer's score: a role
without the analytics scope is refused, a refit needs the "change" scope and enqueues nothing otherwise,
and a score never shows for a customer outside the caller's view.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from clientela.analytics.models import CustomerScore, ModelFit
from clientela.analytics.services import analytics_refit
from clientela.analytics.tests.score_helpers import AS_OF, populate, purchase
from clientela.core.permissions import Action, Scope, can, user_scope
from clientela.testing.factories import UserFactory, actor_for, make_person
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

# The value models (this module); the dashboard routes are appended below by their own list.
MODEL_ROUTE_NAMES = {"analytics:models", "analytics:refit"}
MODEL_API_ROUTE_KEYS = {
    ("GET", "/api/v1/analytics/fits"),
    ("POST", "/api/v1/analytics/refit"),
    ("GET", "/api/v1/parties/{party_id}/score"),
}
# The dashboards (clientela/analytics/views_dashboard.py), exercised for every role in
# test_dashboard_views.py (test_every_role_sees_only_its_customers, test_role_without_analytics_is_refused).
DASHBOARD_ROUTE_NAMES = {
    "analytics:dashboard",
    "analytics:dashboard_tile",
    "analytics:churn",
    "analytics:rates",
}
WEB_ROUTE_NAMES = {*MODEL_ROUTE_NAMES, *DASHBOARD_ROUTE_NAMES}
API_ROUTE_KEYS = {*MODEL_API_ROUTE_KEYS}

SECRETS = ("Zacarías", "Oculto", "98765")


@pytest.fixture
def scored(users):
    """Customers of team A, and a secret customer of team B's rep, all scored."""
    populate(users["administrator"], 24)
    rep_b = users["sales_rep_b"]
    secret = make_person(rep_b, given_names="Zacarías", family_name_1="Oculto")
    purchase(users["administrator"], secret, "98765.00", AS_OF - dt.timedelta(days=20))
    analytics_refit(actor=actor_for(None), as_of=AS_OF)
    return secret


def _state():
    return (
        ModelFit.objects.count(),
        sorted(CustomerScore.objects.values_list("party_id", "clv")),
        DBTaskResult.objects.count(),
    )


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_models_page_and_refit_follow_the_analytics_scope(role, users, scored, client_for):
    user = users[role]
    client = client_for(user)
    view = user_scope(user, "analytics", Action.VIEW) != Scope.NONE
    change = user_scope(user, "analytics", Action.CHANGE) != Scope.NONE
    before = _state()
    page = client.get(reverse("analytics:models"))
    assert page.status_code == (200 if view else 403)
    assert not any(s in page.content.decode() for s in SECRETS)  # fits hold no customer data
    if view:
        assert ("Refit now" in page.content.decode()) == change
    api = client.get("/api/v1/analytics/fits")
    assert api.status_code == (200 if view else 403)
    assert client.get(reverse("analytics:refit")).status_code == 405
    response = client.post(reverse("analytics:refit"))
    api_post = client.post("/api/v1/analytics/refit", {}, content_type="application/json")
    if change:
        assert response.status_code == 302 and api_post.status_code == 202
        assert DBTaskResult.objects.count() == before[2] + 2
    else:
        assert response.status_code == 403 and api_post.status_code == 403
        assert _state() == before


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_a_score_shows_only_for_a_customer_the_role_may_see(role, users, scored, client_for):
    user = users[role]
    client = client_for(user)
    before = _state()
    response = client.get(f"/api/v1/parties/{scored.pk}/score")
    detail = client.get(reverse("parties:detail", args=[scored.pk]))
    if can(user, Action.VIEW, scored):
        assert response.status_code == 200 and response.json()["net_value"] == "98765.00"
        assert detail.status_code == 200
    else:
        assert response.status_code == 404 and detail.status_code == 404
        assert not any(s in response.content.decode() for s in SECRETS)
    # filters over the scores never widen the list beyond the role's customers
    listing = client.get("/api/v1/parties", {"clv_min": "0", "rfm_segment": ["new", "promising"]})
    if listing.status_code == 200 and not can(user, Action.VIEW, scored):
        assert not any(s in listing.content.decode() for s in SECRETS)
    assert _state() == before


def test_a_user_without_a_role_is_refused(scored, client_for):
    nobody = UserFactory(username="norole", role=None)
    client = client_for(nobody)
    before = _state()
    assert client.get(reverse("analytics:models")).status_code == 403
    assert client.post(reverse("analytics:refit")).status_code == 403
    assert client.get("/api/v1/analytics/fits").status_code == 403
    refit = client.post("/api/v1/analytics/refit", {}, content_type="application/json")
    assert refit.status_code == 403 and refit["Content-Type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/parties/{scored.pk}/score").status_code in (403, 404)
    assert _state() == before


def test_anonymous_is_sent_to_login(client, scored):
    assert client.get(reverse("analytics:models")).status_code == 302
    assert client.post(reverse("analytics:refit")).status_code == 302
    assert client.get("/api/v1/analytics/fits").status_code == 401
    assert client.post("/api/v1/analytics/refit", {}, content_type="application/json").status_code == 401
    assert client.get(f"/api/v1/parties/{scored.pk}/score").status_code == 401
