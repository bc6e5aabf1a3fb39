"""The forecast page, its CSV files and the API for every role: opportunities outside the role's scope
never show up in the figures (StageTotal has no row permission, so this is the report's own filtering),
a role without an opportunity scope is refused, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clientela.core.models import ObjectChange
from clientela.core.permissions import Action, Scope, user_scope
from clientela.sales.models import ConversionRate, Opportunity, StageChange, StageTotal
from clientela.sales.tests import routes_forecast
from clientela.sales.tests.forecast_helpers import opp
from clientela.testing.factories import UserFactory
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Past wins are cached per process; each test starts without them."""
    from django.core.cache import cache

    cache.clear()


# the secret opportunity of team B: 987,654.32 (weighted 493,827.16 at 50 %) owned by "Zacarías Oculto"
SECRETS = ("987654", "987,654", "987.654", "493827", "493,827", "493.827", "Zacarías", "Oculto")
TABLES = ("periods", "forecast", "stages", "owners")


def _state():
    return (
        ObjectChange.objects.count(),
        StageChange.objects.count(),
        Opportunity.objects.count(),
        ConversionRate.objects.count(),
        sorted(StageTotal.objects.values_list("key", "count", "amount_cents")),
    )


@pytest.fixture
def secret(users):
    rep_b = users["sales_rep_b"]
    rep_b.first_name, rep_b.last_name = "Zacarías", "Oculto"
    rep_b.save(update_fields=["first_name", "last_name"])
    close = dt.date.today() + dt.timedelta(days=20)
    opp(users["sales_rep"], "1111.00", "Proposal", close=close)
    return opp(rep_b, "987654.32", "Proposal", close=close, name="Secreto")


def _bodies(client):
    url = reverse("sales:forecast")
    page = client.get(url)
    csvs = [client.get(url, {"format": "csv", "table": t}) for t in TABLES]
    api = client.get("/api/v1/forecast")
    return page, csvs, api


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_each_role_sees_only_its_scope(role, users, secret, client_for):
    user = users[role]
    before = _state()
    page, csvs, api = _bodies(client_for(user))
    view_all = user_scope(user, "opportunity", Action.VIEW) == Scope.ALL
    export = user_scope(user, "opportunity", Action.EXPORT)
    assert page.status_code == 200 and api.status_code == 200
    page_text, api_text = page.content.decode(), api.content.decode()
    if not view_all:
        assert not any(m in page_text for m in SECRETS)
        assert not any(m in api_text for m in SECRETS)
    else:
        assert "987654.32" in api_text and "Zacarías" in page_text
    for response in csvs:
        if export == Scope.NONE:
            assert response.status_code == 403
            assert not any(m in response.content.decode() for m in SECRETS)
        else:
            assert response.status_code == 200
            text = response.content.decode("utf-8-sig")
            if export != Scope.ALL:
                assert not any(m in text for m in SECRETS)
    assert _state() == before


def test_user_without_opportunity_scope_is_refused(secret, client_for):
    nobody = UserFactory(username="norole", role=None)
    before = _state()
    page, csvs, api = _bodies(client_for(nobody))
    assert page.status_code == 403 and api.status_code == 403
    assert all(r.status_code == 403 for r in csvs)
    assert api["Content-Type"].startswith("application/problem+json")
    for response in (page, api, *csvs):
        assert not any(m in response.content.decode() for m in SECRETS)
    assert _state() == before


def test_anonymous_is_sent_to_login(client, secret):
    assert client.get(reverse("sales:forecast")).status_code == 302
    assert client.get("/api/v1/forecast").status_code == 401


def test_owner_filter_cannot_widen_the_scope(users, secret, client_for):
    """Asking for the other team's owner or team gives nothing, not their figures."""
    rep = users["sales_rep"]
    client = client_for(rep)
    rep_b = users["sales_rep_b"]
    team_b = rep_b.teams.get()
    for params in ({"owner": rep_b.pk}, {"team": team_b.pk}):
        response = client.get("/api/v1/forecast", params)
        assert response.status_code == 200
        assert response.json()["total"]["count"] == 0
        page = client.get(reverse("sales:forecast"), params).content.decode()
        assert not any(m in page for m in SECRETS)


def test_route_lists_match_the_routes_registered():
    from clientela.api import api_operations
    from clientela.core.tests.test_permission_inventory import web_routes

    web = {name for name, pattern in web_routes() if name == "sales:forecast" or "forecast" in pattern}
    api = {(m, p) for m, p, _op in api_operations() if p.startswith("/api/v1/forecast")}
    assert web == routes_forecast.WEB_ROUTE_NAMES
    assert api == routes_forecast.API_ROUTE_KEYS
