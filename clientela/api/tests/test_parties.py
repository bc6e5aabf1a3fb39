"""Parties over the API: CRUD, validation problems, scope (404/403), ETag/If-Match, history, restore."""

from __future__ import annotations

import pytest

from clientela.api.tests.conftest import field_errors
from clientela.core.models import ObjectChange
from clientela.parties.models import ContactPoint, Party
from clientela.testing.factories import make_organisation, make_person

pytestmark = pytest.mark.django_db

URL = "/api/v1/parties"
SPANISH_TOO_LONG = "Asegúrese de que este valor tenga menos de 150 caracteres (tiene 151)."


def _create_body(**extra):
    return {
        "kind": "person",
        "given_names": "Lucía",
        "family_name_1": "Martín",
        "family_name_2": "Ruiz",
        "country": "ES",
        "tags": ["VIP"],
        "contact_points": [
            {"kind": "email", "value": "Lucia.Martin@Ejemplo.ES"},
            {"kind": "mobile", "value": "612 34 56 78", "label": "personal"},
        ],
        **extra,
    }


def test_create_read_update_delete_restore(admin_api, admin_user):
    created = admin_api.post(URL, _create_body())
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body["id"]
    assert body["display_name"] == "Lucía Martín Ruiz"
    assert body["owner"]["username"] == admin_user.username
    assert body["tags"] == ["VIP"]
    assert {(c["kind"], c["normalized"], c["is_primary"]) for c in body["contact_points"]} == {
        ("email", "lucia.martin@ejemplo.es", True),
        ("mobile", "+34612345678", True),
    }
    assert created["ETag"] == f'W/"{pk}-1"'
    assert created["Location"].endswith(f"{URL}/{pk}")

    got = admin_api.get(f"{URL}/{pk}")
    assert got.status_code == 200
    assert got["ETag"] == created["ETag"]
    assert got.json()["version"] == 1

    email_id = next(c["id"] for c in body["contact_points"] if c["kind"] == "email")
    mobile_id = next(c["id"] for c in body["contact_points"] if c["kind"] == "mobile")
    patched = admin_api.patch(
        f"{URL}/{pk}",
        {
            "status": "customer",
            "contact_points": [
                {"id": email_id, "value": "lucia@nuevo.es"},
                {"id": mobile_id, "delete": True},
                {"kind": "website", "value": "ejemplo.es"},
            ],
        },
        headers={"If-Match": got["ETag"]},
    )
    assert patched.status_code == 200, patched.content
    data = patched.json()
    assert data["status"] == "customer"
    assert data["given_names"] == "Lucía"  # untouched fields stay
    assert {c["kind"]: c["normalized"] for c in data["contact_points"]} == {
        "email": "lucia@nuevo.es",
        "website": "ejemplo.es",
    }
    assert patched["ETag"] == f'W/"{pk}-{data["version"]}"' and data["version"] > 1

    assert admin_api.delete(f"{URL}/{pk}").status_code == 204
    assert admin_api.get(f"{URL}/{pk}").status_code == 404
    assert Party.all_objects.get(pk=pk).deleted_at is not None

    restored = admin_api.post(f"{URL}/{pk}/restore")
    assert restored.status_code == 200, restored.content
    assert restored.json()["id"] == pk
    assert admin_api.get(f"{URL}/{pk}").status_code == 200


def test_changes_record_the_api_source_and_token(api_for, admin_user):
    from clientela.accounts.models import ApiToken

    api = api_for(admin_user)
    pk = api.post(URL, _create_body()).json()["id"]
    token = ApiToken.objects.get(user=admin_user)
    change = ObjectChange.objects.get(
        aggregate_id=pk, object_id=pk, object_type__model="party", action="create"
    )
    assert change.source == "api"
    assert change.actor_user == admin_user
    assert change.actor_token_id == token.pk


def test_organisation_with_relationship_in_detail(admin_api, admin_user):
    org = make_organisation(admin_user)
    person = make_person(admin_user)
    rel = admin_api.post(
        "/api/v1/relationships", {"person": person.pk, "organisation": org.pk, "role": "CTO"}
    )
    assert rel.status_code == 201, rel.content
    org_detail = admin_api.get(f"{URL}/{org.pk}").json()
    person_detail = admin_api.get(f"{URL}/{person.pk}").json()
    for detail in (org_detail, person_detail):
        assert [(r["person"]["id"], r["organisation"]["id"], r["role"]) for r in detail["relationships"]] == [
            (person.pk, org.pk, "CTO")
        ]


@pytest.mark.parametrize(
    ("body", "expected_fields"),
    [
        ({"contact_points": [{"kind": "email", "value": "no-es-un-email"}]}, {"contact_points.0.value"}),
        (
            {"contact_points": [{"kind": "email", "value": "a@b.es"}, {"kind": "mobile", "value": "12"}]},
            {"contact_points.1.value"},
        ),
        ({"country": "XX"}, {"country"}),
        (
            {
                "contact_points": [
                    {"kind": "email", "value": "a@b.es", "is_primary": True},
                    {"kind": "email", "value": "c@d.es", "is_primary": True},
                ]
            },
            {"contact_points.0.is_primary", "contact_points.1.is_primary"},
        ),
        ({"given_names": "x" * 151}, {"given_names"}),
        ({"notes": "n" * 20001}, {"notes"}),
        ({"contact_points": [{"kind": "email", "value": "a" * 400 + "@b.es"}]}, {"contact_points.0.value"}),
        ({"given_names": 123}, {"given_names"}),
        ({"birth_date": "x"}, {"birth_date"}),
        ({"status": "vip"}, {"status"}),
        ({"contact_points": [{"kind": "pigeon", "value": "x"}]}, {"contact_points.0.kind"}),
        ({"contact_points": [{"value": "a@b.es"}]}, {"contact_points.0.kind"}),
        ({"colour": "blue"}, {"colour"}),
        ({"tags": "VIP"}, {"tags"}),
        ({"owner": 987654}, {"owner"}),
        ({"team": 987654}, {"team"}),
    ],
)
def test_invalid_create_is_422_with_paths_and_saves_nothing(admin_api, body, expected_fields):
    response = admin_api.post(URL, {**_create_body(contact_points=[]), **body})
    errors = field_errors(response)
    assert expected_fields <= set(errors), errors
    assert all(messages and all(m for m in messages) for messages in errors.values())
    problem = response.json()
    assert problem["status"] == 422 and problem["type"] and problem["title"] and problem["instance"] == URL
    assert Party.all_objects.count() == 0
    assert ContactPoint.objects.count() == 0
    assert ObjectChange.objects.count() == 0


def test_missing_kind_and_wrong_body_types(admin_api):
    errors = field_errors(admin_api.post(URL, {"given_names": "Ana"}))
    assert "kind" in errors
    errors = field_errors(admin_api.post(URL, {"kind": "person", "contact_points": {"kind": "email"}}))
    assert "contact_points" in errors
    errors = field_errors(admin_api.post(URL, ["not", "an", "object"]))
    assert errors
    bad_json = admin_api.client.post(
        URL, data="{", content_type="application/json", headers=admin_api.headers
    )
    assert bad_json.status_code == 400
    assert bad_json["Content-Type"].startswith("application/problem+json")
    assert Party.all_objects.count() == 0


def test_messages_follow_the_language_of_the_request_or_the_tokens_user(api_for, admin_user, users):
    too_long = _create_body(given_names="x" * 151)
    english = api_for(admin_user).post(URL, too_long)
    spanish = api_for(admin_user).post(URL, too_long, headers={"Accept-Language": "es"})
    assert field_errors(english)["given_names"] == [
        "Ensure this value has at most 150 characters (it has 151)."
    ]
    assert field_errors(spanish)["given_names"] == [SPANISH_TOO_LONG]
    user = users["manager"]
    user.language = "es"
    user.save(update_fields=["language"])
    assert field_errors(api_for(user).post(URL, too_long))["given_names"] == [SPANISH_TOO_LONG]


def test_invalid_update_changes_nothing(admin_api, admin_user):
    party = make_person(admin_user, contact_points=[{"kind": "email", "value": "ana@ejemplo.es"}])
    cp = party.contact_points.get()
    response = admin_api.patch(
        f"{URL}/{party.pk}",
        {
            "given_names": "Anabel",
            "contact_points": [{"id": cp.pk, "value": "roto"}, {"kind": "mobile", "value": "1"}],
        },
    )
    errors = field_errors(response)
    assert {"contact_points.0.value", "contact_points.1.value"} <= set(errors)
    party.refresh_from_db()
    cp.refresh_from_db()
    assert (party.given_names, party.version, cp.value) == ("Ana", 1, "ana@ejemplo.es")
    assert ContactPoint.objects.filter(party=party).count() == 1


def test_contact_point_of_another_party_cannot_be_patched_through_this_one(admin_api, admin_user):
    party = make_person(admin_user)
    other = make_person(admin_user, contact_points=[{"kind": "email", "value": "otro@ejemplo.es"}])
    foreign = other.contact_points.get()
    errors = field_errors(
        admin_api.patch(f"{URL}/{party.pk}", {"contact_points": [{"id": foreign.pk, "value": "x@y.es"}]})
    )
    assert "contact_points.0.id" in errors
    foreign.refresh_from_db()
    assert foreign.value == "otro@ejemplo.es"


def test_other_teams_party_is_404_for_a_sales_rep(api_for, users):
    hidden = make_person(
        users["sales_rep_b"], given_names="Zacarías", team=users["sales_rep_b"].teams.get().pk
    )
    api = api_for(users["sales_rep"])
    for response in (
        api.get(f"{URL}/{hidden.pk}"),
        api.patch(f"{URL}/{hidden.pk}", {"given_names": "Pirata"}),
        api.delete(f"{URL}/{hidden.pk}"),
        api.get(f"{URL}/{hidden.pk}/history"),
        api.post(f"{URL}/{hidden.pk}/restore"),
        api.get(f"{URL}/{hidden.pk}/contact-points"),
    ):
        assert response.status_code == 404
        assert "Zacar" not in response.content.decode()
    assert api.get(f"{URL}/{hidden.pk + 1000}").status_code == 404
    hidden.refresh_from_db()
    assert (hidden.given_names, hidden.version, hidden.deleted_at) == ("Zacarías", 1, None)
    assert [p["id"] for p in api.get(URL).json()["items"]] == []


def test_visible_but_not_changeable_is_403(api_for, users, admin_user):
    party = make_person(admin_user)
    api = api_for(users["read_only"])
    assert api.get(f"{URL}/{party.pk}").status_code == 200
    response = api.patch(f"{URL}/{party.pk}", {"given_names": "Cambiado"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert api.delete(f"{URL}/{party.pk}").status_code == 403
    assert api.post(URL, _create_body()).status_code == 403  # "add" scope none: may not create customers
    party.refresh_from_db()
    assert (party.given_names, party.version, party.deleted_at) == ("Ana", 1, None)


def test_sales_rep_cannot_hand_a_party_to_another_team(api_for, users, team_b):
    api = api_for(users["sales_rep"])
    created = api.post(URL, _create_body())
    assert created.status_code == 201
    pk = created.json()["id"]
    errors = field_errors(api.patch(f"{URL}/{pk}", {"owner": users["sales_rep_b"].pk, "team": team_b.pk}))
    assert "owner" in errors
    assert Party.objects.get(pk=pk).owner == users["sales_rep"]


def test_stale_if_match_is_412_and_changes_nothing(admin_api, admin_user):
    party = make_person(admin_user)
    first = admin_api.get(f"{URL}/{party.pk}")
    etag = first["ETag"]
    assert (
        admin_api.patch(
            f"{URL}/{party.pk}", {"given_names": "Ana María"}, headers={"If-Match": etag}
        ).status_code
        == 200
    )
    stale = admin_api.patch(f"{URL}/{party.pk}", {"given_names": "Anita"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale["Content-Type"].startswith("application/problem+json")
    assert admin_api.delete(f"{URL}/{party.pk}", headers={"If-Match": etag}).status_code == 412
    assert (
        admin_api.patch(f"{URL}/{party.pk}", {"given_names": "Anita"}, headers={"If-Match": "1"}).status_code
        == 412
    )
    other_record = admin_api.patch(
        f"{URL}/{party.pk}", {"given_names": "Anita"}, headers={"If-Match": 'W/"999999-2"'}
    )
    assert other_record.status_code == 412
    party.refresh_from_db()
    assert (party.given_names, party.version, party.deleted_at) == ("Ana María", 2, None)
    # A bare version number and the strong form of the tag are accepted too.
    ok = admin_api.patch(f"{URL}/{party.pk}", {"given_names": "Anita"}, headers={"If-Match": "2"})
    assert ok.status_code == 200 and ok.json()["version"] == 3
    assert admin_api.delete(f"{URL}/{party.pk}", headers={"If-Match": f'"{party.pk}-3"'}).status_code == 204


def test_history_shows_the_update_with_old_and_new_values(admin_api, admin_user):
    party = make_person(admin_user)
    admin_api.patch(f"{URL}/{party.pk}", {"family_name_1": "Gómez"})
    response = admin_api.get(f"{URL}/{party.pk}/history")
    assert response.status_code == 200
    items = response.json()["items"]
    update = next(i for i in items if i["action"] == "update" and i["field"] == "family_name_1")
    assert (update["old_value"], update["new_value"]) == ("García", "Gómez")
    assert update["source"] == "api"
    assert update["actor"]["username"] == admin_user.username
    assert update["object_type"] == "parties.party"
    assert items[-1]["action"] == "create"  # newest first
    first = admin_api.get(f"{URL}/{party.pk}/history?limit=1").json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = admin_api.get(f"{URL}/{party.pk}/history?limit=1&cursor={first['next_cursor']}").json()
    assert second["items"][0]["id"] != first["items"][0]["id"]


def test_restore_needs_delete_permission(api_for, users, admin_user):
    party = make_person(admin_user)
    admin = api_for(admin_user)
    assert admin.delete(f"{URL}/{party.pk}").status_code == 204
    response = api_for(users["support_agent"]).post(f"{URL}/{party.pk}/restore")
    assert response.status_code == 403
    assert Party.all_objects.get(pk=party.pk).deleted_at is not None


def test_bad_path_ids_are_problems_not_crashes(admin_api):
    assert admin_api.get(f"{URL}/abc").status_code == 422
    assert admin_api.get(f"{URL}/{2**70}").status_code == 422
    assert admin_api.get(f"{URL}/0").status_code == 404
