"""The search_rebuild command makes customers loaded around the services searchable."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from clientela.core.search import Doc
from clientela.parties.search import PARTY_INDEX, party_search
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


def test_rebuild_restores_an_emptied_index(admin_user):
    party = make_person(admin_user, given_names="Eulalia")
    PARTY_INDEX.delete([party.pk])
    PARTY_INDEX.upsert([Doc(id=999_999, name="^nadie$")])
    assert party_search(user=admin_user, q="eulalia") == []
    out = io.StringIO()
    call_command("search_rebuild", stdout=out)
    assert "1 customers" in out.getvalue()
    assert [p.pk for p, _ in party_search(user=admin_user, q="eulalia")] == [party.pk]
