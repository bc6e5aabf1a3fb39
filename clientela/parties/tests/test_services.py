"""Party services: validation, normalisation, primaries, history, concurrency, soft delete."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ObjectChange
from clientela.parties.models import ContactPoint, Party
from clientela.parties.services import (
    contact_point_add,
    party_create,
    party_delete,
    party_purge,
    party_restore,
    party_update,
    relationship_add,
)
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def test_create_person_normalises_contacts_and_logs(admin_user):
    party = make_person(
        admin_user,
        contact_points=[
            {"kind": "email", "value": "Ana.Garcia@Ejemplo.ES"},
            {"kind": "email", "value": "ana@personal.es", "label": "home"},
            {"kind": "mobile", "value": "612 34 56 78"},
        ],
        tax_id="12345678-z",
        country="ES",
        tags=["VIP", "vip", "Madrid"],
    )
    assert party.display_name == "Ana García López"
    assert party.name_folded == "ana garcia lopez"
    assert party.tax_id == "12345678Z"
    assert party.owner == admin_user
    cps = list(party.contact_points.order_by("id"))
    assert [cp.normalized for cp in cps] == ["ana.garcia@ejemplo.es", "ana@personal.es", "+34612345678"]
    assert [cp.is_primary for cp in cps] == [True, False, True]
    assert sorted(t.name for t in party.tags.all()) == ["Madrid", "VIP"]
    changes = ObjectChange.objects.filter(aggregate_id=party.pk, aggregate_type="parties.party")
    assert changes.filter(action="create").count() == 4
    assert changes.first().actor_user == admin_user


def test_invalid_input_reports_every_field_and_writes_nothing(admin_user):
    with pytest.raises(ValidationError) as info:
        party_create(
            actor=actor_for(admin_user),
            data={"kind": "person", "given_names": "x" * 200, "country": "XX", "birth_date": "not a date"},
            contact_points=[
                {"kind": "email", "value": "not-an-email"},
                {"kind": "mobile", "value": "12"},
                {"kind": "email", "value": "a@b.es", "is_primary": True},
                {"kind": "email", "value": "c@d.es", "is_primary": True},
            ],
        )
    errors = info.value.message_dict
    assert "given_names" in errors
    assert "country" in errors
    assert "birth_date" in errors
    assert "contact_points.0.value" in errors
    assert "contact_points.1.value" in errors
    assert "contact_points.2.is_primary" in errors and "contact_points.3.is_primary" in errors
    assert Party.all_objects.count() == 0
    assert ContactPoint.objects.count() == 0
    assert ObjectChange.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [({"kind": "person"}, "given_names"), ({"kind": "organisation", "legal_name": "  "}, "legal_name")],
)
def test_missing_name_is_reported_once_on_the_name_field(admin_user, data, field):
    with pytest.raises(ValidationError) as info:
        party_create(actor=actor_for(admin_user), data=data)
    assert list(info.value.message_dict) == [field]
    assert len(info.value.message_dict[field]) == 1


def test_update_records_old_and_new_values_and_checks_version(admin_user):
    party = make_person(admin_user)
    party = party_update(
        actor=actor_for(admin_user), party=party, data={"given_names": "Anabel"}, expected_version=1
    )
    assert party.version == 2
    assert party.display_name == "Anabel García López"
    row = ObjectChange.objects.get(action="update", field="given_names")
    assert (row.old_value, row.new_value) == ("Ana", "Anabel")
    with pytest.raises(ConcurrencyConflict):
        party_update(
            actor=actor_for(admin_user), party=party, data={"given_names": "Stale"}, expected_version=1
        )
    party.refresh_from_db()
    assert party.given_names == "Anabel"


def test_new_primary_demotes_old_one(admin_user):
    party = make_person(admin_user, contact_points=[{"kind": "email", "value": "a@x.es"}])
    contact_point_add(
        actor=actor_for(admin_user),
        party=party,
        data={"kind": "email", "value": "b@x.es", "is_primary": True},
    )
    primaries = list(party.contact_points.filter(is_primary=True).values_list("normalized", flat=True))
    assert primaries == ["b@x.es"]


def test_soft_delete_restore_and_purge(admin_user):
    party = make_person(admin_user, contact_points=[{"kind": "email", "value": "a@x.es"}])
    party_delete(actor=actor_for(admin_user), party=party)
    assert not Party.objects.filter(pk=party.pk).exists()
    assert Party.all_objects.filter(pk=party.pk).exists()
    party_restore(actor=actor_for(admin_user), party=party)
    assert Party.objects.get(pk=party.pk).contact_points.count() == 1
    party_delete(actor=actor_for(admin_user), party=party)
    assert party_purge(actor=actor_for(None), older_than_days=30) == 0
    Party.all_objects.filter(pk=party.pk).update(deleted_at="2000-01-01T00:00:00Z")
    assert party_purge(actor=actor_for(None), older_than_days=30) == 1
    assert not Party.all_objects.filter(pk=party.pk).exists()
    assert ObjectChange.objects.filter(aggregate_id=party.pk, action="purge").count() == 1


def test_sales_rep_cannot_change_other_reps_party(users):
    theirs = make_person(users["sales_rep_b"])
    with pytest.raises(NotPermitted):
        party_update(actor=actor_for(users["sales_rep"]), party=theirs, data={"given_names": "X"})
    with pytest.raises(ValidationError) as info:
        make_person(users["sales_rep"], owner=users["sales_rep_b"])
    assert "owner" in info.value.message_dict


def test_relationship_person_to_organisation(admin_user):
    person = make_person(admin_user)
    org = make_organisation(admin_user, tax_id="B12345674", country="ES")
    rel = relationship_add(
        actor=actor_for(admin_user), person=person, organisation=org, data={"role": "Directora"}
    )
    assert rel.role == "Directora"
    with pytest.raises(ValidationError):
        relationship_add(actor=actor_for(admin_user), person=org, organisation=person)
