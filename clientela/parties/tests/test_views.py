"""Customer pages: list, detail, create with validation, edit, stale edit, delete/restore, scope, query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.core.models import ObjectChange
from clientela.interactions.services import interaction_log
from clientela.parties.models import ContactPoint, Party
from clientela.parties.services import party_update, relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "kind": "person",
        "status": "lead",
        "given_names": "Lucía",
        "family_name_1": "Martín",
        "family_name_2": "Sanz",
        "cp-TOTAL_FORMS": "3",
        "cp-INITIAL_FORMS": "0",
        "cp-0-kind": "email",
        "cp-0-label": "work",
        "cp-0-value": "lucia@trabajo.es",
        "cp-1-kind": "email",
        "cp-1-label": "home",
        "cp-1-value": "lucia@casa.es",
        "cp-2-kind": "mobile",
        "cp-2-label": "personal",
        "cp-2-value": "612 34 56 78",
    }
    data.update(overrides)
    return data


def test_create_person_with_two_emails_and_local_mobile(admin_user, client_for):
    response = client_for(admin_user).post("/customers/new/", form_data())
    assert response.status_code == 302
    party = Party.objects.get(given_names="Lucía")
    assert response["Location"] == f"/customers/{party.pk}/"
    assert sorted(party.contact_points.values_list("normalized", flat=True)) == [
        "+34612345678",
        "lucia@casa.es",
        "lucia@trabajo.es",
    ]


def test_invalid_input_shown_next_to_fields_and_nothing_saved(admin_user, client_for):
    response = client_for(admin_user).post(
        "/customers/new/",
        form_data(given_names="", family_name_1="", **{"cp-0-value": "no-es-email", "cp-2-value": "12"}),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error:" in html
    assert 'id="err-given_names"><li>' in html
    assert 'id="err-cp-0-value"><li>' in html and 'id="err-cp-2-value"><li>' in html
    assert "There is a problem" in html
    assert 'value="no-es-email"' in html  # what the user typed is kept
    given = re.search(r'<input[^>]*name="given_names"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in given and 'aria-describedby="err-given_names"' in given
    assert re.search(r'name="tax_id"[^>]*aria-describedby="err-tax_id help-tax_id"', html)
    assert "Contact point 3 · Value:" in html  # the summary names the row, not just "Value"
    assert "Display name:" not in html  # left empty on purpose: "enter a name" already says it
    assert not Party.all_objects.exists() and not ContactPoint.objects.exists()


def test_instant_validation_answers_for_the_changed_field(admin_user, client_for):
    response = client_for(admin_user).post(
        "/customers/validate/", form_data(**{"cp-2-value": "99"}), HTTP_X_FIELD="cp-2-value"
    )
    html = response.content.decode()
    assert 'id="err-cp-2-value" hx-swap-oob="true"><li>' in html
    assert "err-cp-0-value" not in html
    assert not Party.all_objects.exists()


def test_edit_records_history_shown_on_detail(admin_user, client_for):
    party = make_person(admin_user, contact_points=[{"kind": "email", "value": "a@x.es"}])
    client = client_for(admin_user)
    page = client.get(f"/customers/{party.pk}/edit/")
    assert page.status_code == 200
    cp = party.contact_points.get()
    data = form_data(
        given_names="Ana Belén",
        family_name_1="García",
        family_name_2="López",
        version=str(party.version),
        **{
            "cp-TOTAL_FORMS": "1",
            "cp-INITIAL_FORMS": "1",
            "cp-0-id": str(cp.pk),
            "cp-0-kind": "email",
            "cp-0-value": "a@x.es",
            "cp-0-is_primary": "on",
        },
    )
    response = client.post(f"/customers/{party.pk}/edit/", data)
    assert response.status_code == 302
    detail = client.get(f"/customers/{party.pk}/").content.decode()
    assert "Ana Belén García López" in detail
    # the history is folded under the timeline and loads from its own URL when opened
    assert f'hx-get="/customers/{party.pk}/history/"' in detail
    history = client.get(f"/customers/{party.pk}/history/").content.decode()
    assert '<span class="old">Ana</span> → <span class="new">Ana Belén</span>' in history


def test_stale_edit_shows_conflict_and_keeps_input(admin_user, client_for):
    party = make_person(admin_user)
    old_version = party.version
    party_update(actor=actor_for(admin_user), party=party, data={"family_name_2": "Ruiz"})
    data = form_data(
        given_names="Mi cambio",
        family_name_1="García",
        family_name_2="López",
        version=str(old_version),
        **{"cp-TOTAL_FORMS": "0"},
    )
    response = client_for(admin_user).post(f"/customers/{party.pk}/edit/", data)
    html = response.content.decode()
    assert response.status_code == 409
    assert 'value="Mi cambio"' in html
    assert "Someone else changed this customer" in html
    assert "Ruiz" in html  # the other person's value is shown
    party.refresh_from_db()
    assert party.given_names == "Ana" and party.family_name_2 == "Ruiz"
    assert f'name="version" value="{party.version}"' in html  # re-submitting applies against the new version


def test_delete_then_restore(admin_user, client_for):
    party = make_person(admin_user)
    client = client_for(admin_user)
    response = client.post(f"/customers/{party.pk}/delete/", follow=True)
    assert "moved to the recycle bin" in response.content.decode()
    assert client.get(f"/customers/{party.pk}/").status_code == 404
    assert party.display_name in client.get("/customers/bin/").content.decode()
    response = client.post(f"/customers/{party.pk}/restore/")
    assert response.status_code == 302
    assert client.get(f"/customers/{party.pk}/").status_code == 200


def test_out_of_scope_party_is_404_and_not_listed(users, client_for, team_b):
    hidden = make_person(users["sales_rep_b"], given_names="Zacarías", team=team_b.pk)
    client = client_for(users["sales_rep"])
    assert client.get(f"/customers/{hidden.pk}/").status_code == 404
    assert "Zacarías" not in client.get("/customers/").content.decode()
    assert client.post(f"/customers/{hidden.pk}/delete/").status_code == 404
    assert Party.objects.filter(pk=hidden.pk).exists()


def test_customer_page_compiled_once_per_scope_never_shows_another_users_view(
    users, client_for, team_a, team_b
):
    """The page's party query is compiled once per permission scope and reused: a user whose scope is
    narrower, or names other teams, must not be answered with another user's compiled query."""
    from clientela.core.prepared import forget_prepared

    forget_prepared()
    hidden = make_person(users["sales_rep_b"], given_names="Zacarías", team=team_b.pk)
    mine = make_person(users["sales_rep"], given_names="Mía", team=team_a.pk)
    rep, rep_b = client_for(users["sales_rep"]), client_for(users["sales_rep_b"])
    admin = client_for(users["administrator"])
    for _round in range(2):  # the second round runs every shape already compiled
        assert admin.get(f"/customers/{hidden.pk}/").status_code == 200
        assert rep.get(f"/customers/{hidden.pk}/").status_code == 404
        assert rep_b.get(f"/customers/{hidden.pk}/").status_code == 200
        assert rep.get(f"/customers/{mine.pk}/").status_code == 200
        assert rep_b.get(f"/customers/{mine.pk}/").status_code == 404
        # the customer's sub-pages read the party through party_get, compiled the same way
        assert admin.get(f"/customers/{mine.pk}/timeline/").status_code == 200
        assert rep_b.get(f"/customers/{mine.pk}/timeline/").status_code == 404
        assert rep.get(f"/customers/{hidden.pk}/log/call/").status_code == 404
    users["sales_rep"].teams.set([team_b])  # a change of team changes what the same user sees
    assert rep.get(f"/customers/{hidden.pk}/").status_code == 200
    assert rep.get(f"/customers/{mine.pk}/").status_code == 200  # still their own


def test_read_only_user_sees_but_cannot_edit(users, client_for):
    party = make_person(users["manager"])
    client = client_for(users["read_only"])
    assert client.get(f"/customers/{party.pk}/").status_code == 200
    assert client.get(f"/customers/{party.pk}/edit/").status_code == 403
    assert client.post(f"/customers/{party.pk}/delete/").status_code == 403


def test_list_filters_and_paging(admin_user, client_for, settings):
    settings.CLIENTELA_PAGE_SIZE = 2
    for name in ("Alba", "Bruno", "Carla"):
        make_person(admin_user, given_names=name, tags=["VIP"] if name != "Bruno" else [])
    client = client_for(admin_user)
    first = client.get("/customers/").content.decode()
    assert "Alba" in first and "Bruno" in first and "Carla" not in first and "Load more" in first
    assert "1–2 of 3" in first
    tagged = client.get("/customers/?tag=vip").content.decode()
    assert "Alba" in tagged and "Bruno" not in tagged
    assert "No customers match" in client.get("/customers/?q=nadie").content.decode()
    assert client.get("/customers/?cursor=garbage").status_code == 302


def test_list_shows_city_and_filters_by_dates(admin_user, client_for):
    make_person(
        admin_user,
        given_names="Rocío",
        contact_points=[
            {"kind": "address", "city": "Sevilla", "street": "Calle Feria 1", "is_primary": True}
        ],
    )
    client = client_for(admin_user)
    html = client.get("/customers/").content.decode()
    assert "Rocío" in html and '<td data-label="City">Sevilla</td>' in html
    today = timezone.localdate()
    later = client.get(f"/customers/?created_after={today + dt.timedelta(days=1)}").content.decode()
    assert "Rocío" not in later and "No customers match" in later
    assert f'name="created_after" value="{today + dt.timedelta(days=1)}"' in later
    assert '<details class="more-filters" open>' in later  # the filter in use stays visible
    assert "Rocío" in client.get(f"/customers/?created_after={today}").content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_page_size(admin_user, client_for, settings):
    for i in range(60):
        make_person(
            admin_user,
            given_names=f"Persona {i}",
            tags=["VIP", f"t{i % 3}"],
            contact_points=[
                {"kind": "email", "value": f"p{i}@x.es"},
                {"kind": "mobile", "value": f"6123450{i:02d}"},
            ],
        )
    client = client_for(admin_user)
    settings.CLIENTELA_PAGE_SIZE = 5
    small = _queries(client, "/customers/")
    settings.CLIENTELA_PAGE_SIZE = 50
    large = _queries(client, "/customers/")
    assert small == large
    assert large <= 12


def test_detail_query_count_does_not_grow_with_history_or_contacts(admin_user, client_for):
    org = make_organisation(admin_user)
    few = make_person(admin_user, contact_points=[{"kind": "email", "value": "one@x.es"}])
    many = make_person(
        admin_user,
        tags=["a", "b", "c"],
        contact_points=[{"kind": "email", "value": f"m{i}@x.es"} for i in range(8)],
    )
    relationship_add(actor=actor_for(admin_user), person=many, organisation=org)
    for i in range(30):
        party_update(actor=actor_for(admin_user), party=many, data={"notes": f"nota {i}"})
        interaction_log(
            actor=actor_for(admin_user),
            party=many,
            kind="note",
            occurred_at="2025-01-01T10:00:00Z",
            payload={"text": f"n{i}"},
        )
    assert ObjectChange.objects.filter(aggregate_id=many.pk).count() > 30
    client = client_for(admin_user)
    assert _queries(client, f"/customers/{few.pk}/") == _queries(client, f"/customers/{many.pk}/")


def test_spanish_interface(admin_user, client_for):
    client = client_for(admin_user)
    client.post("/accounts/language/", {"language": "es", "next": "/customers/"})
    html = client.get("/customers/").content.decode()
    assert '<html lang="es"' in html
    assert "Clientes" in html
