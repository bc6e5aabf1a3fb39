"""The quotes and orders API: create with lines, 422 field paths, If-Match, actions, orders, cursor pages."""

from __future__ import annotations

import json

import pytest

from clientela.interactions.models import Interaction
from clientela.orders.models import Order, Quote, QuoteLine

pytestmark = pytest.mark.django_db


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def _patch(client, url, body, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", headers=headers)


def _body(customer, catalog, **extra):
    return {
        "party": customer.pk,
        "language": "en",
        "lines": [
            {"product": catalog["laptop"].pk, "quantity": "2", "discount_percent": "10"},
            {"product_code": "BOOK", "quantity": 3},
            {"description": "Instalación", "quantity": "1.5", "unit_price": "40", "tax_rate": "21"},
        ],
        **extra,
    }


def test_quote_lifecycle_over_the_api(
    users, customer, catalog, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(users["sales_rep"])
    response = _post(client, "/api/v1/quotes", _body(customer, catalog))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("Q-") and len(data["lines"]) == 3
    assert {t["rate"] for t in data["taxes"]} == {"21.00", "10.00"}
    assert response["ETag"] and response["Location"].endswith(f"/api/v1/quotes/{data['id']}")
    url = f"/api/v1/quotes/{data['id']}"
    stale = _patch(client, url, {"notes": "x"}, **{"If-Match": 'W/"quote{}-99"'.format(data["id"])})
    assert stale.status_code == 412
    changed = _patch(client, url, {"notes": "Revisado"}, **{"If-Match": response["ETag"]})
    assert changed.status_code == 200 and changed.json()["notes"] == "Revisado"
    with django_capture_on_commit_callbacks(execute=True):
        sent = _post(client, f"{url}/send", {})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert len(mailoutbox) == 1
    accepted = _post(client, f"{url}/accept", {})
    assert accepted.json()["status"] == "accepted"
    again = _post(client, f"{url}/reject", {})
    assert again.status_code == 422
    order = _post(client, "/api/v1/orders", {"quote": data["id"]})
    assert order.status_code == 201, order.content
    order_data = order.json()
    assert order_data["total"] == data["total"] and order_data["quote_id"] == data["id"]
    assert Interaction.objects.filter(kind="purchase", party=customer).count() == 1
    shipped = _post(client, f"/api/v1/orders/{order_data['id']}/status", {"status": "shipped"})
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    backwards = _post(client, f"/api/v1/orders/{order_data['id']}/status", {"status": "draft"})
    assert backwards.status_code == 422
    assert client.get(f"/api/v1/orders/{order_data['id']}").json()["number"] == order_data["number"]
    listed = client.get("/api/v1/orders").json()
    assert [o["id"] for o in listed["items"]] == [order_data["id"]]


def test_patching_a_sent_quote_returns_its_next_version(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    data = _post(client, "/api/v1/quotes", _body(customer, catalog)).json()
    _post(client, f"/api/v1/quotes/{data['id']}/send", {})
    response = _patch(client, f"/api/v1/quotes/{data['id']}", {"notes": "v2"})
    assert response.status_code == 200
    new = response.json()
    assert new["id"] != data["id"] and new["revision"] == 2 and new["supersedes_id"] == data["id"]
    assert client.get(f"/api/v1/quotes/{data['id']}").json()["is_current"] is False


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": -1, "unit_price": 1}, "lines.1.quantity"),
        (
            {"description": "x", "quantity": 1, "unit_price": 1, "discount_percent": 101},
            "lines.1.discount_percent",
        ),
        ({"description": "x", "quantity": "abc", "unit_price": 1}, "lines.1.quantity"),
        ({"product_code": "NOPE", "quantity": 1}, "lines.1.product"),
        ({"description": "x", "quantity": 1, "unit_price": 1, "colour": "red"}, "lines.1.colour"),
    ],
)
def test_bad_lines_are_422_with_paths_and_write_nothing(users, customer, catalog, client_for, line, field):
    client = client_for(users["sales_rep"])
    body = {"party": customer.pk, "lines": [{"product": catalog["book"].pk}, line]}
    before = (Quote.objects.count(), QuoteLine.objects.count())
    response = _post(client, "/api/v1/quotes", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    assert (Quote.objects.count(), QuoteLine.objects.count()) == before


def test_usd_without_a_price_list_is_a_clear_422(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    response = _post(
        client,
        "/api/v1/quotes",
        {"party": customer.pk, "currency": "USD", "lines": [{"product": catalog["book"].pk}]},
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "USD" in errors["lines.0.product"]


def test_quote_list_filters_and_cursor(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    ids = [_post(client, "/api/v1/quotes", _body(customer, catalog)).json()["id"] for _ in range(3)]
    _post(client, f"/api/v1/quotes/{ids[0]}/send", {})
    page = client.get("/api/v1/quotes?limit=2").json()
    assert [q["id"] for q in page["items"]] == [ids[2], ids[1]] and page["next_cursor"]
    rest = client.get(f"/api/v1/quotes?limit=2&cursor={page['next_cursor']}").json()
    assert [q["id"] for q in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    sent = client.get("/api/v1/quotes?status=sent").json()
    assert [q["id"] for q in sent["items"]] == [ids[0]]
    assert client.get(f"/api/v1/quotes?party={customer.pk}&owner={users['sales_rep'].pk}").json()["items"]
    assert client.get("/api/v1/quotes?status=lost").status_code == 422
    assert client.get("/api/v1/quotes?cursor=garbage").status_code == 422


def test_order_from_a_quote_not_accepted_is_422(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    data = _post(client, "/api/v1/quotes", _body(customer, catalog)).json()
    response = _post(client, "/api/v1/orders", {"quote": data["id"]})
    assert response.status_code == 422 and Order.objects.count() == 0
