"""The catalogue: price selection by currency and date, services with the change log, pages and API."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.products.models import PriceList, PriceListItem, Product
from clientela.products.selectors import NoPrice, price_for
from clientela.products.services import (
    price_list_create,
    price_list_item_set,
    product_create,
    product_update,
)
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(db):
    product = Product.objects.create(code="P1", name="Uno")
    base = PriceList.objects.create(name="2026", currency="EUR", valid_from=dt.date(2026, 1, 1))
    promo = PriceList.objects.create(
        name="Verano", currency="EUR", valid_from=dt.date(2026, 6, 1), valid_until=dt.date(2026, 8, 31)
    )
    usd = PriceList.objects.create(
        name="USA", currency="USD", valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 3, 31)
    )
    PriceListItem.objects.create(price_list=base, product=product, unit_price=D("10"))
    PriceListItem.objects.create(price_list=promo, product=product, unit_price=D("8"))
    PriceListItem.objects.create(price_list=usd, product=product, unit_price=D("12"))
    return {"product": product, "base": base, "promo": promo, "usd": usd}


def test_price_for_picks_the_valid_list_of_the_currency(lists):
    product = lists["product"]
    assert price_for(product, "EUR", dt.date(2026, 3, 1)) == D("10")
    assert price_for(product, "eur", dt.date(2026, 7, 1)) == D("8")  # the later-starting list wins
    assert price_for(product, "EUR", dt.date(2026, 9, 1)) == D("10")
    assert price_for(product, "USD", dt.date(2026, 2, 1)) == D("12")
    with pytest.raises(NoPrice) as exc:
        price_for(product, "USD", dt.date(2026, 5, 1))
    assert "No price list in USD is valid on" in exc.value.messages[0]
    other = Product.objects.create(code="P2", name="Dos")
    with pytest.raises(NoPrice) as exc:
        price_for(other, "EUR", dt.date(2026, 3, 1))
    assert "P2" in exc.value.messages[0]
    lists["base"].is_active = False
    lists["base"].save()
    with pytest.raises(NoPrice):
        price_for(product, "EUR", dt.date(2026, 3, 1))


def test_product_services_validate_and_log(users):
    manager = actor_for(users["manager"])
    product = product_create(
        actor=manager,
        data={"code": "SRV-1", "name": "Consultoría", "kind": "service", "unit": "hour", "tax_rate": "21"},
    )
    assert ObjectChange.objects.filter(object_id=product.pk, action="create").exists()
    with pytest.raises(ValidationError) as exc:
        product_create(actor=manager, data={"code": "srv-1", "name": "", "tax_rate": "121", "unit": "parsec"})
    assert {"code", "name", "tax_rate", "unit"} <= set(exc.value.message_dict)
    product = product_update(actor=manager, product=product, data={"tax_rate": "10"}, expected_version=1)
    assert product.tax_rate == D("10") and product.version == 2
    assert ObjectChange.objects.filter(object_id=product.pk, field="tax_rate", new_value="10.00").exists()
    with pytest.raises(NotPermitted):
        product_create(actor=actor_for(users["sales_rep"]), data={"code": "X", "name": "X"})
    assert Product.objects.count() == 1


def test_price_list_services(users):
    manager = actor_for(users["manager"])
    with pytest.raises(ValidationError) as exc:
        price_list_create(
            actor=manager,
            data={"name": "x", "currency": "ZZZ", "valid_from": "2026-05-01", "valid_until": "2026-01-01"},
        )
    assert {"currency", "valid_until"} <= set(exc.value.message_dict)
    pl = price_list_create(
        actor=manager, data={"name": "2026", "currency": "eur", "valid_from": "2026-01-01"}
    )
    assert pl.currency == "EUR"
    product = Product.objects.create(code="A", name="A")
    price_list_item_set(actor=manager, price_list=pl, product=product, unit_price="3,5")
    item = price_list_item_set(actor=manager, price_list=pl, product=product, unit_price="4")
    assert PriceListItem.objects.get().unit_price == D("4") and item.pk
    with pytest.raises(ValidationError):
        price_list_item_set(actor=manager, price_list=pl, product=product, unit_price="-1")


def test_pages(users, client_for, lists):
    client = client_for(users["manager"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/products/").status_code == 200
    for n in range(10):
        Product.objects.create(code=f"Z{n}", name=f"Zeta {n}", is_active=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/products/?q=zeta&active=1")
    assert len(many.captured_queries) == len(few.captured_queries)
    text = page.content.decode()
    assert "Z0" in text and "Z1<" not in text
    response = client.post(
        "/products/new/",
        {"code": "P1", "name": "", "kind": "product", "unit": "unit", "tax_rate": "21", "is_active": "on"},
    )
    assert response.status_code == 422 and "There is a problem" in response.content.decode()
    response = client.post(
        "/products/new/",
        {
            "code": "NEW",
            "name": "Nuevo",
            "kind": "product",
            "unit": "unit",
            "tax_rate": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and Product.objects.get(code="NEW").tax_rate == D("10")
    detail = client.get(f"/products/price-lists/{lists['base'].pk}/").content.decode()
    assert "P1" in detail
    response = client.post(
        f"/products/price-lists/{lists['base'].pk}/items/",
        {"product": Product.objects.get(code="NEW").pk, "unit_price": "7.5"},
    )
    assert response.status_code == 302
    item = PriceListItem.objects.get(product__code="NEW")
    assert item.unit_price == D("7.5")
    client.post(f"/products/price-lists/{lists['base'].pk}/items/{item.pk}/remove/")
    assert not PriceListItem.objects.filter(pk=item.pk).exists()
    assert client.get("/products/price-lists/").status_code == 200


def test_api(users, client_for, lists):
    client = client_for(users["manager"])
    created = client.post(
        "/api/v1/products",
        json.dumps({"code": "API-1", "name": "Por API", "tax_rate": "4"}),
        content_type="application/json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    dup = client.post(
        "/api/v1/products", json.dumps({"code": "api-1", "name": "Otra"}), content_type="application/json"
    )
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "code"
    stale = client.patch(
        f"/api/v1/products/{pk}",
        json.dumps({"name": "x"}),
        content_type="application/json",
        headers={"If-Match": f'W/"product{pk}-7"'},
    )
    assert stale.status_code == 412
    ok = client.patch(
        f"/api/v1/products/{pk}",
        json.dumps({"name": "Cambiado"}),
        content_type="application/json",
        headers={"If-Match": created["ETag"]},
    )
    assert ok.status_code == 200 and ok.json()["name"] == "Cambiado" and ok.json()["version"] == 2
    listed = client.get("/api/v1/products?q=cambiado").json()
    assert [p["code"] for p in listed["items"]] == ["API-1"]
    assert client.get(f"/api/v1/products/{pk}").json()["tax_rate"] == "4.00"
    lists_json = client.get("/api/v1/price-lists?currency=EUR").json()
    assert {pl["name"] for pl in lists_json} == {"2026", "Verano"}
    detail = client.get(f"/api/v1/price-lists/{lists['base'].pk}").json()
    assert detail["items"] == [
        {
            "product_id": lists["product"].pk,
            "product_code": "P1",
            "product_name": "Uno",
            "unit_price": "10.0000",
        }
    ]
    assert client.get("/api/v1/price-lists/999999").status_code == 404
