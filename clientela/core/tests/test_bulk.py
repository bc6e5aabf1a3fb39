"""The bulk writer's contract with its callers: errors they can catch, instances like the model makes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from clientela.core.bulk import TableWriter, new_instance
from clientela.parties.models import ContactPoint, Party, Tag


@pytest.mark.django_db(transaction=True)
def test_a_refused_insert_raises_djangos_error_and_writes_nothing():
    Tag.objects.create(key="vip", name="VIP")
    writer = TableWriter(Tag, ("key", "name"))
    # callers (the import's bulk path) catch django.db.DatabaseError to redo a chunk row by row
    with pytest.raises(IntegrityError), transaction.atomic():
        writer.insert([("new", "New"), ("vip", "Twice")], returning=True)
    assert list(Tag.objects.values_list("key", flat=True)) == ["vip"]


def test_new_instance_is_what_the_model_would_make():
    for model, values in (
        (Party, {"kind": "person", "country": "ES", "given_names": "Ana", "owner_id": 3}),
        (ContactPoint, {"kind": "email", "value": "ana@example.es", "source": "erp", "label": "work"}),
    ):
        fast, slow = new_instance(model, **values), model(**values)
        assert {k: v for k, v in vars(fast).items() if k != "_state"} == {
            k: v for k, v in vars(slow).items() if k != "_state"
        }
        assert (fast._state.adding, fast._state.db) == (True, None)
        assert fast.pk is None


def test_new_instance_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="given_name"):
        new_instance(Party, given_name="Ana")
