"""Every opportunity route, for every role, on another team's opportunity and on a teammate's: what the
role may not do is refused (403/404) without leaking the record or changing anything."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientela.accounts.services import api_token_create
from clientela.api.tests.conftest import ApiClient
from clientela.core.models import ObjectChange
from clientela.core.permissions import can
from clientela.sales.models import Opportunity, Pipeline, Stage, StageChange
from clientela.sales.services import opportunity_create
from clientela.sales.tests.routes_opportunities import (
    LIST_API,
    LIST_WEB,
    OPPORTUNITY_API,
    OPPORTUNITY_WEB,
    SETTINGS_WEB,
)
from clientela.testing.factories import actor_for, make_person
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

SECRET = "Operación Zafiro"


@pytest.fixture
def targets(users):
    foreign = opportunity_create(
        actor=actor_for(users["sales_rep_b"]),
        data={"name": f"{SECRET} ajena", "party": make_person(users["sales_rep_b"]).pk, "amount": "999"},
    )
    teammate = opportunity_create(
        actor=actor_for(users["manager"]),
        data={"name": f"{SECRET} vecina", "party": make_person(users["manager"]).pk, "amount": "888"},
    )
    return {"foreign": foreign, "teammate": teammate}


def snapshot():
    return (
        sorted(Opportunity.objects.values_list("pk", "version", "stage_id", "amount")),
        StageChange.objects.count(),
        ObjectChange.objects.count(),
    )


def test_route_lists_match_the_registered_routes():
    from clientela.api import api_operations
    from clientela.core.tests.test_permission_inventory import web_routes

    registered = {name for name, _pattern in web_routes() if name.startswith("sales:")}
    from clientela.sales.tests import routes_forecast, routes_leads

    mine = set(OPPORTUNITY_WEB) | LIST_WEB | SETTINGS_WEB
    assert mine == registered - routes_leads.WEB_ROUTE_NAMES - routes_forecast.WEB_ROUTE_NAMES
    api = {(m, p) for m, p, _op in api_operations() if "/opportunities" in p or "/pipelines" in p}
    # an opportunity's products are served (and permission-tested) by the orders app
    from clientela.orders.tests.test_permissions import API_ROUTE_KEYS as ORDERS_API

    api -= ORDERS_API
    assert api == set(OPPORTUNITY_API) | LIST_API


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_web_routes_refuse_out_of_scope_opportunities(role, users, targets, client_for):
    user = users[role]
    client = client_for(user)
    won = Stage.objects.get(pipeline__is_default=True, name="Won")
    for which, opp in targets.items():
        for name, action in OPPORTUNITY_WEB.items():
            if can(user, action, opp):
                continue
            before = snapshot()
            url = reverse(name, args=[opp.pk])
            response = client.get(url) if name in ("sales:opportunity", "sales:opportunity_edit") else None
            if response is not None:
                assert response.status_code in (403, 404), (role, which, name, response.status_code)
                assert SECRET not in response.content.decode() or action != "view", (role, which, name)
            posted = client.post(url, {"stage": won.pk, "name": "x", "amount": "1"})
            assert posted.status_code in (403, 404, 405), (role, which, name, posted.status_code)
            assert snapshot() == before, (role, which, name)


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_lists_never_show_what_the_role_cannot_see(role, users, targets, client_for):
    user = users[role]
    client = client_for(user)
    pipeline = Pipeline.objects.get(is_default=True)
    pages = [
        client.get(reverse("sales:board", args=[pipeline.pk])),
        client.get(reverse("sales:opportunities")),
    ]
    for which, opp in targets.items():
        visible = can(user, "view", opp)
        for page in pages:
            if page.status_code == 200:
                assert (opp.name in page.content.decode()) == visible, (role, which)
            else:
                assert page.status_code == 403 and not visible


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_api_refuses_out_of_scope_opportunities(role, users, targets):
    user = users[role]
    _token, secret = api_token_create(user=user, name="perm")
    api = ApiClient(secret)
    won = Stage.objects.get(pipeline__is_default=True, name="Won")
    for which, opp in targets.items():
        for (method, path), action in OPPORTUNITY_API.items():
            if can(user, action, opp):
                continue
            before = snapshot()
            url = path.replace("{opportunity_id}", str(opp.pk))
            body = {"stage": won.pk} if url.endswith("/move") else {"amount": "1"}
            response = api.request(method, url, body if method in ("POST", "PATCH") else None)
            assert response.status_code in (403, 404), (role, which, method, path, response.status_code)
            assert SECRET not in response.content.decode(), (role, which, method, path)
            assert snapshot() == before
        listing = api.get("/api/v1/opportunities")
        if listing.status_code == 200:
            names = [o["name"] for o in listing.json()["items"]]
            assert (opp.name in names) == can(user, "view", opp), (role, which)


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_settings_are_for_roles_that_configure(role, users, client_for):
    user = users[role]
    client = client_for(user)
    pipeline = Pipeline.objects.get(is_default=True)
    configure = user.role.grants.get("catalog", {}).get("change", "none") != "none"
    before = (Pipeline.objects.count(), list(Stage.objects.values_list("pk", "name")))
    response = client.post(reverse("sales:pipeline_edit", args=[pipeline.pk]), {"name": "Cambiado"})
    assert (response.status_code == 403) == (not configure), role
    response = client.post(reverse("sales:lost_reason_add"), {"name": "Nueva razón"})
    assert (response.status_code == 403) == (not configure), role
    if not configure:
        assert (Pipeline.objects.count(), list(Stage.objects.values_list("pk", "name"))) == before
