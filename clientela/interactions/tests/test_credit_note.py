"""The credit note kind: its payload, its place on the timeline, and the balance it lowers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.interactions.models import PartyStats
from clientela.interactions.render import entries_html
from clientela.interactions.services import interaction_log
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


def log(user, party, kind, payload, days=1.0):
    return interaction_log(
        actor=actor_for(user), party=party, kind=kind, payload=payload,
        occurred_at=timezone.now() - dt.timedelta(days=days),
    ).interaction  # fmt: skip


def test_credit_notes_lower_the_outstanding_balance(admin_user):
    party = make_person(admin_user)
    log(
        admin_user, party, "invoice", {"document_number": "F-1", "total": "200.00", "currency": "EUR"}, days=3
    )
    log(admin_user, party, "payment", {"amount": "50.00", "currency": "EUR"}, days=2)
    note = log(
        admin_user, party, "credit_note",
        {"document_number": "A-1", "total": "30.00", "currency": "EUR", "invoice_reference": "F-1"},
    )  # fmt: skip
    stats = PartyStats.objects.get(party=party)
    assert stats.outstanding_balance == Decimal("120.00")
    assert stats.purchases_total == Decimal("0.00")
    assert (note.channel, note.direction, note.amount, note.summary) == (
        "erp",
        "out",
        Decimal("30.00"),
        "A-1",
    )
    # after a balance statement, only later movements count, credit notes included
    log(admin_user, party, "balance", {"amount": "500.00", "currency": "EUR"}, days=0.5)
    log(
        admin_user,
        party,
        "credit_note",
        {"document_number": "A-2", "total": "100.00", "currency": "EUR"},
        days=0.1,
    )
    assert PartyStats.objects.get(party=party).outstanding_balance == Decimal("400.00")


def test_credit_note_payload_is_checked(admin_user):
    party = make_person(admin_user)
    with pytest.raises(ValidationError) as exc:
        log(admin_user, party, "credit_note", {"document_number": "", "total": "-5", "currency": "EUR"})
    assert {"payload.document_number", "payload.total"} <= set(exc.value.message_dict)


def test_credit_note_on_the_timeline(admin_user):
    party = make_person(admin_user)
    row = log(admin_user, party, "credit_note", {"document_number": "A-9", "total": "12.50", "currency": "EUR",
                                                 "invoice_reference": "F-7"})  # fmt: skip
    html = entries_html([row], party.pk)
    assert "Credit note" in html and "A-9" in html and "F-7" in html and "12.50" in html
