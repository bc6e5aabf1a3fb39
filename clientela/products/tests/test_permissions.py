"""Catalogue routes for every role: the catalogue is role-wide configuration ("catalog" grants), so a role
without the grant is refused (403) and nothing changes; the inventories list every route of the app."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client

from clientela.core.models import ObjectChange
from clientela.core.permissions import user_scope
from clientela.core.tests.test_permission_inventory import api_operations, web_routes
from clientela.products.models import PriceList, PriceListItem, Product
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

# name -> (catalogue action, methods, path parameters)
WEB_ROUTES = {
    "products:list": ("view", ("GET",)),
    "products:price_lists": ("view", ("GET",)),
    "products:price_list_detail": ("view", ("GET",)),
    "products:create": ("add", ("GET", "POST")),
    "products:price_list_create": ("add", ("GET", "POST")),
    "products:edit": ("change", ("GET", "POST")),
    "products:price_list_edit": ("change", ("GET", "POST")),
    "products:price_list_item_save": ("change", ("POST",)),
    "products:price_list_item_remove": ("change", ("POST",)),
}
WEB_ROUTE_NAMES = set(WEB_ROUTES)
API_ROUTES = {
    ("GET", "/api/v1/products"): "view",
    ("POST", "/api/v1/products"): "add",
    ("GET", "/api/v1/products/{product_id}"): "view",
    ("PATCH", "/api/v1/products/{product_id}"): "change",
    ("GET", "/api/v1/price-lists"): "view",
    ("GET", "/api/v1/price-lists/{price_list_id}"): "view",
}
API_ROUTE_KEYS = set(API_ROUTES)

WEB_POST = {
    "code": "HACK",
    "name": "HACKED",
    "kind": "product",
    "unit": "unit",
    "tax_rate": "21",
    "currency": "EUR",
    "valid_from": "2026-01-01",
    "unit_price": "0.01",
    "is_active": "on",
}
API_POST = {"code": "HACK", "name": "HACKED"}


@pytest.fixture
def catalogue(db):
    product = Product.objects.create(code="P1", name="Uno")
    pl = PriceList.objects.create(name="Tarifa", currency="EUR", valid_from=dt.date(2026, 1, 1))
    item = PriceListItem.objects.create(price_list=pl, product=product, unit_price=Decimal("5"))
    return {"product": product, "price_list": pl, "item": item}


def _snapshot():
    return (
        sorted(Product.objects.values_list("pk", "code", "name", "version")),
        sorted(PriceList.objects.values_list("pk", "name", "version")),
        sorted(PriceListItem.objects.values_list("pk", "unit_price")),
        ObjectChange.objects.count(),
    )


def _url(pattern: str, c: dict) -> str:
    url = pattern.replace("{product_id}", str(c["product"].pk)).replace(
        "{price_list_id}", str(c["price_list"].pk)
    )
    if "item_pk" in url:
        url = url.replace("<int:pk>", str(c["price_list"].pk)).replace("<int:item_pk>", str(c["item"].pk))
    elif "price-lists" in url:
        url = url.replace("<int:pk>", str(c["price_list"].pk))
    else:
        url = url.replace("<int:pk>", str(c["product"].pk))
    return url if url.startswith("/") else "/" + url


def _call(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if not url.startswith("/api/"):
        return client.post(url, {**WEB_POST, "product": "", "price_list": ""})
    return client.generic(method, url, json.dumps(API_POST), content_type="application/json")


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_catalogue_routes_follow_the_role(role, users, catalogue, client_for):
    user = users[role]
    client = client_for(user)
    patterns = dict(web_routes())
    cases = [
        (_url(patterns[name], catalogue), action, methods) for name, (action, methods) in WEB_ROUTES.items()
    ]
    cases += [(_url(path, catalogue), action, (method,)) for (method, path), action in API_ROUTES.items()]
    for url, action, methods in cases:
        allowed = user_scope(user, "catalog", action) != "none"
        for method in methods:
            before = _snapshot()
            response = _call(client, method, url)
            if allowed:
                assert response.status_code not in (401, 403) and response.status_code < 500, (
                    f"{role} {method} {url}: {response.status_code}"
                )
            else:
                assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
                assert _snapshot() == before, f"{role} {method} {url} changed data"
    # the roles without the "add"/"change" grants never wrote anything
    if user_scope(user, "catalog", "add") == "none" and user_scope(user, "catalog", "change") == "none":
        assert not Product.objects.filter(name="HACKED").exists()


def test_anonymous_gets_nothing(catalogue):
    client = Client()
    patterns = dict(web_routes())
    for name, (_action, methods) in WEB_ROUTES.items():
        for method in methods:
            assert _call(client, method, _url(patterns[name], catalogue)).status_code == 302
    for method, path in API_ROUTES:
        assert _call(client, method, _url(path, catalogue)).status_code == 401


def test_the_inventory_matches_the_routes_of_the_app():
    assert {name for name, _p in web_routes() if name.startswith("products:")} == WEB_ROUTE_NAMES
    ours = ("/api/v1/products", "/api/v1/price-lists")
    assert {(m, p) for m, p, _op in api_operations() if p.startswith(ours)} == API_ROUTE_KEYS
