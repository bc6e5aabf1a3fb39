"""Quote and order pages: list query counts, the form with per-line errors, actions, print and PDF."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.interactions.models import Interaction
from clientela.orders.models import Order, Quote, QuoteLine
from clientela.orders.services import order_record_external, quote_accept, quote_send
from clientela.testing.factories import actor_for

from .test_orders import ERP
from .test_quotes import make_quote

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def test_quote_list_query_count_does_not_grow_with_rows(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    make_quote(users["sales_rep"], customer, catalog)
    few = _queries(client, "/quotes/")
    for _ in range(8):
        make_quote(users["sales_rep"], customer, catalog)
    many = _queries(client, "/quotes/")
    assert many == few
    response = client.get(
        "/quotes/?status=draft&owner={}&party={}".format(users["sales_rep"].pk, customer.pk)
    )
    assert response.content.decode().count("/quotes/") > 9


def test_order_list_query_count_does_not_grow_with_rows(users, customer, catalog, client_for):
    client = client_for(users["manager"])
    line = [{"description": "x", "quantity": 1, "unit_price": "5", "tax_rate": "21"}]
    order_record_external(
        actor=ERP,
        source="erp",
        external_id="A",
        party=customer,
        number="N-A",
        ordered_at="2026-01-01T10:00:00Z",
        currency="EUR",
        lines=line,
    )
    few = _queries(client, "/quotes/orders/")
    for n in range(6):
        order_record_external(
            actor=ERP,
            source="erp",
            external_id=f"B{n}",
            party=customer,
            number=f"N-B{n}",
            ordered_at="2026-01-01T10:00:00Z",
            currency="EUR",
            lines=line,
        )
    assert _queries(client, "/quotes/orders/") == few


def _form(customer, **lines):
    data = {
        "party": customer.pk,
        "currency": "EUR",
        "valid_until": "2099-12-31",
        "language": "es",
        "terms": "",
        "notes": "",
        "price_list": "",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
    }
    data.update(lines)
    return data


def test_quote_form_shows_errors_per_line_and_writes_nothing(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    assert client.get(f"/quotes/new/?party={customer.pk}").status_code == 200
    data = _form(
        customer,
        **{
            "lines-0-product": catalog["book"].pk,
            "lines-0-quantity": "2",
            "lines-2-description": "Montaje",
            "lines-2-quantity": "1",
            "lines-2-unit_price": "10",
            "lines-2-discount_percent": "150",
        },
    )
    response = client.post("/quotes/new/", data)
    assert response.status_code == 422
    text = response.content.decode()
    assert "Line 3" in text and "between 0 and 100%" in text
    assert Quote.objects.count() == 0 and QuoteLine.objects.count() == 0
    data["lines-2-discount_percent"] = "15"
    response = client.post("/quotes/new/", data)
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.lines.count() == 2  # the blank middle row is ignored
    added = client.post("/quotes/new/", {**data, "add_line": "1"})
    assert added.status_code == 200 and 'name="lines-3-quantity"' in added.content.decode()


def test_detail_actions_print_and_pdf(
    users, customer, catalog, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(users["sales_rep"])
    quote = make_quote(users["sales_rep"], customer, catalog, language="en")
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "Tax base at 21%" in page and "Tax base at 10%" in page and "Send quote" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/quotes/{quote.pk}/send/", {"to": "", "message": ""}).status_code == 302
    assert len(mailoutbox) == 1 and Interaction.objects.filter(kind="email").count() == 1
    assert client.post(f"/quotes/{quote.pk}/accept/").status_code == 302
    response = client.post(f"/quotes/{quote.pk}/order/")
    order = Order.objects.get()
    assert response["Location"] == f"/quotes/orders/{order.pk}/"
    detail = client.get(f"/quotes/orders/{order.pk}/").content.decode()
    assert order.number in detail and "No returns name this order." in detail
    assert client.post(f"/quotes/orders/{order.pk}/status/", {"status": "shipped"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"
    printed = client.get(f"/quotes/{quote.pk}/print/")
    assert printed.status_code == 200 and quote.number in printed.content.decode()
    pdf = client.get(f"/quotes/{quote.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_rule_errors_become_messages_not_errors(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    quote = make_quote(users["sales_rep"], customer, catalog)
    response = client.post(f"/quotes/{quote.pk}/accept/", follow=True)
    assert response.status_code == 200 and "Only a sent quote" in response.content.decode()
    quote_send(actor=actor_for(users["sales_rep"]), quote=quote)
    quote_accept(actor=actor_for(users["sales_rep"]), quote=quote)
    assert client.get(f"/quotes/{quote.pk}/edit/", follow=True).status_code == 200


def test_quote_and_order_detail_query_counts_do_not_grow_with_lines(users, customer, catalog, client_for):
    client = client_for(users["sales_rep"])
    short = make_quote(users["sales_rep"], customer, catalog, lines=[{"product": catalog["book"].pk}])
    long = make_quote(
        users["sales_rep"],
        customer,
        catalog,
        lines=[{"product": catalog["book"].pk, "quantity": n + 1} for n in range(12)],
    )
    assert _queries(client, f"/quotes/{short.pk}/") == _queries(client, f"/quotes/{long.pk}/")


def test_opportunity_page_lists_its_quotes(users, customer, catalog, client_for):
    from clientela.sales.services import opportunity_create

    rep = users["sales_rep"]
    opp = opportunity_create(
        actor=actor_for(rep), data={"name": "Portátiles", "party": customer.pk, "amount": "2000"}
    )
    quote = make_quote(rep, customer, catalog, opportunity=opp)
    other = make_quote(rep, customer, catalog)
    page = client_for(rep).get(f"/sales/opportunities/{opp.pk}/").content.decode()
    assert quote.number in page and f"/quotes/{quote.pk}/" in page and f"/quotes/{other.pk}/" not in page
    assert f"opportunity={opp.pk}" in page
    support = client_for(users["marketing"]).get(f"/sales/opportunities/{opp.pk}/")
    assert support.status_code == 200 and quote.number not in support.content.decode()
