"""party_detail reads contact points and relationships as JSON inside the party query: what it builds
must equal what the ORM reads, field by field and type by type."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.parties.models import ContactPoint, Relationship
from clientela.parties.selectors import party_detail
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_contact_points_and_relationships_equal_the_orms(admin_user):
    person = make_person(
        admin_user,
        contact_points=[
            {"kind": "email", "value": "ana@example.es", "is_primary": True},
            {"kind": "mobile", "value": "+34 612 34 56 78"},
            {
                "kind": "address",
                "street": "Calle Mayor 1",
                "city": "Madrid",
                "postal_code": "28013",
                "country": "ES",
            },
        ],
    )
    org = make_organisation(admin_user)
    relationship_add(
        actor=actor_for(admin_user),
        person=person,
        organisation=org,
        data={"role": "CFO", "is_primary": True, "start_date": dt.date(2024, 3, 1)},
    )
    for party in (person, org):
        loaded = party_detail(user=admin_user, pk=party.pk)
        expected = {cp.pk: _fields(cp) for cp in ContactPoint.objects.filter(party=party, deleted_at=None)}
        assert {cp.pk: _fields(cp) for cp in loaded.live_contacts} == expected
        for cp in loaded.live_contacts:
            assert cp._state.adding is False and cp.party_id == party.pk
            assert isinstance(cp.created_at, dt.datetime) and cp.created_at.tzinfo is not None
            assert isinstance(cp.is_primary, bool)
        relationships = [*loaded.live_employments, *loaded.live_members]
        assert len(relationships) == 1
        (rel,) = relationships
        assert _fields(rel) == _fields(Relationship.objects.get(pk=rel.pk))
        assert rel.start_date == dt.date(2024, 3, 1) and rel.is_primary is True
        assert rel.person.display_name == person.display_name
        assert rel.organisation.display_name == org.display_name
    assert len(party_detail(user=admin_user, pk=person.pk).live_contacts) == 3
