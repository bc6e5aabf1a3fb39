"""The global search over the API: what it finds, what matched, scope, limits and its query budget."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.api.tests.conftest import field_errors
from clientela.testing.factories import make_organisation, make_person

pytestmark = pytest.mark.django_db

URL = "/api/v1/search"


@pytest.fixture
def people(admin_user):
    jose = make_person(
        admin_user,
        given_names="José María",
        family_name_1="García",
        family_name_2="Ñúñez",
        contact_points=[
            {"kind": "email", "value": "jm.garcia@ejemplo.es"},
            {"kind": "mobile", "value": "612 34 56 78"},
            {"kind": "address", "street": "Calle Mayor 1", "city": "Sevilla"},
        ],
        tax_id="12345678Z",
        country="ES",
    )
    ana = make_person(admin_user, given_names="Ana", family_name_1="García", family_name_2="López")
    org = make_organisation(
        admin_user, legal_name="Industrias Álamo S.L.", trade_name="Álamo", tax_id="B12345674", country="ES"
    )
    return {"jose": jose, "ana": ana, "org": org}


def _search(api, q: str, **params):
    response = api.get(URL, data={"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_partial_name_finds_and_describes_the_customer(admin_api, people):
    items = _search(admin_api, "jose garc")
    assert items[0] == {
        "id": people["jose"].pk,
        "kind": "person",
        "display_name": "José María García Ñúñez",
        "match": "name",
        "tier": "prefix",
        "score": items[0]["score"],
        "subtitle": "jm.garcia@ejemplo.es · 612 34 56 78 · Sevilla",
    }
    assert _search(admin_api, "alamo")[0]["id"] == people["org"].pk


def test_exact_words_rank_first(admin_api, people):
    items = _search(admin_api, "garcia")
    assert {i["id"] for i in items[:2]} == {people["jose"].pk, people["ana"].pk}
    assert all(i["tier"] == "exact" for i in items[:2])
    assert items[0]["score"] >= items[1]["score"]


@pytest.mark.parametrize("q", ["garcia@ejem", "jm.garcia@", "JM.GARCIA@EJEMPLO.ES"])
def test_email_fragment(admin_api, people, q):
    items = _search(admin_api, q)
    assert [i["id"] for i in items] == [people["jose"].pk]
    assert items[0]["match"] == "email"


@pytest.mark.parametrize("q", ["+34 612 345 678", "0034612345678", "612-34-56-78"])
def test_phone_in_another_format(admin_api, people, q):
    items = _search(admin_api, q)
    assert items[0]["id"] == people["jose"].pk
    assert items[0]["match"] == "phone"


def test_tax_id(admin_api, people):
    items = _search(admin_api, "b-12345674")
    assert [i["id"] for i in items] == [people["org"].pk]
    assert items[0]["match"] == "tax_id"


@pytest.mark.parametrize("q", ["jsoe garcia", "garzia nunez", "indstrias alamo"])
def test_typos_are_forgiven(admin_api, people, q):
    items = _search(admin_api, q)
    assert items and items[0]["id"] in {people["jose"].pk, people["org"].pk}
    assert items[0]["tier"] == "fuzzy"


def test_hides_customers_the_user_may_not_see(api_for, users, team_b):
    hidden = make_person(users["sales_rep_b"], given_names="Zacarías", team=team_b.pk)
    rep = api_for(users["sales_rep"])
    response = rep.get(URL, data={"q": "zacarias"})
    assert response.status_code == 200 and response.json() == {"items": []}
    assert "Zacar" not in response.content.decode()
    assert [i["id"] for i in _search(api_for(users["manager"]), "zacarias")] == [hidden.pk]


def test_limit(admin_api, admin_user):
    for i in range(25):
        make_person(admin_user, given_names=f"Rosa{i:02d}", family_name_1="Sanz")
    assert len(_search(admin_api, "sanz")) == 20
    assert len(_search(admin_api, "sanz", limit=5)) == 5
    assert _search(admin_api, "zzzzqqq") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "ana", "limit": 0}, "limit"),
        ({"q": "ana", "limit": 21}, "limit"),
        ({"q": "ana", "limit": "many"}, "limit"),
    ],
)
def test_bad_parameters_are_422(admin_api, params, field):
    assert field in field_errors(admin_api.get(URL, data=params))


@pytest.mark.parametrize("role", ["administrator", "sales_rep"])
def test_query_count_does_not_grow_with_the_results(api_for, users, role):
    user = users[role]
    team = user.teams.get().pk
    for i in range(25):
        make_person(
            user,
            given_names=f"Rosa{i:02d}",
            family_name_1="Sanz",
            team=team,
            contact_points=[
                {"kind": "email", "value": f"rosa{i}@ejemplo.es"},
                {"kind": "mobile", "value": f"6123450{i:02d}"},
            ],
        )
    for i in range(3):
        make_person(user, given_names=f"Olga{i}", family_name_1="Pardo", team=team)
    api = api_for(user)

    def count(q: str, expected: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            items = _search(api, q)
        assert len(items) == expected
        return len(ctx.captured_queries)

    count("sanz", 20)  # warm the vocabulary cache
    count("pardo", 3)
    many, few = count("sanz", 20), count("pardo", 3)
    # a few queries per search stage, then one for the parties and one for their contacts; never per result
    assert many <= few <= 10
