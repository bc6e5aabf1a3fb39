"""Every quote and order route, for every role: records outside the role's "quote" scope are refused
(403/404), their data never shows, and nothing changes. The inventories list every route of the app."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from clientela.core.models import ObjectChange
from clientela.core.permissions import Action, can, user_scope
from clientela.core.tests.test_permission_inventory import api_operations, web_routes
from clientela.interactions.models import Interaction
from clientela.orders.models import Order, OrderLine, Quote, QuoteLine
from clientela.orders.services import order_create_from_quote, quote_accept, quote_create, quote_send
from clientela.testing.factories import actor_for, make_person
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

# (name, action, methods) of every page acting on one quote or order
WEB_RECORD_ROUTES = {
    "orders:quote_detail": ("quote", Action.VIEW, ("GET",)),
    "orders:quote_print": ("quote", Action.VIEW, ("GET",)),
    "orders:quote_pdf": ("quote", Action.VIEW, ("GET",)),
    "orders:quote_edit": ("quote", Action.CHANGE, ("GET", "POST")),
    "orders:quote_send": ("draft", Action.CHANGE, ("POST",)),
    "orders:quote_accept": ("quote", Action.CHANGE, ("POST",)),
    "orders:quote_reject": ("quote", Action.CHANGE, ("POST",)),
    "orders:quote_new_version": ("quote", Action.CHANGE, ("POST",)),
    "orders:quote_make_order": ("accepted", Action.CHANGE, ("POST",)),
    "orders:order_detail": ("order", Action.VIEW, ("GET",)),
    "orders:order_status": ("order", Action.CHANGE, ("POST",)),
}
WEB_LIST_ROUTES = {"orders:quote_list", "orders:quote_create", "orders:order_list"}
# an opportunity's products follow the opportunity's own scope (tested in test_opportunity_products_routes)
OPPORTUNITY_WEB_ROUTES = {"orders:opportunity_products": (("GET", Action.CHANGE), ("POST", Action.CHANGE))}
WEB_ROUTE_NAMES = set(WEB_RECORD_ROUTES) | WEB_LIST_ROUTES | set(OPPORTUNITY_WEB_ROUTES)

API_RECORD_ROUTES = {
    ("GET", "/api/v1/quotes/{quote_id}"): ("quote", Action.VIEW),
    ("PATCH", "/api/v1/quotes/{quote_id}"): ("draft", Action.CHANGE),
    ("POST", "/api/v1/quotes/{quote_id}/send"): ("draft", Action.CHANGE),
    ("POST", "/api/v1/quotes/{quote_id}/accept"): ("quote", Action.CHANGE),
    ("POST", "/api/v1/quotes/{quote_id}/reject"): ("quote", Action.CHANGE),
    ("GET", "/api/v1/orders/{order_id}"): ("order", Action.VIEW),
    ("POST", "/api/v1/orders/{order_id}/status"): ("order", Action.CHANGE),
}
API_LIST_ROUTES = {
    ("GET", "/api/v1/quotes"),
    ("POST", "/api/v1/quotes"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
}
OPPORTUNITY_API_ROUTES = {
    ("GET", "/api/v1/opportunities/{opportunity_id}/products"): Action.VIEW,
    ("PUT", "/api/v1/opportunities/{opportunity_id}/products"): Action.CHANGE,
}
API_ROUTE_KEYS = set(API_RECORD_ROUTES) | API_LIST_ROUTES | set(OPPORTUNITY_API_ROUTES)

BODIES = {
    "PATCH": {"notes": "HACKED"},
    "send": {"to": ["hacker@evil.example"]},
    "status": {"status": "cancelled"},
    "web": {
        "to": "hacker@evil.example",
        "status": "cancelled",
        "party": "1",
        "currency": "EUR",
        "valid_until": "2099-01-01",
        "language": "es",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    },
}


@dataclass
class Docs:
    quote: Quote  # sent
    draft: Quote
    accepted: Quote
    order: Order
    markers: tuple[str, ...]


def _docs(owner, team, label: str, catalog) -> Docs:
    party = make_person(
        owner,
        team=team.pk,
        given_names=f"Secreto{label}",
        contact_points=[{"kind": "email", "value": f"{label.lower()}@oculto.example"}],
    )
    actor = actor_for(owner)
    lines = [{"product": catalog["book"].pk, "quantity": 1}]

    def new(notes: str) -> Quote:
        return quote_create(actor=actor, data={"party": party, "notes": notes}, lines=lines)

    sent = quote_send(actor=actor, quote=new(f"Nota{label}"))
    draft = new(f"Borrador{label}")
    accepted = quote_accept(actor=actor, quote=quote_send(actor=actor, quote=new(f"Aceptado{label}")))
    other = quote_accept(actor=actor, quote=quote_send(actor=actor, quote=new(f"Pedido{label}")))
    order = order_create_from_quote(actor=actor, quote=other)
    return Docs(sent, draft, accepted, order, (f"Secreto{label}", f"Nota{label}", f"Borrador{label}"))


@pytest.fixture
def world(users, team_a, team_b, catalog):
    return {
        "foreign": _docs(users["sales_rep_b"], team_b, "Ajeno", catalog),
        "teammate": _docs(users["manager"], team_a, "Vecino", catalog),
    }


def _snapshot():
    return (
        sorted(Quote.objects.values_list("pk", "version", "status", "notes", "is_current")),
        QuoteLine.objects.count(),
        sorted(Order.objects.values_list("pk", "version", "status")),
        OrderLine.objects.count(),
        ObjectChange.objects.count(),
        Interaction.objects.count(),
    )


def _record(docs: Docs, kind: str):
    return {"quote": docs.quote, "draft": docs.draft, "accepted": docs.accepted, "order": docs.order}[kind]


def _call(client: Client, method: str, url: str, body: dict):
    if method == "GET":
        return client.get(url)
    if not url.startswith("/api/"):
        return client.post(url, body)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _api_body(method: str, path: str) -> dict:
    if path.endswith("/send"):
        return BODIES["send"]
    if path.endswith("/status"):
        return BODIES["status"]
    return BODIES["PATCH"] if method == "PATCH" else {}


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_records_outside_the_scope_are_refused(role, users, world, client_for):
    user = users[role]
    client = client_for(user)
    patterns = dict(web_routes())
    checked = 0
    for docs in world.values():
        cases = [
            (
                "/" + patterns[name].replace("<int:pk>", str(_record(docs, kind).pk)),
                kind,
                action,
                methods,
                BODIES["web"],
            )
            for name, (kind, action, methods) in WEB_RECORD_ROUTES.items()
        ]
        cases += [
            (
                path.replace("{quote_id}", str(_record(docs, kind).pk)).replace(
                    "{order_id}", str(_record(docs, kind).pk)
                ),
                kind,
                action,
                (method,),
                _api_body(method, path),
            )
            for (method, path), (kind, action) in API_RECORD_ROUTES.items()
        ]
        for url, kind, action, methods, body in cases:
            record = _record(docs, kind)
            if can(user, action, record):
                continue
            visible = can(user, Action.VIEW, record)
            for method in methods:
                before = _snapshot()
                response = _call(client, method, url, body)
                checked += 1
                assert response.status_code in (403, 404, 405), (
                    f"{role} {method} {url}: {response.status_code}"
                )
                assert _snapshot() == before, f"{role} {method} {url} changed data"
                if not visible:
                    text = response.content.decode(errors="replace")
                    leaked = [m for m in docs.markers if m in text]
                    assert not leaked, f"{role} {method} {url} leaked {leaked}"
    assert checked > 0 or user_scope(user, "quote", Action.CHANGE) == "all"


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_lists_and_creation_stay_inside_the_scope(role, users, world, client_for, team_b, customer):
    user = users[role]
    client = client_for(user)
    for docs in world.values():
        invisible = [] if can(user, Action.VIEW, docs.quote) else list(docs.markers[:1])
        for url in (
            "/quotes/",
            "/quotes/orders/",
            "/api/v1/quotes?limit=200",
            "/api/v1/orders?limit=200",
            f"/quotes/?party={docs.quote.party_id}",
            f"/api/v1/quotes?party={docs.quote.party_id}",
        ):
            response = client.get(url)
            text = response.content.decode(errors="replace")
            leaked = [m for m in invisible if m in text]
            assert not leaked, f"{role} GET {url} leaked {leaked}"
            if not can(user, Action.VIEW, docs.quote):
                assert docs.quote.number not in text, f"{role} GET {url} shows {docs.quote.number}"
        # an order from someone else's accepted quote
        if not can(user, Action.CHANGE, docs.accepted):
            before = _snapshot()
            response = client.generic(
                "POST",
                "/api/v1/orders",
                json.dumps({"quote": docs.accepted.pk}),
                content_type="application/json",
            )
            assert response.status_code in (403, 404, 422) and _snapshot() == before
    # a quote handed to another team's rep: only an "all" add scope may
    before = Quote.objects.count()
    body = {
        "party": customer.pk,
        "owner": users["sales_rep_b"].pk,
        "lines": [{"description": "x", "quantity": 1, "unit_price": 1}],
    }
    response = client.generic("POST", "/api/v1/quotes", json.dumps(body), content_type="application/json")
    may = user_scope(user, "quote", Action.ADD) == "all" and can(user, Action.VIEW, customer)
    assert (Quote.objects.count() - before) == (1 if may else 0), f"{role}: {response.status_code}"
    if not may:
        assert response.status_code in (403, 422)
    # a quote for a customer the role cannot see: 422 on party, nothing written
    hidden = world["foreign"].quote.party
    if not can(user, Action.VIEW, hidden):
        before = _snapshot()
        body = {"party": hidden.pk, "lines": [{"description": "x", "quantity": 1, "unit_price": 1}]}
        response = client.generic("POST", "/api/v1/quotes", json.dumps(body), content_type="application/json")
        assert response.status_code in (403, 422) and _snapshot() == before
        assert "SecretoAjeno" not in response.content.decode()


def test_anonymous_gets_nothing(world):
    client = Client()
    docs = world["foreign"]
    patterns = dict(web_routes())
    for name, (kind, _action, methods) in WEB_RECORD_ROUTES.items():
        url = "/" + patterns[name].replace("<int:pk>", str(_record(docs, kind).pk))
        for method in methods:
            assert _call(client, method, url, BODIES["web"]).status_code in (302, 403, 405)
    for (method, path), (kind, _action) in API_RECORD_ROUTES.items():
        url = path.replace("{quote_id}", str(_record(docs, kind).pk)).replace(
            "{order_id}", str(_record(docs, kind).pk)
        )
        assert _call(client, method, url, _api_body(method, path)).status_code == 401
    for method, path in API_LIST_ROUTES:
        assert _call(client, method, path, {}).status_code == 401


def test_the_inventory_matches_the_routes_of_the_app():
    web = {name for name, _pattern in web_routes() if name.startswith("orders:")}
    assert web == WEB_ROUTE_NAMES
    ours = ("/api/v1/quotes", "/api/v1/orders", "/api/v1/opportunities/{opportunity_id}/products")
    api = {(method, path) for method, path, _op in api_operations() if path.startswith(ours)}
    assert api == API_ROUTE_KEYS


def _opp_snapshot():
    from clientela.orders.models import OpportunityProduct
    from clientela.sales.models import Opportunity

    return (
        sorted(OpportunityProduct.objects.values_list("pk", "opportunity_id", "quantity", "unit_price")),
        sorted(Opportunity.objects.values_list("pk", "version", "amount")),
        ObjectChange.objects.count(),
    )


@pytest.fixture
def deals(users, team_a, team_b, catalog):
    """An opportunity of another team's rep and one of a teammate (the manager), each with a product."""
    from clientela.orders.services import opportunity_products_set
    from clientela.sales.services import opportunity_create

    out = {}
    for label, owner, team in (("Ajeno", users["sales_rep_b"], team_b), ("Vecino", users["manager"], team_a)):
        actor = actor_for(owner)
        party = make_person(owner, team=team.pk, given_names=f"Cliente{label}")
        opp = opportunity_create(actor=actor, data={"name": f"TratoSecreto{label}", "party": party.pk})
        opportunity_products_set(actor=actor, opportunity=opp, lines=[{"product": catalog["book"].pk}])
        out[label] = opp
    return out


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_opportunity_products_routes_refuse_out_of_scope_deals(role, users, deals, catalog, client_for):
    user = users[role]
    client = client_for(user)
    patterns = dict(web_routes())
    body = {"lines": [{"product": catalog["laptop"].pk, "quantity": 9}], "update_amount": True}
    web_body = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": str(catalog["laptop"].pk),
        "lines-0-quantity": "9",
        "update_amount": "on",
    }
    checked = 0
    for opp in deals.values():
        visible = can(user, Action.VIEW, opp)
        cases = [
            ("/" + patterns[name].replace("<int:pk>", str(opp.pk)), method, action, web_body)
            for name, pairs in OPPORTUNITY_WEB_ROUTES.items()
            for method, action in pairs
        ]
        cases += [
            (path.replace("{opportunity_id}", str(opp.pk)), method, action, body)
            for (method, path), action in OPPORTUNITY_API_ROUTES.items()
        ]
        for url, method, action, payload in cases:
            if can(user, action, opp):
                continue
            before = _opp_snapshot()
            response = _call(client, method, url, payload)
            checked += 1
            assert response.status_code in (403, 404), f"{role} {method} {url}: {response.status_code}"
            if not visible:
                assert response.status_code == 404, f"{role} {method} {url}: {response.status_code}"
                text = response.content.decode(errors="replace")
                assert "TratoSecreto" not in text and "Libro" not in text, f"{role} {url} leaked"
            assert _opp_snapshot() == before, f"{role} {method} {url} changed data"
    assert checked > 0 or user_scope(user, "opportunity", Action.CHANGE) == "all"


def test_anonymous_gets_no_opportunity_products(deals):
    client = Client()
    opp = deals["Ajeno"]
    patterns = dict(web_routes())
    for name, pairs in OPPORTUNITY_WEB_ROUTES.items():
        url = "/" + patterns[name].replace("<int:pk>", str(opp.pk))
        for method, _action in pairs:
            assert _call(client, method, url, {}).status_code in (302, 403)
    for method, path in OPPORTUNITY_API_ROUTES:
        url = path.replace("{opportunity_id}", str(opp.pk))
        assert _call(client, method, url, {"lines": []}).status_code == 401
