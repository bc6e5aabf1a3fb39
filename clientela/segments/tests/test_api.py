"""The segments API: create, read, change (versions, ETag), delete, preview, members, history, fields;
bad rules are 422 problems naming each rule; lists keep a query budget independent of the page size."""

from __future__ import annotations

import json

import pytest

from clientela.segments import services
from clientela.segments.models import Segment
from clientela.segments.tests.helpers import person
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db

MADRID = {"all": [{"field": "city", "op": "eq", "value": "Madrid"}]}


def _json(client, method, url, body=None, **headers):
    return client.generic(
        method, url, json.dumps(body or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def admin_client(users, client_for):
    return client_for(users["administrator"])


def test_crud_versions_and_etag(users, admin_client):
    ana = person(users["administrator"], name="Ana", city="Madrid")
    response = _json(admin_client, "POST", "/api/v1/segments", {"name": "Madrid", "definition": MADRID})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rules_version"] == 1 and body["definition"] == MADRID
    assert body["definition_text"] == "Customers in Madrid"
    pk = body["id"]
    services.segment_evaluate(segment=Segment.objects.get(pk=pk))
    got = admin_client.get(f"/api/v1/segments/{pk}")
    assert got.status_code == 200 and got.json()["member_count"] == 1
    etag = got["ETag"]
    renamed = _json(
        admin_client, "PATCH", f"/api/v1/segments/{pk}", {"name": "Madrid capital"}, **{"If-Match": etag}
    )
    assert renamed.status_code == 200 and renamed.json()["rules_version"] == 1
    stale = _json(admin_client, "PATCH", f"/api/v1/segments/{pk}", {"name": "X"}, **{"If-Match": etag})
    assert stale.status_code == 412
    rules = {"any": [{"field": "city", "op": "in", "value": ["Madrid", "Toledo"]}]}
    changed = _json(admin_client, "PATCH", f"/api/v1/segments/{pk}", {"definition": rules})
    assert changed.json()["rules_version"] == 2
    assert changed.json()["definition_text"] == "Customers in Madrid or Toledo"
    versions = admin_client.get(f"/api/v1/segments/{pk}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    members = admin_client.get(f"/api/v1/segments/{pk}/members").json()
    assert [m["party"]["id"] for m in members["items"]] == [ana.pk]
    history = admin_client.get(f"/api/v1/segments/{pk}/history").json()
    assert history["items"][0]["change"] == "entered" and "in Madrid" in history["items"][0]["reason"]
    assert admin_client.get(f"/api/v1/parties?segment={pk}").json()["items"][0]["id"] == ana.pk
    assert _json(admin_client, "DELETE", f"/api/v1/segments/{pk}").status_code == 204
    assert admin_client.get(f"/api/v1/segments/{pk}").status_code == 404


def test_bad_rules_are_422_naming_each_rule(admin_client):
    response = _json(
        admin_client,
        "POST",
        "/api/v1/segments",
        {
            "name": "Mal",
            "definition": {
                "all": [
                    {"field": "shoe_size", "op": "eq", "value": 3},
                    {"field": "city", "op": "gte", "value": "Madrid"},
                    {"field": "r_score", "op": "gte", "value": "muchos"},
                ]
            },
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"definition.all.0.field", "definition.all.1.op", "definition.all.2.value"}
    assert "Unknown field 'shoe_size'" in fields["definition.all.0.field"]
    assert fields["definition.all.2.value"] == "Enter a number."
    assert not Segment.objects.exists()
    assert (
        _json(
            admin_client, "POST", "/api/v1/segments", {"name": "X", "definition": MADRID, "extra": 1}
        ).status_code
        == 422
    )
    assert _json(admin_client, "POST", "/api/v1/segments/preview", {"definition": "x"}).status_code == 422
    response = _json(admin_client, "POST", "/api/v1/segments/preview", {"definition": {"all": []}})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "definition.all"
    assert admin_client.get("/api/v1/segments?cursor=nonsense").status_code == 422


def test_preview_counts_only_visible_customers(users, client_for):
    person(users["sales_rep"], name="Mía", city="Madrid")
    person(users["sales_rep_b"], name="Ajena", city="Madrid")
    body = _json(
        client_for(users["sales_rep"]), "POST", "/api/v1/segments/preview", {"definition": MADRID}
    ).json()
    assert body["count"] == 1 and [p["display_name"] for p in body["items"]] == ["Mía García López"]
    body = _json(
        client_for(users["administrator"]), "POST", "/api/v1/segments/preview", {"definition": MADRID}
    ).json()
    assert body["count"] == 2 and body["capped"] is False


def test_fields_endpoint(admin_client):
    fields = {f["key"]: f for f in admin_client.get("/api/v1/segment-fields").json()}
    assert {"city", "interactions", "rfm_segment", "clv", "p_alive", "churn_risk", "tag"} <= set(fields)
    assert fields["interactions"]["params"] == ["kind", "days"]
    assert {"value": "purchase", "label": "Purchase"} in fields["interactions"]["kinds"]


def test_list_members_history_query_budget(users, admin_client, django_assert_max_num_queries):
    admin = users["administrator"]
    for i in range(3):
        person(admin, name=f"P{i}", city="Madrid")
    segment = services.segment_create(actor=actor_for(admin), data={"name": "M", "definition": MADRID})
    services.segment_evaluate(segment=segment)
    for i in range(5):
        services.segment_create(actor=actor_for(admin), data={"name": f"S{i}", "definition": MADRID})
    for url in (
        "/api/v1/segments",
        f"/api/v1/segments/{segment.pk}/members",
        f"/api/v1/segments/{segment.pk}/history",
    ):
        with django_assert_max_num_queries(8):
            response = admin_client.get(url + "?limit=200")
        assert response.status_code == 200
    for i in range(10):
        person(admin, name=f"Q{i}", city="Madrid")
        services.segment_create(actor=actor_for(admin), data={"name": f"T{i}", "definition": MADRID})
    services.segment_evaluate(segment=segment)
    for url in (
        "/api/v1/segments",
        f"/api/v1/segments/{segment.pk}/members",
        f"/api/v1/segments/{segment.pk}/history",
    ):
        with django_assert_max_num_queries(8):
            response = admin_client.get(url + "?limit=200")
        assert len(response.json()["items"]) >= 13
