"""A customer's ids in other systems: linking, refusing a second owner, search by id, the page, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.interactions.services import source_get_or_create
from clientela.parties.links import party_for_external_id, source_link_add, source_link_remove
from clientela.parties.models import SourceLink
from clientela.parties.search import party_index_rebuild, party_search
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    return source_get_or_create("erp", name="ERP Finanzas")


def test_link_is_idempotent_logged_and_exclusive(admin_user, erp):
    ana = make_person(admin_user, given_names="Ana")
    luis = make_person(admin_user, given_names="Luis")
    actor = actor_for(admin_user)
    first = source_link_add(actor=actor, party=ana, source=erp, external_id=" C-0042 ")
    again = source_link_add(actor=actor, party=ana, source=erp, external_id="C-0042")
    assert first.created and not again.created and first.link.pk == again.link.pk
    assert first.link.external_id == "C-0042"
    with pytest.raises(ValidationError) as info:
        source_link_add(actor=actor, party=luis, source=erp, external_id="C-0042")
    assert "external_id" in info.value.message_dict
    assert SourceLink.objects.count() == 1
    assert party_for_external_id(source=erp, external_id="C-0042") == ana
    change = ObjectChange.objects.get(aggregate_id=ana.pk, object_type__model="sourcelink")
    assert change.new_value == {"source": "erp", "external_id": "C-0042"}


@pytest.mark.parametrize("bad", ["", "   ", "x" * 201, 42])
def test_bad_external_id_is_refused(admin_user, erp, bad):
    party = make_person(admin_user)
    with pytest.raises(ValidationError):
        source_link_add(actor=actor_for(admin_user), party=party, source=erp, external_id=bad)
    assert not SourceLink.objects.exists()


def test_user_who_cannot_change_the_party_cannot_link(users, erp):
    party = make_person(users["sales_rep"])
    with pytest.raises(NotPermitted):
        source_link_add(actor=actor_for(users["sales_rep_b"]), party=party, source=erp, external_id="C-1")
    assert not SourceLink.objects.exists()


def test_search_finds_a_customer_by_any_sources_id_in_any_format(admin_user, erp):
    org = make_organisation(admin_user, legal_name="Talleres Ebro S.A.")
    other = make_person(admin_user, given_names="Marta")
    shop = source_get_or_create("shop")
    actor = actor_for(admin_user)
    source_link_add(actor=actor, party=org, source=erp, external_id="CLI-2024/0815")
    source_link_add(actor=actor, party=other, source=shop, external_id="88123")
    for typed in ("CLI-2024/0815", "cli 2024 0815", "cli20240815"):
        assert [p.pk for p, _ in party_search(user=admin_user, q=typed)][:1] == [org.pk], typed
    assert [p.pk for p, _ in party_search(user=admin_user, q="88123")] == [other.pk]
    party_index_rebuild()  # the bulk rebuild indexes the same ids
    assert [p.pk for p, _ in party_search(user=admin_user, q="CLI-2024-0815")][:1] == [org.pk]
    link = SourceLink.objects.get(external_id="88123")
    source_link_remove(actor=actor, link=link)
    assert party_search(user=admin_user, q="88123") == []


def test_customer_page_lists_ids_in_other_systems(admin_user, erp, client_for):
    party = make_person(admin_user, given_names="Ana")
    source_link_add(actor=actor_for(admin_user), party=party, source=erp, external_id="C-0042")
    html = client_for(admin_user).get(f"/customers/{party.pk}/").content.decode()
    assert "ERP Finanzas: <code>C-0042</code>" in html
