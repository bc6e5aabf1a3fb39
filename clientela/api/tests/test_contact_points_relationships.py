"""Contact points and relationships: CRUD, validation paths, ETag/If-Match, scope."""

from __future__ import annotations

import pytest

from clientela.api.tests.conftest import field_errors
from clientela.parties.models import ContactPoint, Party, Relationship
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def test_contact_point_crud(admin_api, admin_user):
    party = make_person(admin_user, contact_points=[{"kind": "email", "value": "ana@ejemplo.es"}])
    url = f"/api/v1/parties/{party.pk}/contact-points"
    created = admin_api.post(
        url, {"kind": "email", "value": "Ana@Casa.ES", "label": "home", "is_primary": True}
    )
    assert created.status_code == 201, created.content
    cp = created.json()
    assert (cp["party_id"], cp["normalized"], cp["is_primary"]) == (party.pk, "ana@casa.es", True)
    assert created["ETag"] == f'W/"cp{cp["id"]}-1"'
    listed = admin_api.get(url).json()
    # The new primary demoted the old one; primaries come first.
    assert [(c["id"], c["is_primary"]) for c in listed] == [(cp["id"], True), (listed[1]["id"], False)]
    assert listed[1]["value"] == "ana@ejemplo.es"

    one = admin_api.get(f"/api/v1/contact-points/{cp['id']}")
    assert one.status_code == 200 and one["ETag"] == created["ETag"]
    patched = admin_api.patch(
        f"/api/v1/contact-points/{cp['id']}", {"label": "personal"}, headers={"If-Match": one["ETag"]}
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["label"] == "personal" and patched["ETag"] == f'W/"cp{cp["id"]}-2"'
    stale = admin_api.patch(
        f"/api/v1/contact-points/{cp['id']}", {"label": "work"}, headers={"If-Match": one["ETag"]}
    )
    assert stale.status_code == 412
    assert (
        admin_api.delete(f"/api/v1/contact-points/{cp['id']}", headers={"If-Match": one["ETag"]}).status_code
        == 412
    )
    assert ContactPoint.objects.get(pk=cp["id"]).label == "personal"
    assert (
        admin_api.delete(
            f"/api/v1/contact-points/{cp['id']}", headers={"If-Match": patched["ETag"]}
        ).status_code
        == 204
    )
    assert admin_api.get(f"/api/v1/contact-points/{cp['id']}").status_code == 404
    assert [c["value"] for c in admin_api.get(url).json()] == ["ana@ejemplo.es"]


def test_contact_point_validation_paths(admin_api, admin_user):
    party = make_person(admin_user)
    url = f"/api/v1/parties/{party.pk}/contact-points"
    assert "value" in field_errors(admin_api.post(url, {"kind": "email", "value": "roto"}))
    assert "value" in field_errors(admin_api.post(url, {"kind": "mobile", "value": "12"}))
    assert "country" in field_errors(
        admin_api.post(url, {"kind": "address", "city": "Lugo", "country": "QQ"})
    )
    assert "kind" in field_errors(admin_api.post(url, {"value": "a@b.es"}))
    assert "valid_from" in field_errors(
        admin_api.post(url, {"kind": "email", "value": "a@b.es", "valid_from": "ayer"})
    )
    assert ContactPoint.objects.count() == 0
    party.refresh_from_db()
    assert party.version == 1


def test_contact_points_follow_the_party_scope(api_for, users, admin_user):
    hidden = make_person(
        users["sales_rep_b"],
        team=users["sales_rep_b"].teams.get().pk,
        contact_points=[{"kind": "email", "value": "secreto@oculto.es"}],
    )
    visible = make_person(admin_user, contact_points=[{"kind": "email", "value": "visible@ejemplo.es"}])
    rep = api_for(users["sales_rep"])
    hidden_cp = hidden.contact_points.get()
    for response in (
        rep.get(f"/api/v1/contact-points/{hidden_cp.pk}"),
        rep.patch(f"/api/v1/contact-points/{hidden_cp.pk}", {"value": "x@y.es"}),
        rep.delete(f"/api/v1/contact-points/{hidden_cp.pk}"),
        rep.post(f"/api/v1/parties/{hidden.pk}/contact-points", {"kind": "email", "value": "x@y.es"}),
    ):
        assert response.status_code == 404
        assert "secreto" not in response.content.decode()
    reader = api_for(users["read_only"])
    visible_cp = visible.contact_points.get()
    assert reader.get(f"/api/v1/contact-points/{visible_cp.pk}").status_code == 200
    assert reader.patch(f"/api/v1/contact-points/{visible_cp.pk}", {"value": "x@y.es"}).status_code == 403
    assert reader.delete(f"/api/v1/contact-points/{visible_cp.pk}").status_code == 403
    assert (
        reader.post(
            f"/api/v1/parties/{visible.pk}/contact-points", {"kind": "email", "value": "x@y.es"}
        ).status_code
        == 403
    )
    assert ContactPoint.objects.filter(party__in=[hidden, visible], deleted_at__isnull=True).count() == 2
    assert set(ContactPoint.objects.values_list("value", flat=True)) == {
        "secreto@oculto.es",
        "visible@ejemplo.es",
    }


def test_relationship_crud_and_filters(admin_api, admin_user):
    org = make_organisation(admin_user)
    other_org = make_organisation(admin_user, legal_name="Otra S.A.")
    person = make_person(admin_user)
    created = admin_api.post(
        "/api/v1/relationships",
        {"person": person.pk, "organisation": org.pk, "role": "Directora", "start_date": "2020-01-15"},
    )
    assert created.status_code == 201, created.content
    rel = created.json()
    assert rel["person"] == {"id": person.pk, "kind": "person", "display_name": person.display_name}
    assert rel["organisation"]["id"] == org.pk and rel["start_date"] == "2020-01-15"
    assert created["ETag"] == f'W/"rel{rel["id"]}-1"'
    second = admin_api.post(
        "/api/v1/relationships", {"person": person.pk, "organisation": other_org.pk}
    ).json()

    def ids(query: str) -> list[int]:
        return [r["id"] for r in admin_api.get(f"/api/v1/relationships?{query}").json()["items"]]

    assert ids(f"person={person.pk}") == [rel["id"], second["id"]]
    assert ids(f"organisation={org.pk}") == [rel["id"]]
    first_page = admin_api.get("/api/v1/relationships?limit=1").json()
    assert first_page["next_cursor"]
    assert ids(f"limit=1&cursor={first_page['next_cursor']}") == [second["id"]]

    url = f"/api/v1/relationships/{rel['id']}"
    assert admin_api.get(url)["ETag"] == created["ETag"]
    patched = admin_api.patch(url, {"role": "CEO"}, headers={"If-Match": created["ETag"]})
    assert patched.status_code == 200 and patched.json()["role"] == "CEO"
    assert admin_api.patch(url, {"role": "CFO"}, headers={"If-Match": created["ETag"]}).status_code == 412
    assert "end_date" in field_errors(admin_api.patch(url, {"end_date": "2019-01-01"}))
    assert "person" in field_errors(admin_api.patch(url, {"person": other_org.pk}))
    assert Relationship.objects.get(pk=rel["id"]).role == "CEO"
    assert admin_api.delete(url, headers={"If-Match": created["ETag"]}).status_code == 412
    assert admin_api.delete(url).status_code == 204
    assert admin_api.get(url).status_code == 404


def test_relationship_validation(admin_api, admin_user):
    org = make_organisation(admin_user)
    person = make_person(admin_user)
    errors = field_errors(
        admin_api.post("/api/v1/relationships", {"person": org.pk, "organisation": person.pk})
    )
    assert {"person", "organisation"} <= set(errors)
    assert "organisation" in field_errors(
        admin_api.post("/api/v1/relationships", {"person": person.pk, "organisation": 987654})
    )
    assert "person" in field_errors(admin_api.post("/api/v1/relationships", {"organisation": org.pk}))
    assert "role" in field_errors(
        admin_api.post(
            "/api/v1/relationships", {"person": person.pk, "organisation": org.pk, "role": "x" * 151}
        )
    )
    assert Relationship.objects.count() == 0


def test_relationships_follow_the_persons_scope(api_for, users, admin_user):
    rep_b = users["sales_rep_b"]
    hidden_person = make_person(rep_b, given_names="Zacarías", team=rep_b.teams.get().pk)
    org = make_organisation(admin_user)
    rel = relationship_add(
        actor=actor_for(admin_user), person=hidden_person, organisation=org, data={"role": "Socio"}
    )
    rep = api_for(users["sales_rep"])
    assert rep.get(f"/api/v1/relationships/{rel.pk}").status_code == 404
    assert rep.patch(f"/api/v1/relationships/{rel.pk}", {"role": "x"}).status_code == 404
    assert rep.delete(f"/api/v1/relationships/{rel.pk}").status_code == 404
    listing = rep.get(f"/api/v1/relationships?organisation={org.pk}")
    assert listing.json()["items"] == [] and "Zacar" not in listing.content.decode()
    # A person the rep cannot see is an unknown reference, not a hint that it exists.
    assert "person" in field_errors(
        rep.post("/api/v1/relationships", {"person": hidden_person.pk, "organisation": org.pk})
    )
    reader = api_for(users["read_only"])
    visible = make_person(admin_user)
    assert (
        reader.post("/api/v1/relationships", {"person": visible.pk, "organisation": org.pk}).status_code
        == 403
    )
    assert Relationship.objects.count() == 1
    assert Party.objects.get(pk=hidden_person.pk).version == 2  # created, then linked by the admin
