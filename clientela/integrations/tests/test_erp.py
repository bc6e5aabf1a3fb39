"""``PUT /api/v1/erp/{documents}``: idempotent upserts by (source, external_id), corrections, partial batches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clientela.interactions.models import Interaction, PartyStats
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db

URL = "/api/v1/erp/{}"


def invoice(external_id="F-1", total="121.00", **extra):
    return {
        "external_id": external_id,
        "party_external_id": "C-1",
        "number": f"FAC-{external_id}",
        "date": "2025-03-01",
        "currency": "EUR",
        "total": total,
        **extra,
    }


def put(api, kind, docs, source="sap", partial=False):
    url = URL.format(kind) + ("?partial=true" if partial else "")
    return api.request("PUT", url, {"source": source, "documents": docs})


def stats(party):
    return PartyStats.objects.get(party=party)


def test_invoice_created_then_unchanged_then_updated(admin_api, customer):
    first = put(admin_api, "invoices", [invoice()])
    assert first.status_code == 200, first.content
    item = first.json()["items"][0]
    assert item["status"] == "created" and item["index"] == 0
    row = Interaction.objects.get(pk=item["id"])
    assert (row.kind, row.party_id, row.amount, row.external_id) == (
        "invoice",
        customer.pk,
        Decimal("121.00"),
        "F-1",
    )
    assert row.payload["document_number"] == "FAC-F-1"

    again = put(admin_api, "invoices", [invoice()])
    assert again.json()["items"][0] == {"index": 0, "status": "unchanged", "id": row.pk}
    assert Interaction.objects.filter(external_id="F-1").count() == 1

    changed = put(admin_api, "invoices", [invoice(total="150.00")])
    result = changed.json()["items"][0]
    assert result["status"] == "updated" and result["id"] != row.pk
    new = Interaction.objects.get(pk=result["id"])
    assert new.supersedes_id == row.pk and new.amount == Decimal("150.00")
    row.refresh_from_db()
    assert row.is_current is False  # the old version stays in the ledger
    assert changed.json()["counts"] == {"created": 0, "updated": 1, "unchanged": 0, "error": 0}
    assert stats(customer).outstanding_balance == Decimal("150.00")


def test_balance_follows_invoices_payments_and_credit_notes(admin_api, customer):
    put(admin_api, "invoices", [invoice("F-1", "100.00"), invoice("F-2", "50.00")])
    assert stats(customer).outstanding_balance == Decimal("150.00")
    pay = {"external_id": "P-1", "party_external_id": "C-1", "date": "2025-03-05", "currency": "EUR",
           "amount": "30.00", "reference": "FAC-F-1", "method": "card"}  # fmt: skip
    assert put(admin_api, "payments", [pay]).json()["items"][0]["status"] == "created"
    assert stats(customer).outstanding_balance == Decimal("120.00")
    note = {"external_id": "A-1", "party_email": "LUCIA@example.es", "number": "ABO-1", "date": "2025-03-06",
            "currency": "EUR", "total": "20.00", "reference": "FAC-F-2", "reason": "Damaged"}  # fmt: skip
    response = put(admin_api, "credit-notes", [note])
    assert response.status_code == 200, response.content
    row = Interaction.objects.get(pk=response.json()["items"][0]["id"])
    assert row.kind == "credit_note" and row.party_id == customer.pk  # found by email, case-insensitively
    assert stats(customer).outstanding_balance == Decimal("100.00")
    assert stats(customer).purchases_total == Decimal("0.00")


def test_orders_become_orders_and_purchases(admin_api, customer):
    from clientela.orders.models import Order

    order = {"external_id": "O-1", "party_external_id": "C-1", "number": "PED-1", "date": "2025-02-01T10:00:00+01:00",
             "currency": "EUR", "lines": [{"description": "Silla", "quantity": "2", "unit_price": "40.00",
                                           "tax_rate": "0"}]}  # fmt: skip
    response = put(admin_api, "orders", [order])
    assert response.status_code == 200, response.content
    item = response.json()["items"][0]
    assert item["status"] == "created"
    saved = Order.objects.get(pk=item["order_id"])
    assert (saved.number, saved.party_id, saved.external_id, saved.total) == (
        "PED-1",
        customer.pk,
        "O-1",
        Decimal("80.00"),
    )
    row = Interaction.objects.get(pk=item["id"])
    assert (row.kind, row.amount, row.payload["document_number"]) == ("purchase", Decimal("80.00"), "PED-1")
    assert stats(customer).purchases_total == Decimal("80.00")
    again = put(admin_api, "orders", [order]).json()["items"][0]
    assert (again["status"], again["order_id"], again["id"]) == ("unchanged", saved.pk, row.pk)
    order["lines"][0]["quantity"] = "3"
    order["status"] = "shipped"
    changed = put(admin_api, "orders", [order]).json()["items"][0]
    assert changed["status"] == "updated" and changed["order_id"] == saved.pk
    saved.refresh_from_db()
    assert (saved.total, saved.status) == (Decimal("120.00"), "shipped")
    assert stats(customer).purchases_total == Decimal("120.00")
    bad = put(
        admin_api,
        "orders",
        [{**order, "external_id": "O-2", "number": "PED-2", "lines": [{"description": "Mesa"}]}],
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"documents.0.lines.0.unit_price"}


def test_returns_go_to_the_ledger(admin_api, customer):
    ret = {"external_id": "R-1", "party_external_id": "C-1", "date": "2025-02-10", "currency": "EUR",
           "reference": "PED-1", "lines": [{"product": "Silla", "quantity": "1"}], "total": "40.00"}  # fmt: skip
    response = put(admin_api, "returns", [ret])
    assert response.status_code == 200, response.content
    assert stats(customer).returns_total == Decimal("40.00")
    assert Interaction.objects.get(pk=response.json()["items"][0]["id"]).payload["reference"] == "PED-1"


def test_all_or_nothing_by_default(admin_api, customer):
    docs = [invoice("F-1"), invoice("F-2", party_external_id="NOPE"), invoice("F-3", total="abc")]
    response = put(admin_api, "invoices", docs)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"documents.2.total"}  # malformed documents are reported before anything is looked up
    response = put(admin_api, "invoices", docs[:2])
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"documents.1.party_external_id"}
    assert not Interaction.objects.filter(kind="invoice").exists()


def test_partial_writes_the_good_ones(admin_api, customer):
    docs = [
        invoice("F-1"),
        invoice("F-2", party_external_id="NOPE"),
        invoice("F-3", total="abc"),
        invoice("F-4"),
    ]
    response = put(admin_api, "invoices", docs, partial=True)
    assert response.status_code == 207
    body = response.json()
    assert [i["status"] for i in body["items"]] == ["created", "error", "error", "created"]
    assert body["items"][1]["errors"][0]["field"] == "documents.1.party_external_id"
    assert body["items"][2]["errors"][0]["field"] == "documents.2.total"
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "error": 2}
    assert set(Interaction.objects.values_list("external_id", flat=True)) >= {"F-1", "F-4"}
    assert not Interaction.objects.filter(external_id__in=["F-2", "F-3"]).exists()


def test_field_errors_name_the_document_fields(admin_api, customer):
    docs = [
        {
            "external_id": "X",
            "party_external_id": "C-1",
            "date": "2025-03-01T10:00:00",
            "currency": "ZZZ",
            "total": "1",
        },
        {
            "external_id": "Y",
            "date": "2025-03-01",
            "number": "N",
            "total": "1",
            "currency": "EUR",
        },
        {**invoice("Z"), "colour": "red"},
    ]
    response = put(admin_api, "invoices", docs)
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"documents.0.number", "documents.0.date", "documents.0.currency", "documents.2.colour"} <= fields
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["documents.1"].startswith("Name the customer: party_external_id")  # no reference at all
    assert messages["documents.0.date"].startswith("Give the time zone")


def test_same_id_for_another_kind_is_refused(admin_api, customer):
    put(admin_api, "invoices", [invoice("D-1")])
    pay = {
        "external_id": "D-1",
        "party_external_id": "C-1",
        "date": "2025-03-05",
        "currency": "EUR",
        "amount": "5",
    }
    response = put(admin_api, "payments", [pay])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "documents.0.external_id"
    assert Interaction.objects.get(external_id="D-1", is_current=True).kind == "invoice"


def test_customer_outside_scope_reads_as_unknown(api_for, users, team_b, erp_source):
    from clientela.accounts.models import Role
    from clientela.parties.models import SourceLink

    # a sales rep's role with the integration grant: the documents still stay within its customers
    role = Role.objects.get(slug="sales_rep")
    role.grants = {
        **role.grants,
        "integration": dict.fromkeys(("view", "add", "change", "delete", "export"), "all"),
    }
    role.save()
    other = make_person(users["sales_rep_b"], given_names="Secreta", team=team_b.pk)
    SourceLink.objects.create(source=erp_source, external_id="C-9", party=other)
    rep = users["sales_rep"]
    rep.refresh_from_db()
    response = put(api_for(rep), "invoices", [invoice("F-9", party_external_id="C-9")])
    assert response.status_code == 422
    assert "Secreta" not in response.content.decode()
    assert response.json()["errors"][0]["field"] == "documents.0.party_external_id"
    assert not Interaction.objects.filter(external_id="F-9").exists()


def test_non_administrators_are_refused(api_for, users, customer):
    response = put(api_for(users["manager"]), "invoices", [invoice()])
    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_unknown_document_type_and_limits(admin_api, customer):
    assert put(admin_api, "quotes", [invoice()]).status_code == 422
    assert put(admin_api, "invoices", []).status_code == 422
    assert put(admin_api, "invoices", [invoice()], source="bad slug!").status_code == 422
