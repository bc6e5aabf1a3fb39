"""Keyset pagination walks every row exactly once, in order, and rejects forged cursors."""

from __future__ import annotations

import pytest

from clientela.core.pagination import InvalidCursor, keyset_page
from clientela.parties.models import Party
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("ordering", "kinds"),
    [(("name_folded", "id"), ("str", "int")), (("-updated_at", "-id"), ("datetime", "int"))],
)
def test_walks_all_rows_once(admin_user, ordering, kinds):
    for i in range(23):
        make_person(
            admin_user, given_names=f"Persona {i % 5}", family_name_1="Ruiz"
        )  # duplicate names on purpose
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(Party.objects.all(), ordering=ordering, kinds=kinds, cursor=cursor, size=4)
        seen.extend(p.pk for p in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = list(Party.objects.order_by(*ordering).values_list("pk", flat=True))
    assert seen == expected


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", "WzFd", "WyJhIiwgImIiXQ"])
def test_bad_cursor_is_rejected(cursor):
    with pytest.raises(InvalidCursor):
        keyset_page(
            Party.objects.all(), ordering=("name_folded", "id"), kinds=("str", "int"), cursor=cursor, size=4
        )
