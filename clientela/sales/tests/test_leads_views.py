"""Lead pages: list (filters, sort, pages, query count), new, detail with history, edit, qualify, convert."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.core.models import ObjectChange
from clientela.parties.models import Party
from clientela.sales.choices import LeadOrigin, LeadStatus
from clientela.sales.leads import lead_create, lead_update
from clientela.sales.models import Lead, Opportunity, Pipeline
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


def make_lead(user, origin=LeadOrigin.MANUAL, **data) -> Lead:
    fields = {"given_names": "Lucía", "family_names": "Martín", "email": "lucia@ejemplo.es", **data}
    return lead_create(actor=actor_for(user), data=fields, origin=origin, raw={"sent": fields})


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_filters_sorts_and_searches(admin_user, users, client_for):
    make_lead(admin_user, company="Alfa S.A.", utm_campaign="primavera", email="a@alfa.es")
    make_lead(users["sales_rep"], given_names="Bruno", company="Beta", email="bruno@beta.es")
    web = make_lead(
        None, origin=LeadOrigin.WEB_FORM, given_names="Carla", company="Gamma", email="c@gamma.es"
    )
    client = client_for(admin_user)
    html = client.get("/sales/leads/").content.decode()
    assert "Alfa S.A." in html and "Beta" in html and "Gamma" in html
    assert "Put the lead form on your website" in html  # the embed snippet for admins
    assert '<iframe id="clientela-lead-form"' not in html and "&lt;iframe" in html  # shown, escaped
    assert "Gamma" in client.get("/sales/leads/?origin=web_form").content.decode()
    assert "Alfa" not in client.get("/sales/leads/?origin=web_form").content.decode()
    assert "Alfa" in client.get("/sales/leads/?campaign=PRIMAVERA").content.decode()
    assert "Beta" not in client.get("/sales/leads/?campaign=primavera").content.decode()
    only_bruno = client.get("/sales/leads/?q=bruno").content.decode()
    assert "Beta" in only_bruno and "Alfa" not in only_bruno
    unassigned = client.get("/sales/leads/?unassigned=true").content.decode()
    assert "Gamma" in unassigned and "Alfa" not in unassigned and "Beta" not in unassigned
    by_owner = client.get(f"/sales/leads/?owner={users['sales_rep'].pk}").content.decode()
    assert "Beta" in by_owner and "Gamma" not in by_owner
    lead_qualify = Lead.objects.get(company="Beta")
    Lead.objects.filter(pk=lead_qualify.pk).update(status=LeadStatus.QUALIFIED, score=90)
    qualified = client.get("/sales/leads/?status=qualified").content.decode()
    assert "Beta" in qualified and "Alfa" not in qualified
    by_company = client.get("/sales/leads/?sort=company").content.decode()
    assert by_company.index("Alfa S.A.") < by_company.index("Beta") < by_company.index("Gamma")
    by_score = client.get("/sales/leads/?sort=-score").content.decode()
    assert by_score.index("Beta") < by_score.index("Alfa S.A.")
    assert web.owner_id is None


def test_list_pages_with_a_cursor(admin_user, client_for, settings):
    for n in range(7):
        make_lead(admin_user, company=f"Empresa {n:02d}", email=f"e{n}@x.es")
    settings.CLIENTELA_PAGE_SIZE = 5
    client = client_for(admin_user)
    first = client.get("/sales/leads/?sort=company")
    page = first.context["page"]
    assert [lead.company for lead in page.items] == [f"Empresa {n:02d}" for n in range(5)]
    second = client.get(
        f"/sales/leads/?sort=company&cursor={page.next_cursor}", headers={"HX-Request": "true"}
    )
    assert [lead.company for lead in second.context["page"].items] == ["Empresa 05", "Empresa 06"]
    assert client.get("/sales/leads/?cursor=nonsense").status_code == 302


def test_list_query_count_does_not_grow_with_page_size(admin_user, users, client_for, settings):
    for n in range(30):
        make_lead(users["sales_rep"] if n % 2 else admin_user, company=f"Empresa {n}", email=f"q{n}@x.es")
    client = client_for(admin_user)
    settings.CLIENTELA_PAGE_SIZE = 3
    small = _queries(client, "/sales/leads/")
    settings.CLIENTELA_PAGE_SIZE = 30
    large = _queries(client, "/sales/leads/")
    assert small == large
    assert large <= 12


def test_support_agent_has_no_lead_pages(users, client_for):
    assert client_for(users["support_agent"]).get("/sales/leads/").status_code == 403


def test_create_by_hand(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    response = client.post(
        "/sales/leads/new/",
        {
            "given_names": "Ana",
            "email": "ana@x.es",
            "phone": "612000111",
            "owner": rep.pk,
            "utm_campaign": "feria",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/leads/{lead.pk}/"
    assert lead.origin == LeadOrigin.MANUAL and lead.owner_id == rep.pk
    assert lead.team_id == rep.teams.get().pk  # the owner's team, so teammates see it
    assert lead.phone == "+34612000111" and lead.utm_campaign == "feria"


def test_create_shows_service_errors_next_to_fields(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post("/sales/leads/new/", {"email": "not-an-email", "phone": "12"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] and form.errors["phone"]
    empty = client.post("/sales/leads/new/", {})
    assert "Give at least a name, a company, an email or a phone." in empty.content.decode()
    assert Lead.objects.count() == 0


def test_detail_shows_fields_utm_raw_and_history(admin_user, client_for):
    lead = make_lead(
        admin_user,
        company="Ejemplo S.L.",
        interest="Plan Pro",
        utm_source="google",
        referrer="https://x.es/p",
    )
    client = client_for(admin_user)
    client.post(
        f"/sales/leads/{lead.pk}/qualify/", {"status": "working", "score": "40", "version": lead.version}
    )
    html = client.get(f"/sales/leads/{lead.pk}/").content.decode()
    for text in ("Lucía", "Ejemplo S.L.", "Plan Pro", "google", "https://x.es/p", "Submission as received"):
        assert text in html, text
    assert "History" in html and "Score" in html and "40" in html
    assert 'aria-current="step"' in html
    history = client.get(f"/sales/leads/{lead.pk}/history/")
    assert history.status_code == 200 and "Created" in history.content.decode()


def test_edit_saves_and_detects_conflicts(admin_user, client_for):
    lead = make_lead(admin_user)
    client = client_for(admin_user)
    form = client.get(f"/sales/leads/{lead.pk}/edit/")
    assert form.status_code == 200 and 'value="Lucía"' in form.content.decode()
    data = {"given_names": "Lucía", "family_names": "Martín", "email": "lucia@ejemplo.es", "company": "Nueva"}
    ok = client.post(f"/sales/leads/{lead.pk}/edit/", {**data, "version": lead.version})
    assert ok.status_code == 302
    lead.refresh_from_db()
    assert lead.company == "Nueva" and lead.version == 2
    stale = client.post(f"/sales/leads/{lead.pk}/edit/", {**data, "company": "Otra", "version": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert 'value="Otra"' in stale.content.decode()  # what the user typed is kept
    assert stale.context["form"]["version"].value() == "2"
    lead.refresh_from_db()
    assert lead.company == "Nueva"
    again = client.post(f"/sales/leads/{lead.pk}/edit/", {**data, "company": "Otra", "version": 2})
    assert again.status_code == 302  # the re-rendered form carries the current version
    lead.refresh_from_db()
    assert lead.company == "Otra"


def test_qualify_validations(admin_user, client_for):
    lead = make_lead(admin_user)
    client = client_for(admin_user)
    url = f"/sales/leads/{lead.pk}/qualify/"
    no_reason = client.post(url, {"status": "disqualified", "score": "10", "version": lead.version})
    assert no_reason.status_code == 200
    assert "Say why the lead is disqualified." in no_reason.content.decode()
    too_high = client.post(url, {"status": "qualified", "score": "150"})
    assert too_high.context["qualify"].errors["score"]
    converted = client.post(url, {"status": "converted"})
    assert converted.context["qualify"].errors["status"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW and lead.score is None and lead.version == 1
    ok = client.post(url, {"status": "disqualified", "score": "5", "qualification_reason": "Sin presupuesto"})
    assert ok.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.score, lead.qualification_reason) == ("disqualified", 5, "Sin presupuesto")
    fields = set(
        ObjectChange.objects.filter(
            aggregate_type="sales.lead", aggregate_id=lead.pk, action="update"
        ).values_list("field", flat=True)
    )
    assert fields == {"status", "score", "qualification_reason"}


def test_convert_shows_matches_and_attaches_to_the_chosen_customer(admin_user, client_for):
    existing = make_person(
        admin_user,
        given_names="Lucía",
        family_name_1="Martín",
        family_name_2="",
        contact_points=[{"kind": "email", "value": "lucia@ejemplo.es"}],
    )
    lead = make_lead(admin_user, interest="Plan Pro")
    client = client_for(admin_user)
    page = client.get(f"/sales/leads/{lead.pk}/convert/")
    assert page.status_code == 200
    matches = page.context["matches"]
    assert existing.pk in [m["party_id"] for m in matches]
    html = page.content.decode()
    assert existing.display_name in html and "Create a new customer" in html
    missing_choice = client.post(f"/sales/leads/{lead.pk}/convert/", {"with_opportunity": ""})
    assert missing_choice.status_code == 200 and missing_choice.context["form"].errors["customer"]
    parties = Party.objects.count()
    response = client.post(f"/sales/leads/{lead.pk}/convert/", {"customer": str(existing.pk)})
    assert response.status_code == 302 and response["Location"] == f"/customers/{existing.pk}/"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert lead.converted_party_id == existing.pk and lead.converted_opportunity_id is None
    assert Party.objects.count() == parties and Opportunity.objects.count() == 0
    detail = client.get(f"/sales/leads/{lead.pk}/").content.decode()
    assert f'href="/customers/{existing.pk}/"' in detail
    assert client.get(f"/sales/leads/{lead.pk}/convert/").status_code == 403  # converted leads are final


def test_convert_creates_a_customer_and_an_opportunity(admin_user, client_for):
    lead = make_lead(
        admin_user, email="nadie@nuevo.es", company="Nuevo S.L.", interest="Plan Pro", phone="612999888"
    )
    pipeline = Pipeline.objects.get(is_default=True)
    client = client_for(admin_user)
    page = client.get(f"/sales/leads/{lead.pk}/convert/")
    assert page.context["matches"] == []
    assert page.context["form"].initial["name"] == "Plan Pro"
    response = client.post(
        f"/sales/leads/{lead.pk}/convert/",
        {
            "customer": "new",
            "with_opportunity": "on",
            "name": "",
            "amount": "1500.50",
            "currency": "EUR",
            "expected_close_date": "2026-12-31",
            "pipeline": pipeline.pk,
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.converted_at is not None
    party = lead.converted_party
    opp = Opportunity.objects.get()
    assert lead.converted_opportunity_id == opp.pk
    assert opp.party_id == party.pk and opp.name == "Plan Pro" and opp.amount == Decimal("1500.50")
    assert opp.pipeline_id == pipeline.pk and str(opp.expected_close_date) == "2026-12-31"
    assert party.given_names == "Lucía" and party.status == "prospect"
    assert set(party.contact_points.values_list("kind", flat=True)) == {"email", "mobile"}
    assert response["Location"] in (f"/customers/{party.pk}/", f"/sales/opportunities/{opp.pk}/")
    detail = client.get(f"/sales/leads/{lead.pk}/").content.decode()
    assert f"/customers/{party.pk}/" in detail and f"#{opp.pk}" in detail


def test_convert_with_bad_opportunity_fields_changes_nothing(admin_user, client_for):
    lead = make_lead(admin_user, email="nadie@nuevo.es")
    parties = Party.objects.count()
    client = client_for(admin_user)
    response = client.post(
        f"/sales/leads/{lead.pk}/convert/",
        {"customer": "new", "with_opportunity": "on", "name": "Trato", "currency": "XXQ"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["currency"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert Party.objects.count() == parties and Opportunity.objects.count() == 0


def test_detail_query_count_does_not_grow_with_history(admin_user, client_for):
    few = make_lead(admin_user, email="few@x.es")
    many = make_lead(admin_user, email="many@x.es")
    for n in range(30):
        many = lead_update(actor=actor_for(admin_user), lead=many, data={"notes": f"nota {n}", "score": n})
    client = client_for(admin_user)
    assert _queries(client, f"/sales/leads/{few.pk}/") == _queries(client, f"/sales/leads/{many.pk}/")
    older = client.get(f"/sales/leads/{many.pk}/").context["history"].next_cursor
    assert older  # the history is paged; the rest loads on demand
    rest = client.get(f"/sales/leads/{many.pk}/history/?cursor={older}")
    assert rest.status_code == 200 and "nota" in rest.content.decode()
    assert client.get(f"/sales/leads/{many.pk}/history/?cursor=bad").status_code == 400


def test_convert_attaches_to_another_customer_found_by_search(users, client_for, team_b):
    rep = users["sales_rep"]
    mine = make_person(rep, given_names="Otra", family_name_1="Persona", family_name_2="")
    foreign = make_person(users["sales_rep_b"], given_names="Ajena", family_name_1="Sur", team=team_b.pk)
    lead = make_lead(rep, email="sin@coincidencias.es")
    client = client_for(rep)
    page = client.get(f"/sales/leads/{lead.pk}/convert/").content.decode()
    assert 'value="other"' in page and "/sales/customer-options/" in page
    url = f"/sales/leads/{lead.pk}/convert/"
    missing = client.post(url, {"customer": "other"})
    assert missing.context["form"].errors["other_party"]
    hidden = client.post(url, {"customer": "other", "other_party": foreign.pk})
    assert hidden.context["form"].errors["customer"]
    assert "Ajena" not in hidden.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    done = client.post(url, {"customer": "other", "other_party": mine.pk})
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_party_id == mine.pk
