"""Orders: from an accepted quote, recorded from the ERP (idempotent upsert), status transitions, timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.core.actor import Actor
from clientela.core.events import register_listener, unregister_listener
from clientela.core.models import ObjectChange
from clientela.interactions.models import Interaction, PartyStats
from clientela.interactions.services import interaction_log, source_get_or_create
from clientela.orders.models import Order, OrderLine
from clientela.orders.selectors import order_returns
from clientela.orders.services import (
    order_change_status,
    order_create_from_quote,
    order_record_external,
    quote_accept,
    quote_send,
)
from clientela.testing.factories import actor_for

from .test_quotes import make_quote

pytestmark = pytest.mark.django_db
ERP = Actor.system("erp-test")


@pytest.fixture
def events():
    seen: list[tuple[str, dict]] = []

    def listener(kind, payload):
        seen.append((kind, dict(payload)))

    register_listener(listener)
    yield seen
    unregister_listener(listener)


def test_accepted_quote_becomes_an_order_and_a_purchase(
    users, customer, catalog, events, django_capture_on_commit_callbacks
):
    actor = actor_for(users["sales_rep"])
    with django_capture_on_commit_callbacks(execute=True):
        quote = make_quote(users["sales_rep"], customer, catalog)
        quote_send(actor=actor, quote=quote)
        with pytest.raises(ValidationError):  # not accepted yet
            order_create_from_quote(actor=actor, quote=quote)
        quote_accept(actor=actor, quote=quote)
        order = order_create_from_quote(actor=actor, quote=quote)
    assert order.number.startswith(f"O-{timezone.localdate().year}-")
    assert order.quote_id == quote.pk and order.total == quote.total == D("2243.82")
    assert [(line.position, line.net) for line in order.lines.all()] == [
        (1, D("1799.98")),
        (2, D("59.85")),
    ]
    purchase = Interaction.objects.get(party=customer, kind="purchase", is_current=True)
    assert purchase.amount == D("2243.82") and purchase.payload["document_number"] == order.number
    stats = PartyStats.objects.get(party=customer)
    assert stats.purchases_total == D("2243.82") and stats.purchases_count == 1
    kinds = [kind for kind, _payload in events]
    assert kinds == ["quote.created", "quote.sent", "quote.accepted", "order.created"]
    with pytest.raises(ValidationError):  # one order per quote
        order_create_from_quote(actor=actor, quote=quote)


def _erp(customer, **changes):
    data = {
        "actor": ERP,
        "source": "erp",
        "external_id": "SO-1001",
        "party": customer,
        "number": "PV-2026-1001",
        "ordered_at": "2026-01-15T10:00:00+01:00",
        "currency": "EUR",
        "lines": [
            {
                "product_code": "LAP",
                "description": "Portátil",
                "quantity": "1",
                "unit_price": "1000",
                "discount_percent": "5",
                "tax_rate": "21",
            },
            {"description": "Envío", "quantity": "1", "unit_price": "10", "tax_rate": "21"},
        ],
    }
    data.update(changes)
    return order_record_external(**data)


def test_erp_upsert_is_idempotent_and_records_changes(
    customer, catalog, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order, created = _erp(customer)
    assert created and order.total == D("1161.60")  # (950 + 10) × 1.21
    assert order.lines.get(position=1).product == catalog["laptop"]
    counts = (
        Order.objects.count(),
        OrderLine.objects.count(),
        ObjectChange.objects.count(),
        Interaction.objects.count(),
    )
    again, created = _erp(customer)
    assert not created and again.pk == order.pk and again.version == order.version
    assert (
        Order.objects.count(),
        OrderLine.objects.count(),
        ObjectChange.objects.count(),
        Interaction.objects.count(),
    ) == counts
    with django_capture_on_commit_callbacks(execute=True):
        changed, created = _erp(
            customer,
            status="shipped",
            lines=[
                {
                    "product_code": "LAP",
                    "description": "Portátil",
                    "quantity": "2",
                    "unit_price": "1000",
                    "tax_rate": "21",
                },
            ],
        )
    assert not created and changed.pk == order.pk and changed.status == "shipped"
    assert changed.total == D("2420.00") and changed.lines.count() == 1
    fields = set(
        ObjectChange.objects.filter(object_id=order.pk, action="update").values_list("field", flat=True)
    )
    assert {"status", "lines", "total"} <= fields
    current = Interaction.objects.filter(kind="purchase", is_current=True)
    assert current.count() == 1 and current.get().amount == D("2420.00")  # corrected, not duplicated
    assert PartyStats.objects.get(party=customer).purchases_total == D("2420.00")
    assert [k for k, _p in events] == ["order.created", "order.status_changed"]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"lines": [{"product_code": "ZZZ", "quantity": "1", "unit_price": "1"}]}, "lines.0.product_code"),
        ({"lines": [{"description": "x", "quantity": "-1", "unit_price": "1"}]}, "lines.0.quantity"),
        ({"ordered_at": "2999-01-01T00:00:00Z"}, "ordered_at"),
        ({"ordered_at": "2026-01-01T00:00:00"}, "ordered_at"),
        ({"currency": "EURO"}, "currency"),
        ({"status": "lost"}, "status"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_erp_bad_input_writes_nothing(customer, catalog, changes, path):
    before = (Order.objects.count(), Interaction.objects.count(), ObjectChange.objects.count())
    with pytest.raises(ValidationError) as exc:
        _erp(customer, **changes)
    assert path in exc.value.message_dict
    assert (Order.objects.count(), Interaction.objects.count(), ObjectChange.objects.count()) == before


def test_status_transitions(users, customer, catalog):
    order, _created = _erp(customer)
    actor = actor_for(users["sales_rep"])
    with pytest.raises(ValidationError):
        order_change_status(actor=actor, order=order, status="draft")
    order = order_change_status(actor=actor, order=order, status="shipped")
    order = order_change_status(actor=actor, order=order, status="invoiced")
    with pytest.raises(ValidationError):
        order_change_status(actor=actor, order=order, status="cancelled")
    assert list(
        ObjectChange.objects.filter(object_id=order.pk, field="status").values_list("new_value", flat=True)
    ) == [
        "shipped",
        "invoiced",
    ]


def test_returns_referencing_the_order(customer, catalog):
    order, _created = _erp(customer)
    interaction_log(
        actor=ERP,
        party=customer,
        kind="return",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        payload={
            "reference": order.number,
            "lines": [{"description": "Portátil", "quantity": 1}],
            "refund_amount": "100",
            "currency": "EUR",
        },
        source=source_get_or_create("erp"),
        external_id="R-1",
    )
    interaction_log(
        actor=ERP,
        party=customer,
        kind="return",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        payload={"reference": "OTRO", "lines": [{"description": "x", "quantity": 1}], "currency": "EUR"},
        source=source_get_or_create("erp"),
        external_id="R-2",
    )
    assert [r.external_id for r in order_returns(order)] == ["R-1"]


def test_a_cancelled_order_no_longer_counts_in_purchases(users, customer, catalog):
    order, _created = _erp(customer)
    assert PartyStats.objects.get(party=customer).purchases_total == D("1161.60")
    order_change_status(actor=actor_for(users["sales_rep"]), order=order, status="cancelled")
    assert PartyStats.objects.get(party=customer).purchases_total == D("0.00")
    current = Interaction.objects.get(kind="purchase", is_current=True)
    assert current.payload["document_number"] == order.number and current.amount == D("0.00")


def test_returns_name_order_lines_and_the_order_page_counts_them(users, customer, catalog, client_for):
    from clientela.orders.selectors import order_detail

    order, _created = _erp(
        customer,
        lines=[
            {"description": "Portátil", "quantity": "3", "unit_price": "1000", "tax_rate": "21"},
            {"description": "Envío", "quantity": "1", "unit_price": "10", "tax_rate": "21"},
        ],
    )
    for external_id, lines in (
        ("R-1", [{"description": "Portátil", "quantity": 1, "order_line_ref": "1"}]),
        ("R-2", [{"description": "Portátil", "quantity": 1, "order_line_ref": f"{order.number}/1"}]),
        ("R-3", [{"description": "Otra cosa", "quantity": 2, "order_line_ref": "7"}]),
    ):
        interaction_log(
            actor=ERP,
            party=customer,
            kind="return",
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            payload={"reference": order.number, "lines": lines, "currency": "EUR"},
            source=source_get_or_create("erp"),
            external_id=external_id,
        )
    detail = order_detail(user=users["administrator"], pk=order.pk)
    assert [(line.position, quantity) for line, quantity in detail.returned_lines] == [(1, D("2"))]
    page = client_for(users["administrator"]).get(f"/quotes/orders/{order.pk}/").content.decode()
    assert "2 of 3 returned" in page
