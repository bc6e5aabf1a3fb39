"""An opportunity's products: prices from the price list, all-or-nothing validation, the amount and board
totals following the lines, the change log, the opportunity page panel, the edit page and the API."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.orders.models import OpportunityProduct
from clientela.orders.services import opportunity_products_set
from clientela.products.models import PriceList, PriceListItem, Product
from clientela.sales.models import Opportunity, StageTotal
from clientela.sales.services import opportunity_create
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(users):
    return users["sales_rep"]


@pytest.fixture
def opp(rep, customer):
    return opportunity_create(
        actor=actor_for(rep), data={"name": "Renovación portátiles", "party": customer.pk, "amount": "100"}
    )


def _state(opportunity):
    return (
        sorted(
            OpportunityProduct.objects.values_list("product_id", "quantity", "unit_price", "discount_percent")
        ),
        Opportunity.objects.values_list("amount", "version").get(pk=opportunity.pk),
        ObjectChange.objects.count(),
    )


def _board_cents(opportunity):
    return sum(
        StageTotal.objects.filter(pipeline_id=opportunity.pipeline_id).values_list("amount_cents", flat=True)
    )


def test_prices_come_from_the_price_list_unless_typed(rep, opp, catalog):
    lines = opportunity_products_set(
        actor=actor_for(rep),
        opportunity=opp,
        lines=[
            {"product": catalog["laptop"].pk, "quantity": "2"},
            {"product": catalog["book"].pk, "quantity": 3, "discount_percent": "10"},
            {"product": catalog["unpriced"].pk, "quantity": 1, "unit_price": "5.50"},
        ],
    )
    saved = list(OpportunityProduct.objects.filter(opportunity=opp).order_by("position"))
    assert [line.position for line in saved] == [1, 2, 3]
    assert [line.unit_price for line in saved] == [Decimal("999.99"), Decimal("19.95"), Decimal("5.50")]
    # 19.95 × 3 = 59.85, less 10 % = 53.865, rounded half up on the line
    assert [line.net for line in saved] == [Decimal("1999.98"), Decimal("53.87"), Decimal("5.50")]
    assert len(lines) == 3
    # an amount the lines do not set stays as it was
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("100.00")


def test_the_most_recent_valid_list_prices_and_expired_lists_do_not(rep, opp, catalog):
    today = dt.date.today()
    newer = PriceList.objects.create(
        name="Tarifa nueva", currency="EUR", valid_from=today - dt.timedelta(days=1)
    )
    PriceListItem.objects.create(price_list=newer, product=catalog["laptop"], unit_price=Decimal("899"))
    old = PriceList.objects.create(
        name="Caducada", currency="EUR", valid_from=dt.date(2019, 1, 1), valid_until=dt.date(2019, 12, 31)
    )
    PriceListItem.objects.create(price_list=old, product=catalog["unpriced"], unit_price=Decimal("1"))
    opportunity_products_set(actor=actor_for(rep), opportunity=opp, lines=[{"product": catalog["laptop"].pk}])
    assert OpportunityProduct.objects.get(opportunity=opp).unit_price == Decimal("899")
    with pytest.raises(ValidationError) as exc:
        opportunity_products_set(
            actor=actor_for(rep), opportunity=opp, lines=[{"product": catalog["unpriced"].pk}]
        )
    assert "NOPE" in exc.value.message_dict["lines.0.unit_price"][0]


def test_no_price_list_in_the_opportunity_currency_is_an_error(rep, customer, catalog):
    usd = opportunity_create(
        actor=actor_for(rep), data={"name": "Dólares", "party": customer.pk, "currency": "USD"}
    )
    with pytest.raises(ValidationError) as exc:
        opportunity_products_set(
            actor=actor_for(rep), opportunity=usd, lines=[{"product": catalog["book"].pk}]
        )
    assert "USD" in exc.value.message_dict["lines.0.unit_price"][0]
    assert not OpportunityProduct.objects.exists()


def test_bad_input_names_every_line_and_writes_nothing(rep, opp, catalog):
    actor = actor_for(rep)
    opportunity_products_set(actor=actor, opportunity=opp, lines=[{"product": catalog["book"].pk}])
    retired = Product.objects.create(code="OLD", name="Retirado", is_active=False)
    before = _state(opp)
    with pytest.raises(ValidationError) as exc:
        opportunity_products_set(
            actor=actor,
            opportunity=opp,
            lines=[
                {"product": 999999},
                {"product": retired.pk, "unit_price": "1"},
                {"product": catalog["unpriced"].pk},
                {"product": catalog["laptop"].pk, "quantity": "-1"},
                {"product": catalog["laptop"].pk, "discount_percent": "150"},
                {"product": catalog["laptop"].pk, "unit_price": "-3", "colour": "red"},
                {"quantity": 1},
                "not a line",
                {"product": catalog["book"].pk},
            ],
            update_amount=True,
        )
    errors = exc.value.message_dict
    assert set(errors) == {
        "lines.0.product",
        "lines.1.product",
        "lines.2.unit_price",
        "lines.3.quantity",
        "lines.4.discount_percent",
        "lines.5.unit_price",
        "lines.5.colour",
        "lines.6.product",
        "lines.7",
    }
    assert _state(opp) == before


def test_update_amount_sets_the_amount_board_totals_and_history(rep, opp, catalog):
    actor = actor_for(rep)
    assert _board_cents(opp) == 10000
    version = Opportunity.objects.get(pk=opp.pk).version
    opportunity_products_set(
        actor=actor,
        opportunity=opp,
        lines=[{"product": catalog["laptop"].pk, "quantity": 2}, {"product": catalog["book"].pk}],
        update_amount=True,
    )
    fresh = Opportunity.objects.get(pk=opp.pk)
    assert fresh.amount == Decimal("2019.93")
    assert fresh.version == version + 1
    assert _board_cents(opp) == 201993
    changes = ObjectChange.objects.filter(object_id=opp.pk, field__in=["amount", "products"])
    assert {c.field for c in changes} == {"amount", "products"}
    # removing every line with update_amount brings the amount to zero
    opportunity_products_set(actor=actor, opportunity=opp, lines=[], update_amount=True)
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("0.00")
    assert _board_cents(opp) == 0
    assert not OpportunityProduct.objects.filter(opportunity=opp).exists()


def test_the_same_lines_again_write_no_change_row(rep, opp, catalog):
    actor = actor_for(rep)
    lines = [{"product": catalog["book"].pk, "quantity": "2.5", "discount_percent": 5}]
    opportunity_products_set(actor=actor, opportunity=opp, lines=lines)
    row = ObjectChange.objects.get(object_id=opp.pk, field="products")
    assert row.new_value[0]["quantity"] == "2.5000" and row.old_value == []
    count = ObjectChange.objects.count()
    opportunity_products_set(actor=actor, opportunity=opp, lines=lines)
    assert ObjectChange.objects.count() == count


def test_only_who_may_change_the_opportunity_sets_its_products(users, opp, catalog):
    before = _state(opp)
    for role in ("sales_rep_b", "read_only"):
        user = users[role]
        with pytest.raises(NotPermitted):
            opportunity_products_set(
                actor=actor_for(user), opportunity=opp, lines=[{"product": catalog["book"].pk}]
            )
    assert _state(opp) == before


def test_the_opportunity_page_shows_the_products_panel(rep, opp, catalog, client_for, users):
    opportunity_products_set(
        actor=actor_for(rep), opportunity=opp, lines=[{"product": catalog["laptop"].pk, "quantity": 2}]
    )
    page = client_for(rep).get(reverse("sales:opportunity", args=[opp.pk])).content.decode()
    assert "Portátil" in page
    assert "1.999,98" in page or "1,999.98" in page or "1999.98" in page
    assert reverse("orders:opportunity_products", args=[opp.pk]) in page
    assert "products=1" in page
    # the products panel reads its lines in one query, whatever their number
    client = client_for(rep)
    url = reverse("sales:opportunity", args=[opp.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    opportunity_products_set(
        actor=actor_for(rep),
        opportunity=opp,
        lines=[{"product": catalog["laptop"].pk}, {"product": catalog["book"].pk}] * 5,
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_edit_page_adds_rows_shows_errors_per_line_and_saves(rep, opp, catalog, client_for):
    client = client_for(rep)
    url = reverse("orders:opportunity_products", args=[opp.pk])
    assert client.get(url).status_code == 200
    data = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": str(catalog["laptop"].pk),
        "lines-0-quantity": "2",
        "lines-1-product": str(catalog["book"].pk),
        "lines-1-quantity": "1",
        "lines-1-discount_percent": "120",
        "update_amount": "on",
    }
    added = client.post(url, {**data, "add_line": "1"})
    assert added.status_code == 200 and 'name="lines-2-product"' in added.content.decode()
    before = _state(opp)
    response = client.post(url, data)
    assert response.status_code == 422
    line2 = response.context["formset"].forms[1]
    assert line2.errors["discount_percent"]
    assert not response.context["formset"].forms[0].errors
    assert _state(opp) == before
    data["lines-1-discount_percent"] = "10"
    response = client.post(url, data)
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("2017.94")  # 1999.98 + 17.96
    assert OpportunityProduct.objects.filter(opportunity=opp).count() == 2


def test_new_quote_from_the_products_prefills_the_lines(rep, opp, catalog, client_for):
    opportunity_products_set(
        actor=actor_for(rep),
        opportunity=opp,
        lines=[{"product": catalog["book"].pk, "quantity": 4, "unit_price": "17", "discount_percent": 5}],
    )
    response = client_for(rep).get(
        reverse("orders:quote_create") + f"?party={opp.party_id}&opportunity={opp.pk}&products=1"
    )
    first = response.context["formset"].forms[0]
    assert first.initial["product"] == catalog["book"].pk
    assert first.initial["unit_price"] == Decimal("17")
    assert first.initial["discount_percent"] == Decimal("5")


def test_api_lists_and_replaces_the_products(rep, opp, catalog, client_for):
    client = client_for(rep)
    url = f"/api/v1/opportunities/{opp.pk}/products"
    assert client.get(url).json()["lines"] == []
    body = {
        "lines": [{"product": catalog["laptop"].pk, "quantity": "1", "discount_percent": "50"}],
        "update_amount": True,
    }
    response = client.put(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["lines"][0]["product_code"] == "LAP"
    assert Decimal(data["lines"][0]["unit_price"]) == Decimal("999.99")
    assert Decimal(data["total"]) == Decimal("500.00") == Decimal(data["amount"])
    listed = client.get(url).json()
    assert listed["lines"][0]["product_name"] == "Portátil" and listed["currency"] == "EUR"
    before = _state(opp)
    bad = {"lines": [{"product": catalog["book"].pk}, {"product": catalog["book"].pk, "quantity": "-2"}]}
    response = client.put(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 422
    assert "lines.1.quantity" in response.content.decode()
    assert _state(opp) == before


def test_round_numbers_show_plainly_on_the_panel_and_the_edit_page(rep, opp, catalog, client_for):
    opportunity_products_set(
        actor=actor_for(rep),
        opportunity=opp,
        lines=[
            {"product": catalog["book"].pk, "quantity": "100", "unit_price": "20", "discount_percent": 10}
        ],
    )
    client = client_for(rep)
    page = client.get(reverse("sales:opportunity", args=[opp.pk])).content.decode()
    assert ">100<" in page and "1E+2" not in page
    form = client.get(reverse("orders:opportunity_products", args=[opp.pk])).content.decode()
    assert 'value="100"' in form and 'value="20"' in form and "E+" not in form


def test_a_product_lines_change_is_announced_once(rep, opp, catalog, django_capture_on_commit_callbacks):
    """Subscribers hear "opportunity.updated" when only the lines change, once when the amount follows them,
    and nothing when the same lines are saved again."""
    from clientela.core.events import register_listener, unregister_listener

    seen: list[str] = []

    def listener(event_type, payload):
        if event_type.startswith("opportunity.") and payload["id"] == opp.pk:
            seen.append(event_type)

    register_listener(listener)
    try:
        line = [{"product": catalog["laptop"].pk}]
        with django_capture_on_commit_callbacks(execute=True):
            opportunity_products_set(actor=actor_for(rep), opportunity=opp, lines=line)
        assert seen == ["opportunity.updated"]
        with django_capture_on_commit_callbacks(execute=True):
            opportunity_products_set(actor=actor_for(rep), opportunity=opp, lines=line)
        assert seen == ["opportunity.updated"]  # nothing changed, nothing announced
        with django_capture_on_commit_callbacks(execute=True):
            opportunity_products_set(
                actor=actor_for(rep), opportunity=opp, lines=line + line, update_amount=True
            )
        assert seen == ["opportunity.updated", "opportunity.updated"]
    finally:
        unregister_listener(listener)
