"""The duplicate check over the API: ``matches`` on create and change, ``on_duplicate=reject``, check only."""

from __future__ import annotations

import pytest

from clientela.parties.models import Party
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db

URL = "/api/v1/parties"


@pytest.fixture
def jose(admin_user):
    return make_person(
        admin_user,
        given_names="José",
        family_name_1="Martínez",
        family_name_2="Ruiz",
        contact_points=[{"kind": "mobile", "value": "+34 655 111 222"}],
    )


def pepe(**extra) -> dict:
    return {
        "kind": "person",
        "given_names": "Pepe",
        "family_name_1": "Martinez",
        "contact_points": [{"kind": "mobile", "value": "655111222"}],
        **extra,
    }


def test_create_lists_likely_duplicates(admin_api, jose):
    created = admin_api.post(URL, pepe())
    assert created.status_code == 201, created.content
    matches = created.json()["matches"]
    assert [m["party_id"] for m in matches] == [jose.pk]
    assert matches[0]["display_name"] == jose.display_name and matches[0]["probability"] >= 0.9
    assert {"field", "level", "weight"} <= set(matches[0]["explanation"][0])
    unrelated = admin_api.post(
        URL, {"kind": "person", "given_names": "Zoe", "family_name_1": "Quintana", "contact_points": []}
    )
    assert unrelated.json()["matches"] == []


def test_reject_creates_nothing_and_answers_409_with_the_matches(admin_api, jose):
    before = Party.objects.count()
    response = admin_api.post(f"{URL}?on_duplicate=reject", pepe())
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "urn:clientela:problem:possible-duplicate"
    assert [m["party_id"] for m in body["matches"]] == [jose.pk]
    assert Party.objects.count() == before
    fresh = admin_api.post(f"{URL}?on_duplicate=reject", pepe(given_names="Zoe", contact_points=[]))
    assert fresh.status_code == 201


def test_an_unknown_on_duplicate_value_is_a_422(admin_api):
    assert admin_api.post(f"{URL}?on_duplicate=maybe", pepe()).status_code == 422


def test_check_without_saving(admin_api, jose):
    before = Party.objects.count()
    response = admin_api.post(f"{URL}/matches", pepe())
    assert response.status_code == 200
    assert [m["party_id"] for m in response.json()["matches"]] == [jose.pk]
    assert Party.objects.count() == before


def test_a_change_that_makes_a_customer_look_like_another_lists_it(admin_api, admin_user, jose):
    other = make_person(admin_user, given_names="Pepe", family_name_1="Martinez", family_name_2="")
    response = admin_api.patch(
        f"{URL}/{other.pk}", {"contact_points": [{"kind": "mobile", "value": "655111222"}]}
    )
    assert response.status_code == 200, response.content
    assert [m["party_id"] for m in response.json()["matches"]] == [jose.pk]


def test_matches_stay_within_what_the_caller_may_see(api_for, users, jose):
    assert api_for(users["sales_rep_b"]).post(f"{URL}/matches", pepe()).json()["matches"] == []
