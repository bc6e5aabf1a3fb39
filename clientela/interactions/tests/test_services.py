"""The ledger: typed payloads, idempotency by source record, corrections as versions, key figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.core.exceptions import NotPermitted
from clientela.interactions.models import Interaction, PartyStats
from clientela.interactions.services import (
    interaction_correct,
    interaction_log,
    interaction_log_call,
    interaction_log_meeting,
    source_get_or_create,
)
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_meeting_keeps_objective_and_conclusion(admin_user):
    party = make_person(admin_user)
    logged = interaction_log_meeting(
        actor=actor_for(admin_user),
        party=party,
        occurred_at=ago(1),
        objective="Renovar contrato",
        conclusion="Firmarán en enero",
        attendees_external=["Ana García"],
    )
    row = logged.interaction
    assert logged.created
    assert row.payload["objective"] == "Renovar contrato"
    assert row.payload["conclusion"] == "Firmarán en enero"
    assert row.summary == "Renovar contrato"
    assert row.user == admin_user and row.source.slug == "clientela"


@pytest.mark.parametrize(
    ("kind", "payload", "path"),
    [
        ("meeting", {"conclusion": "x"}, "payload.objective"),
        ("purchase", {"total": "abc", "currency": "EUR"}, "payload.total"),
        ("purchase", {"total": "10", "currency": "XXY"}, "payload.currency"),
        (
            "return",
            {"lines": [{"product": "A", "quantity": -1}], "currency": "EUR"},
            "payload.lines.0.quantity",
        ),
        ("call", {"outcome": "maybe"}, "payload.outcome"),
        ("note", {"text": "hi", "colour": "red"}, "payload.colour"),
        ("teleport", {}, "kind"),
    ],
)
def test_bad_payloads_are_rejected_with_paths(admin_user, kind, payload, path):
    party = make_person(admin_user)
    with pytest.raises(ValidationError) as info:
        interaction_log(
            actor=actor_for(admin_user), party=party, kind=kind, occurred_at=ago(1), payload=payload
        )
    assert path in info.value.message_dict
    assert Interaction.objects.count() == 0


def test_future_dates_only_for_meetings(admin_user):
    party = make_person(admin_user)
    with pytest.raises(ValidationError) as info:
        interaction_log(
            actor=actor_for(admin_user), party=party, kind="note", occurred_at=ago(-2), payload={"text": "x"}
        )
    assert "occurred_at" in info.value.message_dict
    interaction_log_meeting(actor=actor_for(admin_user), party=party, occurred_at=ago(-2), objective="Demo")
    with pytest.raises(ValidationError):
        interaction_log(
            actor=actor_for(admin_user),
            party=party,
            kind="note",
            occurred_at="2025-01-01T10:00:00",
            payload={"text": "x"},
        )


def test_same_external_record_twice_is_stored_once_and_changes_become_versions(admin_user):
    party = make_person(admin_user)
    erp = source_get_or_create("erp", kind="erp")
    args = {
        "actor": actor_for(admin_user),
        "party": party,
        "kind": "invoice",
        "occurred_at": ago(3),
        "source": erp,
        "external_id": "F-1",
    }
    first = interaction_log(**args, payload={"document_number": "F-1", "total": "100.00", "currency": "EUR"})
    again = interaction_log(**args, payload={"document_number": "F-1", "total": "100", "currency": "eur"})
    assert again.outcome == "unchanged" and again.interaction.pk == first.interaction.pk
    corrected = interaction_log(
        **args, payload={"document_number": "F-1", "total": "120.00", "currency": "EUR"}
    )
    assert corrected.outcome == "corrected"
    assert corrected.interaction.supersedes_id == first.interaction.pk
    assert Interaction.objects.filter(source=erp, external_id="F-1").count() == 2
    assert Interaction.objects.filter(source=erp, external_id="F-1", is_current=True).count() == 1
    assert PartyStats.objects.get(party=party).outstanding_balance == Decimal("120.00")


def test_key_figures_follow_the_ledger(admin_user):
    person = make_person(admin_user)
    org = make_organisation(admin_user)
    relationship_add(actor=actor_for(admin_user), person=person, organisation=org)
    a = actor_for(admin_user)
    interaction_log(
        actor=a,
        party=person,
        organisation=org,
        kind="purchase",
        occurred_at=ago(30),
        payload={"document_number": "P1", "total": "250.50", "currency": "EUR"},
    )
    interaction_log(
        actor=a,
        party=person,
        kind="purchase",
        occurred_at=ago(10),
        payload={"document_number": "P2", "total": "49.50", "currency": "EUR"},
    )
    interaction_log(
        actor=a,
        party=person,
        kind="purchase",
        occurred_at=ago(9),
        payload={"document_number": "P3", "total": "20", "currency": "USD"},
    )
    interaction_log(
        actor=a,
        party=person,
        kind="return",
        occurred_at=ago(5),
        payload={
            "reference": "P1",
            "lines": [{"product": "Silla", "quantity": 1}],
            "refund_amount": "50",
            "currency": "EUR",
        },
    )
    complaint = interaction_log(
        actor=a,
        party=person,
        kind="complaint",
        occurred_at=ago(4),
        payload={"subject": "Llegó roto", "severity": "high"},
    ).interaction
    interaction_log(
        actor=a,
        party=person,
        kind="invoice",
        occurred_at=ago(3),
        payload={"document_number": "F1", "total": "300", "currency": "EUR"},
    )
    interaction_log(
        actor=a,
        party=person,
        kind="payment",
        occurred_at=ago(2),
        payload={"amount": "200", "currency": "EUR"},
    )
    call = interaction_log_call(
        actor=a, party=person, occurred_at=ago(1), outcome="answered", summary="Todo bien"
    ).interaction
    stats = PartyStats.objects.get(party=person)
    assert stats.currency == "EUR"
    assert stats.purchases_total == Decimal("300.00") and stats.purchases_count == 3
    assert stats.returns_total == Decimal("50.00")
    assert stats.other_currencies == {"USD": {"purchases": "20.00"}}
    assert stats.open_complaints == 1
    assert stats.outstanding_balance == Decimal("100.00")
    assert stats.last_contact_at == call.occurred_at and stats.last_contact_by == admin_user
    assert stats.interaction_count == 8
    # the person's activity rolls up to their employer (filed under it unless another one is named)
    org_stats = PartyStats.objects.get(party=org)
    assert org_stats.purchases_total == Decimal("300.00") and org_stats.interaction_count == 8
    interaction_correct(actor=a, interaction=complaint, payload={**complaint.payload, "status": "resolved"})
    assert PartyStats.objects.get(party=person).open_complaints == 0
    # a full refresh from the ledger gives the same figures as the services kept
    before = PartyStats.objects.get(party=person)
    party_stats_refresh([person.pk])
    after = PartyStats.objects.get(party=person)
    assert (before.purchases_total, before.outstanding_balance, before.interaction_count) == (
        after.purchases_total,
        after.outstanding_balance,
        after.interaction_count,
    )


def test_balance_statement_resets_the_outstanding_amount(admin_user):
    party = make_person(admin_user)
    a = actor_for(admin_user)
    interaction_log(
        actor=a,
        party=party,
        kind="invoice",
        occurred_at=ago(10),
        payload={"document_number": "F1", "total": "500", "currency": "EUR"},
    )
    interaction_log(
        actor=a, party=party, kind="balance", occurred_at=ago(5), payload={"amount": "80", "currency": "EUR"}
    )
    interaction_log(
        actor=a,
        party=party,
        kind="invoice",
        occurred_at=ago(2),
        payload={"document_number": "F2", "total": "20", "currency": "EUR"},
    )
    assert PartyStats.objects.get(party=party).outstanding_balance == Decimal("100.00")


def test_read_only_user_cannot_log(users):
    party = make_person(users["manager"])
    with pytest.raises(NotPermitted):
        interaction_log(
            actor=actor_for(users["read_only"]),
            party=party,
            kind="note",
            occurred_at=ago(1),
            payload={"text": "x"},
        )
    other = make_person(users["sales_rep_b"])
    with pytest.raises(NotPermitted):
        interaction_log(
            actor=actor_for(users["sales_rep"]),
            party=other,
            kind="note",
            occurred_at=ago(1),
            payload={"text": "x"},
        )


def test_a_source_record_on_a_customer_outside_the_scope_is_not_pulled_over(users):
    theirs = make_person(users["sales_rep_b"])
    mine = make_person(users["sales_rep"])
    erp = source_get_or_create("erp")
    invoice = {"document_number": "F-9", "total": "10", "currency": "EUR"}
    original = interaction_log(
        actor=actor_for(users["sales_rep_b"]),
        party=theirs,
        kind="invoice",
        occurred_at=ago(3),
        payload=invoice,
        source=erp,
        external_id="F-9",
    ).interaction
    with pytest.raises(ValidationError) as info:
        interaction_log(
            actor=actor_for(users["sales_rep"]),
            party=mine,
            kind="invoice",
            occurred_at=ago(3),
            payload=invoice,
            source=erp,
            external_id="F-9",
        )
    assert "external_id" in info.value.message_dict
    assert list(Interaction.objects.values_list("pk", "party_id", "is_current")) == [
        (original.pk, theirs.pk, True)
    ]


def test_filing_under_an_organisation(admin_user):
    a = actor_for(admin_user)
    org = make_organisation(admin_user, legal_name="Talleres Ebro S.A.")
    other = make_organisation(admin_user, legal_name="Otra S.L.")
    person = make_person(admin_user)
    freelancer = make_person(admin_user, given_names="Libre")
    own = interaction_log(actor=a, party=org, kind="note", occurred_at=ago(1), payload={"text": "x"})
    assert own.interaction.organisation == org  # an organisation's own rows are filed under itself
    with pytest.raises(ValidationError) as info:
        interaction_log(
            actor=a, party=org, organisation=other, kind="note", occurred_at=ago(1), payload={"text": "x"}
        )
    assert "organisation" in info.value.message_dict
    relationship_add(actor=a, person=person, organisation=org)
    rolled = interaction_log(actor=a, party=person, kind="note", occurred_at=ago(1), payload={"text": "y"})
    assert rolled.interaction.organisation == org
    named = interaction_log(
        actor=a, party=person, organisation=other, kind="note", occurred_at=ago(1), payload={"text": "z"}
    )
    assert named.interaction.organisation == other
    alone = interaction_log(actor=a, party=freelancer, kind="note", occurred_at=ago(1), payload={"text": "w"})
    assert alone.interaction.organisation is None
