"""The leads API: create, list (filters, cursor pages), read, change with If-Match, convert (409, 422)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.accounts.services import api_token_create
from clientela.api.tests.conftest import ApiClient, field_errors
from clientela.parties.models import Party
from clientela.sales.choices import LeadOrigin, LeadStatus
from clientela.sales.leads import lead_create
from clientela.sales.models import Lead, Opportunity, Pipeline
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(db):
    """``api_for(user)``: an API client with a fresh token of ``user`` (as in clientela/api/tests)."""

    def make(user) -> ApiClient:
        _token, secret = api_token_create(user=user, name="tests")
        return ApiClient(secret)

    return make


@pytest.fixture
def admin_api(api_for, admin_user) -> ApiClient:
    return api_for(admin_user)


def make_lead(user, **data) -> Lead:
    fields = {"given_names": "Lucía", "family_names": "Martín", "email": "lucia@ejemplo.es", **data}
    return lead_create(actor=actor_for(user), data=fields, origin=LeadOrigin.MANUAL)


def test_create_returns_201_with_location_etag_and_raw(admin_api, admin_user):
    body = {"given_names": "Ana", "email": "ana@x.es", "phone": "+34 612 000 111", "utm_campaign": "feria"}
    response = admin_api.post("/api/v1/leads", body)
    assert response.status_code == 201, response.content
    data = response.json()
    lead = Lead.objects.get()
    assert response["Location"].endswith(f"/api/v1/leads/{lead.pk}")
    assert response["ETag"] == f'W/"lead{lead.pk}-1"'
    assert data["origin"] == "api" and data["status"] == "new"
    assert data["phone"] == "+34612000111" and data["utm_campaign"] == "feria"
    assert data["owner"]["id"] == admin_user.pk
    assert data["raw"] == body


def test_create_422_names_the_fields(admin_api):
    bad = admin_api.post("/api/v1/leads", {"email": "nope", "phone": "1", "country": "Spain"})
    assert {"email", "phone", "country"} <= set(field_errors(bad))
    assert "color" in field_errors(admin_api.post("/api/v1/leads", {"email": "a@x.es", "color": "red"}))
    empty = field_errors(admin_api.post("/api/v1/leads", {}))
    assert None in empty
    unknown_owner = field_errors(admin_api.post("/api/v1/leads", {"email": "a@x.es", "owner": 999999}))
    assert "owner" in unknown_owner
    assert Lead.objects.count() == 0


def test_list_filters_and_cursor_pages(admin_api, admin_user, users):
    for n in range(5):
        make_lead(
            admin_user, company=f"Empresa {n}", email=f"e{n}@x.es", utm_campaign="feria" if n < 2 else ""
        )
    web = lead_create(
        actor=actor_for(None), data={"email": "web@x.es", "company": "Web"}, origin=LeadOrigin.WEB_FORM
    )
    page = admin_api.get("/api/v1/leads?limit=4&sort=company").json()
    assert [i["company"] for i in page["items"]] == ["Empresa 0", "Empresa 1", "Empresa 2", "Empresa 3"]
    rest = admin_api.get(f"/api/v1/leads?limit=4&sort=company&cursor={page['next_cursor']}").json()
    assert [i["company"] for i in rest["items"]] == ["Empresa 4", "Web"] and rest["next_cursor"] is None
    assert [i["id"] for i in admin_api.get("/api/v1/leads?origin=web_form").json()["items"]] == [web.pk]
    assert len(admin_api.get("/api/v1/leads?campaign=FERIA").json()["items"]) == 2
    assert [i["id"] for i in admin_api.get("/api/v1/leads?unassigned=true").json()["items"]] == [web.pk]
    assert len(admin_api.get("/api/v1/leads?q=empresa 3").json()["items"]) == 1
    assert len(admin_api.get("/api/v1/leads?status=new&status=working").json()["items"]) == 6
    assert "status.0" in field_errors(admin_api.get("/api/v1/leads?status=nonsense"))
    assert "cursor" in field_errors(admin_api.get("/api/v1/leads?cursor=zzz"))


def test_patch_qualifies_with_if_match(admin_api, admin_user):
    lead = make_lead(admin_user)
    url = f"/api/v1/leads/{lead.pk}"
    got = admin_api.get(url)
    etag = got["ETag"]
    ok = admin_api.patch(url, {"status": "qualified", "score": 80}, headers={"If-Match": etag})
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "qualified" and ok.json()["score"] == 80 and ok.json()["version"] == 2
    stale = admin_api.patch(url, {"company": "Tarde"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["type"] == "urn:clientela:problem:stale-version"
    by_version = admin_api.patch(url, {"company": "Ahora"}, headers={"If-Match": "2"})
    assert by_version.status_code == 200 and by_version.json()["company"] == "Ahora"
    lead.refresh_from_db()
    assert lead.company == "Ahora" and lead.version == 3


def test_patch_validation_paths(admin_api, admin_user):
    lead = make_lead(admin_user)
    url = f"/api/v1/leads/{lead.pk}"
    assert "qualification_reason" in field_errors(admin_api.patch(url, {"status": "disqualified"}))
    assert "score" in field_errors(admin_api.patch(url, {"score": 101}))
    assert "status" in field_errors(admin_api.patch(url, {"status": "converted"}))
    assert "status" in field_errors(admin_api.patch(url, {"status": "maybe"}))
    assert "email" in field_errors(admin_api.patch(url, {"email": "nope"}))
    lead.refresh_from_db()
    assert lead.version == 1 and lead.status == LeadStatus.NEW


def test_convert_409_when_matches_then_attach(admin_api, admin_user):
    existing = make_person(
        admin_user,
        given_names="Lucía",
        family_name_1="Martín",
        family_name_2="",
        contact_points=[{"kind": "email", "value": "lucia@ejemplo.es"}],
    )
    lead = make_lead(admin_user, interest="Plan Pro")
    url = f"/api/v1/leads/{lead.pk}/convert"
    conflict = admin_api.post(url, {})
    assert conflict.status_code == 409
    assert conflict["Content-Type"].startswith("application/problem+json")
    problem = conflict.json()
    assert problem["type"] == "urn:clientela:problem:possible-duplicate"
    assert existing.pk in [m["party_id"] for m in problem["matches"]]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    both = field_errors(admin_api.post(url, {"party_id": existing.pk, "create_party": True}))
    assert "create_party" in both
    unknown = field_errors(admin_api.post(url, {"party_id": 987654}))
    assert "party_id" in unknown
    done = admin_api.post(url, {"party_id": existing.pk})
    assert done.status_code == 200, done.content
    data = done.json()
    assert data["party"]["id"] == existing.pk and data["opportunity"] is None
    assert data["lead"]["status"] == "converted" and data["lead"]["converted_party"]["id"] == existing.pk
    again = admin_api.post(url, {"create_party": True})
    assert again.status_code == 403


def test_convert_creates_customer_and_opportunity(admin_api, admin_user):
    lead = make_lead(admin_user, email="nuevo@nadie.es", interest="Plan Pro")
    pipeline = Pipeline.objects.get(is_default=True)
    response = admin_api.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"create_party": True, "opportunity": {"amount": "2500.00", "expected_close_date": "2026-12-31"}},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    opp = Opportunity.objects.get()
    assert data["opportunity"]["id"] == opp.pk and data["opportunity"]["name"] == "Plan Pro"
    assert opp.party_id == data["party"]["id"] and opp.pipeline_id == pipeline.pk
    lead.refresh_from_db()
    assert (lead.converted_party_id, lead.converted_opportunity_id) == (opp.party_id, opp.pk)


def test_convert_422_names_opportunity_fields_and_writes_nothing(admin_api, admin_user):
    lead = make_lead(admin_user, email="nuevo@nadie.es")
    parties = Party.objects.count()
    url = f"/api/v1/leads/{lead.pk}/convert"
    errors = field_errors(
        admin_api.post(url, {"create_party": True, "opportunity": {"currency": "ZZZ", "stage": 999}})
    )
    assert "opportunity.currency" in errors and "opportunity.stage" in errors
    typed = field_errors(
        admin_api.post(url, {"create_party": True, "opportunity": {"amount": -5, "colour": 1}})
    )
    assert "opportunity.amount" in typed and "opportunity.colour" in typed
    assert Party.objects.count() == parties and Opportunity.objects.count() == 0
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_unknown_lead_is_404_problem(admin_api):
    response = admin_api.get("/api/v1/leads/424242")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_list_query_count_does_not_grow_with_the_page(admin_api, admin_user, users):
    for n in range(25):
        make_lead(users["sales_rep"] if n % 2 else admin_user, company=f"E{n}", email=f"c{n}@x.es")
    admin_api.get(
        "/api/v1/leads?limit=1"
    )  # the token's first use writes its last-used time (then at most once a minute)
    counts = []
    for limit in (3, 25):
        with CaptureQueriesContext(connection) as ctx:
            assert len(admin_api.get(f"/api/v1/leads?limit={limit}").json()["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
