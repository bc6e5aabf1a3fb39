"""Every lead route, for every role: leads outside the user's scope are refused (403/404) without leaking
their data or changing anything; lists and creation stay inside the scope; the web form is public."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import get_resolver, reverse

from clientela.accounts.services import api_token_create
from clientela.api import api_operations
from clientela.api.tests.conftest import ApiClient
from clientela.core.models import ObjectChange
from clientela.core.permissions import Action, can, user_scope
from clientela.parties.models import Party
from clientela.sales.choices import LeadOrigin
from clientela.sales.leads import lead_create
from clientela.sales.models import Lead, Opportunity
from clientela.sales.tests import routes_leads
from clientela.testing.factories import actor_for
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(db):
    """``api_for(user)``: an API client with a fresh token of ``user`` (as in clientela/api/tests)."""

    def make(user) -> ApiClient:
        _token, secret = api_token_create(user=user, name="tests")
        return ApiClient(secret)

    return make


SECRET = "Zacarías"

# route name -> (action checked, methods)
WEB = {
    "sales:lead_detail": (Action.VIEW, ("GET",)),
    "sales:lead_history": (Action.VIEW, ("GET",)),
    "sales:lead_edit": (Action.CHANGE, ("GET", "POST")),
    "sales:lead_qualify": (Action.CHANGE, ("POST",)),
    "sales:lead_convert": (Action.CHANGE, ("GET", "POST")),
}
API = {
    ("GET", "/api/v1/leads/{lead_id}"): Action.VIEW,
    ("PATCH", "/api/v1/leads/{lead_id}"): Action.CHANGE,
    ("POST", "/api/v1/leads/{lead_id}/convert"): Action.CHANGE,
}
WEB_POST = {
    "given_names": "HACKED",
    "email": "hacked@x.es",
    "status": "qualified",
    "score": "50",
    "customer": "new",
    "with_opportunity": "on",
    "name": "HACKED",
}
API_BODY = {
    "PATCH": {"given_names": "HACKED"},
    "POST": {"create_party": True, "opportunity": {"name": "HACKED"}},
}


def _lead(owner, team, label: str) -> Lead:
    return lead_create(
        actor=actor_for(None),
        data={
            "given_names": f"{SECRET}{label}",
            "email": f"{label.lower()}@secreto.example",
            "company": f"Secretos {label}",
            "owner": owner.pk if owner else None,
            "team": team.pk if team else None,
        },
        origin=LeadOrigin.WEB_FORM,
    )


@pytest.fixture
def world(users, team_a, team_b):
    return {
        "foreign": _lead(users["sales_rep_b"], team_b, "Ajeno"),
        "teammate": _lead(users["manager"], team_a, "Vecino"),
        "unassigned": _lead(None, None, "Nadie"),
    }


def _markers(lead: Lead) -> tuple[str, ...]:
    return (lead.given_names, lead.email, lead.company)


def _snapshot() -> tuple:
    return (
        sorted(
            Lead.objects.values_list("pk", "version", "status", "given_names", "owner_id", "team_id", "score")
        ),
        Party.all_objects.count(),
        Opportunity.objects.count(),
        ObjectChange.objects.count(),
    )


def _call(client: Client, method: str, url: str, body: dict) -> object:
    if method == "GET":
        return client.get(url)
    if not url.startswith("/api/"):
        return client.post(url, body)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_route_lists_match_the_routes_registered():
    sales = [r for r in get_resolver().url_patterns if getattr(r, "namespace", None) == "sales"]
    names = {f"sales:{p.name}" for r in sales for p in r.url_patterns if p.name and p.name.startswith("lead")}
    assert names == routes_leads.WEB_ROUTE_NAMES
    assert (
        set(WEB) | routes_leads.LEAD_LIST_ROUTES | routes_leads.PUBLIC_ROUTES == routes_leads.WEB_ROUTE_NAMES
    )
    api = {(m, p) for m, p, _op in api_operations() if p.startswith("/api/v1/leads")}
    assert api == routes_leads.API_ROUTE_KEYS
    assert set(API) | {("GET", "/api/v1/leads"), ("POST", "/api/v1/leads")} == routes_leads.API_ROUTE_KEYS


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_leads_outside_the_scope_never_leak_or_change(role, users, world, client_for, api_for):
    user = users[role]
    client = client_for(user)
    api = api_for(user)
    checked = 0
    for lead in world.values():
        visible = can(user, Action.VIEW, lead)
        cases = [(reverse(name, args=[lead.pk]), action, methods) for name, (action, methods) in WEB.items()]
        cases += [(path.format(lead_id=lead.pk), action, (method,)) for (method, path), action in API.items()]
        for url, action, methods in cases:
            if can(user, action, lead):
                continue  # inside this role's scope: not what this test is about
            for method in methods:
                before = _snapshot()
                if url.startswith("/api/"):
                    response = api.request(method, url, API_BODY.get(method))
                else:
                    response = _call(client, method, url, WEB_POST)
                checked += 1
                assert response.status_code in (403, 404, 405), (
                    f"{role} {method} {url}: {response.status_code}"
                )
                assert _snapshot() == before, f"{role} {method} {url} changed data"
                if not visible:
                    text = response.content.decode(errors="replace")
                    leaked = [m for m in _markers(lead) if m in text]
                    assert not leaked, f"{role} {method} {url} leaked {leaked}"
    if user_scope(user, "lead", Action.CHANGE) != "all":
        assert checked > 0


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_lists_and_creation_stay_inside_the_scope(role, users, world, client_for, api_for, team_b):
    user = users[role]
    client = client_for(user)
    api = api_for(user)
    invisible = [m for lead in world.values() if not can(user, Action.VIEW, lead) for m in _markers(lead)]
    for url in ("/sales/leads/", f"/sales/leads/?q={SECRET}", "/sales/leads/?sort=-score"):
        text = client.get(url).content.decode(errors="replace")
        assert not [m for m in invisible if m in text], f"{role} GET {url}"
    for url in ("/api/v1/leads?limit=200", f"/api/v1/leads?q={SECRET}", "/api/v1/leads?unassigned=true"):
        text = api.get(url).content.decode(errors="replace")
        assert not [m for m in invisible if m in text], f"{role} GET {url}"
    # a lead for another team's rep: only roles whose lead "add" scope is "all" may
    may_add_anywhere = user_scope(user, "lead", Action.ADD) == "all"
    before = Lead.objects.count()
    owner, team = users["sales_rep_b"].pk, team_b.pk
    client.post("/sales/leads/new/", {"given_names": "HACKED", "owner": owner, "team": team})
    api.post("/api/v1/leads", {"given_names": "HACKED", "owner": owner, "team": team})
    created = Lead.objects.count() - before
    assert created == (2 if may_add_anywhere else 0), f"{role} created {created}"


def test_sales_rep_b_cannot_see_or_change_team_a_leads(users, world, client_for, api_for):
    lead = world["teammate"]
    rep_b = users["sales_rep_b"]
    client = client_for(rep_b)
    assert client.get(f"/sales/leads/{lead.pk}/").status_code == 404
    assert client.post(f"/sales/leads/{lead.pk}/qualify/", {"status": "qualified"}).status_code == 404
    api = api_for(rep_b)
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 404
    assert api.patch(f"/api/v1/leads/{lead.pk}", {"company": "X"}).status_code == 404
    lead.refresh_from_db()
    assert lead.version == 1
    # while a teammate of the owner sees it (team scope), and the owner's own rep can change their leads
    assert client_for(users["sales_rep"]).get(f"/sales/leads/{lead.pk}/").status_code == 200


def test_read_only_sees_but_cannot_change(users, world, client_for, api_for):
    lead = world["teammate"]
    reader = users["read_only"]
    client = client_for(reader)
    assert client.get(f"/sales/leads/{lead.pk}/").status_code == 200
    assert "Qualify" not in client.get(f"/sales/leads/{lead.pk}/").content.decode()
    before = _snapshot()
    assert client.get(f"/sales/leads/{lead.pk}/edit/").status_code == 403
    assert client.post(f"/sales/leads/{lead.pk}/qualify/", WEB_POST).status_code == 403
    assert client.post(f"/sales/leads/{lead.pk}/convert/", WEB_POST).status_code == 403
    assert client.get("/sales/leads/new/").status_code == 403
    api = api_for(reader)
    assert api.patch(f"/api/v1/leads/{lead.pk}", {"company": "X"}).status_code == 403
    assert api.post(f"/api/v1/leads/{lead.pk}/convert", {"create_party": True}).status_code == 403
    assert api.post("/api/v1/leads", {"given_names": "X"}).status_code == 403
    assert _snapshot() == before


def test_anonymous_gets_nothing_but_the_public_form(world):
    client = Client()
    lead = world["foreign"]
    for name, (_action, methods) in WEB.items():
        url = reverse(name, args=[lead.pk])
        for method in methods:
            assert _call(client, method, url, WEB_POST).status_code in (302, 405), f"anonymous {method} {url}"
    assert client.get("/sales/leads/").status_code == 302
    assert client.post("/sales/leads/new/", WEB_POST).status_code == 302
    for (method, path), _action in API.items():
        url = path.format(lead_id=lead.pk)
        response = _call(client, method, url, API_BODY.get(method, {}))
        assert response.status_code == 401, f"anonymous {method} {url}"
        assert SECRET not in response.content.decode()
    assert _call(client, "GET", "/api/v1/leads", {}).status_code == 401
    assert _call(client, "POST", "/api/v1/leads", {"given_names": "X"}).status_code == 401
    # the public web form: open to anyone, and it never shows existing leads
    cache.clear()
    form = client.get(reverse("sales:lead_web_form"))
    assert form.status_code == 200 and SECRET not in form.content.decode()
    before = Lead.objects.count()
    sent = client.post(reverse("sales:lead_capture"), {"email": "visitante@x.es", "given_names": "Visitante"})
    assert sent.status_code == 200 and SECRET not in sent.content.decode()
    assert Lead.objects.count() == before + 1
    cache.clear()
