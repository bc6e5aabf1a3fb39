"""Timeline entries rendered for their kind, escaped, and with links only to web addresses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.interactions.render import entries_html
from clientela.interactions.services import interaction_log
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def log(user, party, kind, payload, days=1.0, **extra):
    return interaction_log(
        actor=actor_for(user),
        party=party,
        kind=kind,
        occurred_at=timezone.now() - dt.timedelta(days=days),
        payload=payload,
        **extra,
    ).interaction


def test_each_kind_shows_what_matters_for_it(admin_user):
    party = make_person(admin_user)
    rows = [
        log(
            admin_user,
            party,
            "meeting",
            {"objective": "Renovar contrato", "conclusion": "Firmado", "next_steps": "Enviar copia"},
        ),
        log(
            admin_user,
            party,
            "return",
            {
                "lines": [{"product": "Silla", "quantity": "2"}],
                "refund_amount": "59.90",
                "currency": "EUR",
                "reason": "Rota",
            },
        ),
        log(
            admin_user,
            party,
            "call",
            {"outcome": "voicemail", "duration_seconds": 42, "phone_number": "+34612345678"},
            direction="out",
        ),
        log(
            admin_user,
            party,
            "complaint",
            {"subject": "Retraso", "severity": "high", "order_reference": "P-7"},
        ),
        log(
            admin_user,
            party,
            "invoice",
            {"document_number": "F-2025-1", "total": "1234.50", "currency": "EUR"},
        ),
    ]
    with translation.override("en"):
        html = str(entries_html(rows, party.pk))
    assert "Renovar contrato" in html and "Firmado" in html and "Enviar copia" in html
    assert "2 × Silla" in html and "€59.90" in html and "Rota" in html
    assert "Voicemail" in html and "42 s" in html
    assert "Retraso" in html and "P-7" in html
    assert "F-2025-1" in html and "€1,234.50" in html
    assert html.count('class="entry entry-') == 5
    assert html.count('class="day-heading"') >= 1
    with translation.override("es"):
        spanish = str(entries_html(rows, party.pk))
    assert "Objetivo" in spanish and "1234,50" in spanish.replace(".", "")


def test_text_is_escaped_and_only_web_links_are_links(admin_user):
    party = make_person(admin_user)
    rows = [
        log(admin_user, party, "note", {"text": "<script>alert(1)</script>"}),
        log(admin_user, party, "social", {"network": "x", "handle": "@a", "link": "javascript:alert(1)"}),
        log(admin_user, party, "social", {"network": "x", "handle": "@b", "link": "https://x.com/b/1"}),
    ]
    html = str(entries_html(rows, party.pk))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://x.com/b/1"' in html


def test_an_organisations_timeline_links_entries_of_its_people(admin_user):
    org = make_organisation(admin_user, legal_name="Talleres Ebro S.A.")
    person = make_person(admin_user, given_names="Marta")
    row = log(admin_user, person, "note", {"text": "Hola"}, organisation=org)
    html = str(entries_html([row], org.pk))
    assert f'href="/customers/{person.pk}/"' in html and "Marta" in html
    assert f'href="/customers/{person.pk}/"' not in str(entries_html([row], person.pk))
