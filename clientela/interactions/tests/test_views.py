"""The customer page (360): key figures, unified timeline with filters and keyset pages, quick-log forms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.interactions.models import Interaction
from clientela.interactions.services import interaction_log, source_get_or_create
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def fill(party, user, n: int, start: float = 1.0) -> None:
    for i in range(n):
        interaction_log(
            actor=actor_for(user),
            party=party,
            kind="note",
            occurred_at=ago(start + i / 24),
            payload={"text": f"Nota número {i}"},
            refresh_stats=False,
        )


def test_page_shows_kinds_rendered_for_their_kind(admin_user, client_for):
    party = make_person(admin_user)
    a = actor_for(admin_user)
    interaction_log(
        actor=a,
        party=party,
        kind="meeting",
        occurred_at=ago(2),
        payload={"objective": "Renovación anual", "conclusion": "Aceptan la oferta"},
    )
    interaction_log(
        actor=a,
        party=party,
        kind="return",
        occurred_at=ago(1),
        payload={
            "reference": "P-7",
            "lines": [{"product": "Silla Oslo", "quantity": 2}],
            "refund_amount": "99.90",
            "currency": "EUR",
        },
    )
    interaction_log(
        actor=a,
        party=party,
        kind="purchase",
        occurred_at=ago(3),
        payload={"document_number": "P-7", "total": "1234.56", "currency": "EUR"},
    )
    html = client_for(admin_user).get(f"/customers/{party.pk}/").content.decode()
    assert "Renovación anual" in html and "Aceptan la oferta" in html
    assert "Silla Oslo" in html and "€99.90" in html
    assert "€1,234.56" in html  # lifetime purchases in the header
    assert html.index("Silla Oslo") < html.index("Renovación anual")  # newest first


def test_organisation_page_shows_its_peoples_interactions(admin_user, client_for):
    org = make_organisation(admin_user)
    person = make_person(admin_user, given_names="Rocío")
    relationship_add(actor=actor_for(admin_user), person=person, organisation=org)
    interaction_log(
        actor=actor_for(admin_user),
        party=person,
        kind="call",
        occurred_at=ago(1),
        payload={"summary": "Pide presupuesto de mesas"},
    )
    html = client_for(admin_user).get(f"/customers/{org.pk}/").content.decode()
    assert "Pide presupuesto de mesas" in html


def test_timeline_filters_and_pages(admin_user, client_for):
    party = make_person(admin_user)
    fill(party, admin_user, 60)
    erp = source_get_or_create("erp")
    day = timezone.localdate() - dt.timedelta(days=40)
    # local noon of that day, so a daylight-saving change in between cannot move it to another date
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    interaction_log(
        actor=actor_for(admin_user),
        party=party,
        kind="invoice",
        occurred_at=noon,
        source=erp,
        external_id="F-1",
        payload={"document_number": "F-1", "total": "10", "currency": "EUR"},
    )
    client = client_for(admin_user)
    first = client.get(f"/customers/{party.pk}/").content.decode()
    assert first.count('class="entry entry-note"') == 50 and "Load older" in first
    second = client.get(f"/customers/{party.pk}/timeline/?cursor=" + _cursor(first)).content.decode()
    assert second.count('class="entry entry-') == 11
    only_invoices = client.get(f"/customers/{party.pk}/?kind=invoice").content.decode()
    assert "F-1" in only_invoices and "Nota número" not in only_invoices
    by_source = client.get(f"/customers/{party.pk}/timeline/?source=erp").content.decode()
    assert "F-1" in by_source and "Nota número" not in by_source
    ranged = client.get(
        f"/customers/{party.pk}/timeline/?from={day.isoformat()}&to={day.isoformat()}"
    ).content.decode()
    assert "F-1" in ranged and "Nota número" not in ranged
    # the page keeps what was typed in the filter fields
    page = client.get(f"/customers/{party.pk}/?from={day.isoformat()}&source=erp").content.decode()
    assert f'name="from" value="{day.isoformat()}"' in page and 'name="source" value="erp"' in page
    assert 'name="to" value=""' in page


def _cursor(html: str) -> str:
    import re
    from urllib.parse import unquote

    return unquote(re.search(r"cursor=([^\"&]+)", html).group(1))


def test_customer_page_query_count_is_constant(admin_user, client_for):
    small = make_person(admin_user, given_names="Poco")
    big = make_person(admin_user, given_names="Mucho")
    fill(small, admin_user, 2)
    fill(big, admin_user, 120)
    client = client_for(admin_user)

    def count(party):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/customers/{party.pk}/").status_code == 200
        return len(ctx.captured_queries)

    # session, user with role, party (figures, tags and external ids joined), contact points,
    # relationships, scheduled activities, first timeline page
    assert count(small) == count(big) <= 7


def test_quick_log_meeting_validates_like_the_api(admin_user, client_for):
    party = make_person(admin_user)
    client = client_for(admin_user)
    bad = client.post(
        f"/customers/{party.pk}/log/meeting/",
        {"meeting-occurred_at": "2025-03-01T10:00", "meeting-conclusion": "x"},
    )
    assert bad.status_code == 422
    assert 'id="err-meeting-objective"' in bad.content.decode()
    assert not Interaction.objects.exists()
    ok = client.post(
        f"/customers/{party.pk}/log/meeting/",
        {"meeting-occurred_at": "2025-03-01T10:00", "meeting-objective": "Presentar catálogo"},
    )
    assert ok.status_code == 302
    row = Interaction.objects.get()
    assert (
        row.kind == "meeting" and row.payload["objective"] == "Presentar catálogo" and row.user == admin_user
    )


def test_quick_log_call_in_the_future_is_refused(admin_user, client_for):
    party = make_person(admin_user)
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(admin_user).post(
        f"/customers/{party.pk}/log/call/",
        {"call-occurred_at": tomorrow, "call-direction": "out", "call-outcome": "answered"},
    )
    assert response.status_code == 422 and not Interaction.objects.exists()


def test_only_the_open_quick_form_is_on_the_page_and_others_load_on_demand(admin_user, client_for):
    party = make_person(admin_user)
    client = client_for(admin_user)
    page = client.get(f"/customers/{party.pk}/").content.decode()
    assert 'name="note-text"' in page and 'name="call-outcome"' not in page
    assert f'hx-get="/customers/{party.pk}/log/call/"' in page
    fragment = client.get(f"/customers/{party.pk}/log/call/").content.decode()
    assert 'name="call-outcome"' in fragment and "<html" not in fragment
    without_js = client.get(f"/customers/{party.pk}/?log=meeting").content.decode()
    assert 'name="meeting-objective"' in without_js
    assert client.get(f"/customers/{party.pk}/log/nonsense/").status_code == 400


def test_quick_forms_give_long_texts_a_whole_row(admin_user, client_for):
    party = make_person(admin_user)
    page = client_for(admin_user).get(f"/customers/{party.pk}/?log=meeting").content.decode()

    def column(name):
        found = re.search(
            r'<div class="([^"]+)">\s*<label class="form-label small" for="id_meeting-' + name, page
        )
        assert found, name
        return found.group(1)

    assert column("objective") == column("conclusion") == column("next_steps") == "col-12"
    assert column("occurred_at") == column("location") == "col-6 col-md-4"
