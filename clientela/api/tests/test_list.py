"""The party list: filters (the web list's FilterSet), cursor pages, sorting, limits and its query budget."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.api.schemas.parties import PartySort
from clientela.api.tests.conftest import field_errors
from clientela.parties.selectors import SORTS
from clientela.testing.factories import make_organisation, make_person

pytestmark = pytest.mark.django_db

URL = "/api/v1/parties"


def _walk(api, query: str) -> list[int]:
    ids: list[int] = []
    cursor = None
    for _ in range(100):
        page = api.get(f"{URL}?{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.content
        body = page.json()
        assert set(body) == {"items", "next_cursor"}
        ids.extend(p["id"] for p in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination never ended")


@pytest.mark.parametrize("sort", ["name", "-name", "-updated", "-created"])
def test_cursor_pages_walk_everything_once(admin_api, admin_user, sort):
    names = [
        "Ana",
        "ana",
        "Álvaro",
        "Beatriz",
        "Carmen",
        "Dolores",
        "Elena",
        "Fátima",
        "Gloria",
        "Helena",
        "Inés",
    ]
    expected = {make_person(admin_user, given_names=n, family_name_1="Sanz").pk for n in names}
    ids = _walk(admin_api, f"limit=3&sort={sort}")
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected


def test_name_sort_is_accent_and_case_insensitive(admin_api, admin_user):
    for name in ("Zoe", "Álvaro", "beatriz"):
        make_person(admin_user, given_names=name, family_name_1="", family_name_2="")
    names = [p["display_name"] for p in admin_api.get(f"{URL}?sort=name").json()["items"]]
    assert names == ["Álvaro", "beatriz", "Zoe"]
    names = [p["display_name"] for p in admin_api.get(f"{URL}?sort=-name").json()["items"]]
    assert names == ["Zoe", "beatriz", "Álvaro"]


def test_sort_values_match_the_selector():
    assert set(typing.get_args(PartySort)) == set(SORTS)


def test_filters_reuse_the_party_filterset(admin_api, admin_user, users, team_b):
    ana = make_person(
        admin_user,
        given_names="Ana",
        status="customer",
        tags=["VIP"],
        contact_points=[
            {"kind": "email", "value": "ana@ejemplo.es"},
            {"kind": "address", "street": "Calle Mayor 1", "city": "Sevilla"},
        ],
    )
    bea = make_person(
        admin_user, given_names="Beatriz", status="prospect", owner=users["sales_rep_b"].pk, team=team_b.pk
    )
    org = make_organisation(admin_user, legal_name="Talleres Ruiz S.L.")

    def ids(query: str) -> set[int]:
        response = admin_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["items"]}

    assert ids("kind=organisation") == {org.pk}
    assert ids("status=customer&status=prospect") == {ana.pk, bea.pk}
    assert ids("q=ana@ejemplo.es") == {ana.pk}
    assert ids("q=talleres") == {org.pk}
    assert ids("tag=vip") == {ana.pk}
    assert ids("city=sevilla") == {ana.pk}
    assert ids(f"owner={users['sales_rep_b'].pk}") == {bea.pk}
    assert ids(f"team={team_b.pk}") == {bea.pk}
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"created_after={tomorrow}") == set()
    assert ids(f"updated_before={tomorrow}") == {ana.pk, bea.pk, org.pk}


def test_list_items_carry_primary_contacts_owner_and_tags(admin_api, admin_user):
    make_person(
        admin_user,
        tags=["VIP"],
        contact_points=[
            {"kind": "email", "value": "ana@ejemplo.es"},
            {"kind": "email", "value": "ana@casa.es"},
            {"kind": "mobile", "value": "612345678"},
        ],
    )
    item = admin_api.get(URL).json()["items"][0]
    assert item["owner"]["username"] == admin_user.username
    assert item["tags"] == ["VIP"]
    assert sorted((c["kind"], c["value"]) for c in item["primary_contacts"]) == [
        ("email", "ana@ejemplo.es"),
        ("mobile", "612345678"),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ4Il0", "cursor"),  # valid base64 JSON, wrong shape
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("sort=price", "sort"),
        ("status=vip", "status.0"),
        ("kind=robot", "kind"),
        ("owner=abc", "owner"),
        ("owner=987654", "owner"),
        (f"owner={2**70}", "owner"),
        ("created_after=yesterday", "created_after"),
    ],
)
def test_bad_list_parameters_are_422_problems(admin_api, admin_user, query, field):
    make_person(admin_user)
    assert field in field_errors(admin_api.get(f"{URL}?{query}"))


def test_cursor_from_another_sort_is_a_problem_not_a_crash(admin_api, admin_user):
    for name in ("Ana", "Bea", "Carla"):
        make_person(admin_user, given_names=name)
    cursor = admin_api.get(f"{URL}?limit=1&sort=name").json()["next_cursor"]
    assert "cursor" in field_errors(admin_api.get(f"{URL}?limit=1&sort=-updated&cursor={cursor}"))


@pytest.mark.parametrize("role", ["administrator", "sales_rep"])
def test_list_query_count_does_not_grow_with_the_page(api_for, users, role):
    user = users[role]
    for i in range(60):
        make_person(
            user,
            given_names=f"Persona {i:02d}",
            team=user.teams.get().pk,
            tags=[f"t{i % 3}"],
            contact_points=[
                {"kind": "email", "value": f"p{i}@ejemplo.es"},
                {"kind": "mobile", "value": f"6123450{i:02d}"},
            ],
        )
    api = api_for(user)

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(f"{URL}?limit={limit}")
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        return len(ctx.captured_queries)

    count(5)  # warm caches (content types) so both runs are measured alike
    small, large = count(5), count(50)
    assert small == large
    assert large <= 6  # token, (teams), page, tags, primary contacts
