"""The public lead web form: capture with UTM and raw data, spam defences, no session or CSRF needed."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client

from clientela.core.models import ObjectChange
from clientela.sales import leads_webform
from clientela.sales.choices import LeadOrigin, LeadStatus
from clientela.sales.models import Lead

pytestmark = pytest.mark.django_db

FORM = "/sales/leads/form/"
CAPTURE = "/sales/leads/capture/"
VALID = {
    "given_names": "Lucía",
    "family_names": "Martín Pérez",
    "email": "Lucia.Martin@Ejemplo.ES",
    "phone": "612 345 678",
    "company": "Ejemplo S.L.",
    "job_title": "Gerente",
    "country": "ES",
    "interest": "Plan Pro",
    "notes": "Llamadme por la tarde.",
    "website": "",
}


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.CLIENTELA_LEAD_FORM_MIN_SECONDS = 0
    yield
    cache.clear()


def _client() -> Client:
    # a visitor from another website: no session, and CSRF checks enforced as in production
    return Client(enforce_csrf_checks=True)


def test_form_page_is_standalone_frameable_and_carries_utm_and_referrer():
    response = _client().get(
        FORM + "?utm_source=newsletter&utm_campaign=primavera",
        headers={"Referer": "https://www.ejemplo.es/precios"},
    )
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # embeddable in an iframe on any site
    html = response.content.decode()
    assert 'action="/sales/leads/capture/"' in html
    assert 'value="newsletter"' in html and 'value="primavera"' in html
    assert 'value="https://www.ejemplo.es/precios"' in html
    assert 'name="website"' in html and 'name="ts"' in html
    assert "csrfmiddlewaretoken" not in html
    assert "sidebar" not in html  # no site chrome
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    # the rest of the site still refuses to be framed
    assert Client().get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_valid_submission_creates_a_web_form_lead_with_utm_and_raw_data():
    response = _client().post(
        CAPTURE + "?utm_medium=email&utm_term=crm",
        {**VALID, "utm_source": "newsletter", "utm_campaign": "primavera"},
        headers={"Referer": "https://www.ejemplo.es/contacto"},
    )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert "X-Frame-Options" not in response  # the thank-you page shows inside the iframe
    assert not response.cookies  # no session, no CSRF cookie: nothing to track the visitor with
    lead = Lead.objects.get()
    assert lead.origin == LeadOrigin.WEB_FORM and lead.status == LeadStatus.NEW
    assert lead.email == "Lucia.Martin@ejemplo.es"  # the domain normalised, the local part kept
    assert lead.phone == "+34612345678"
    assert (lead.given_names, lead.company, lead.interest) == ("Lucía", "Ejemplo S.L.", "Plan Pro")
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign, lead.utm_term) == (
        "newsletter",
        "email",
        "primavera",
        "crm",
    )
    assert lead.referrer == "https://www.ejemplo.es/contacto"
    assert lead.owner_id is None and lead.created_by_id is None
    assert lead.raw["email"] == "Lucia.Martin@Ejemplo.ES"  # as typed, before normalising
    assert lead.raw["utm_medium"] == "email" and lead.raw["notes"] == "Llamadme por la tarde."
    change = ObjectChange.objects.get(aggregate_type="sales.lead", aggregate_id=lead.pk)
    assert change.actor_label == "web form" and change.actor_user_id is None


def test_json_submission_gets_json_answers_and_cors():
    client = _client()
    ok = client.post(CAPTURE, VALID, headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.json() == {"status": "received"}
    assert ok["Access-Control-Allow-Origin"] == "*"
    bad = client.post(CAPTURE, {**VALID, "email": "no-es-un-correo"}, headers={"Accept": "application/json"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["email"]
    assert Lead.objects.count() == 1


def test_filled_honeypot_is_accepted_silently_but_stores_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger="clientela.sales.webform"):
        response = _client().post(CAPTURE, {**VALID, "website": "http://spam.example"})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert Lead.objects.count() == 0
    assert ObjectChange.objects.count() == 0
    assert any("honeypot" in r.getMessage() and "1 so far" in r.getMessage() for r in caplog.records)


def test_invalid_email_re_renders_the_form_with_the_error_and_stores_nothing():
    response = _client().post(CAPTURE + "?utm_source=ads", {**VALID, "email": "lucia@"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'id="err-email"' in html
    assert 'value="Ejemplo S.L."' in html  # what was typed is kept
    assert Lead.objects.count() == 0


def test_email_is_required():
    response = _client().post(CAPTURE, {**VALID, "email": ""})
    assert "This field is required." in response.content.decode()
    assert Lead.objects.count() == 0


def test_rate_limit_per_ip_answers_429_and_stores_nothing(settings):
    settings.CLIENTELA_LEAD_FORM_RATE = {"per_ip": 3, "ip_window": 600, "global": 100, "global_window": 60}
    client = _client()
    for n in range(3):
        assert client.post(CAPTURE, {**VALID, "email": f"p{n}@ejemplo.es"}).status_code == 200
    response = client.post(CAPTURE, {**VALID, "email": "p9@ejemplo.es"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many submissions" in response.content.decode()
    assert Lead.objects.count() == 3
    as_json = client.post(CAPTURE, VALID, headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and "retry_after" in as_json.json()
    # another address still gets through
    other = client.post(CAPTURE, {**VALID, "email": "otra@ejemplo.es"}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200
    assert Lead.objects.count() == 4


def test_global_cap_applies_across_addresses(settings):
    settings.CLIENTELA_LEAD_FORM_RATE = {"per_ip": 100, "ip_window": 600, "global": 2, "global_window": 60}
    client = _client()
    statuses = [
        client.post(CAPTURE, {**VALID, "email": f"g{n}@ejemplo.es"}, REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
    assert Lead.objects.count() == 2


def test_proxy_header_names_the_client_when_configured(settings):
    settings.CLIENTELA_LEAD_FORM_RATE = {"per_ip": 1, "ip_window": 600, "global": 100, "global_window": 60}
    settings.CLIENTELA_LEAD_FORM_IP_HEADER = "X-Forwarded-For"
    client = _client()
    first = client.post(CAPTURE, VALID, headers={"X-Forwarded-For": "spoofed, 203.0.113.5"})
    second = client.post(CAPTURE, VALID, headers={"X-Forwarded-For": "other, 203.0.113.6"})
    third = client.post(CAPTURE, VALID, headers={"X-Forwarded-For": "again, 203.0.113.5"})
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)


def test_a_form_sent_back_too_fast_is_asked_again(settings):
    settings.CLIENTELA_LEAD_FORM_MIN_SECONDS = 60
    stamp = leads_webform.new_stamp()
    response = _client().post(CAPTURE, {**VALID, "ts": stamp})
    assert response.status_code == 200
    assert "send the form again" in response.content.decode()
    assert Lead.objects.count() == 0
    forged = _client().post(CAPTURE, {**VALID, "ts": "123:forged"})
    assert "send the form again" in forged.content.decode()
    assert Lead.objects.count() == 0


def test_a_stamp_older_than_the_minimum_is_accepted(settings, monkeypatch):
    settings.CLIENTELA_LEAD_FORM_MIN_SECONDS = 5
    stamp = leads_webform.new_stamp()
    real = leads_webform.time.time
    monkeypatch.setattr(leads_webform.time, "time", lambda: real() + 10)
    assert _client().post(CAPTURE, {**VALID, "ts": stamp}).status_code == 200
    assert Lead.objects.count() == 1


def test_next_redirects_only_to_configured_hosts(settings):
    settings.CLIENTELA_LEAD_FORM_REDIRECT_HOSTS = ["www.ejemplo.es"]
    client = _client()
    ok = client.post(CAPTURE, {**VALID, "next": "https://www.ejemplo.es/gracias"})
    assert ok.status_code == 302 and ok["Location"] == "https://www.ejemplo.es/gracias"
    evil = client.post(CAPTURE, {**VALID, "email": "b@ejemplo.es", "next": "https://evil.example/phish"})
    assert evil.status_code == 200 and "Thank you" in evil.content.decode()
    relative = client.post(CAPTURE, {**VALID, "email": "c@ejemplo.es", "next": "//evil.example/x"})
    assert relative.status_code == 200
    assert Lead.objects.count() == 3


def test_capture_only_accepts_post():
    assert _client().get(CAPTURE).status_code == 405


def test_raw_submission_is_capped():
    big = {f"extra{n}": "x" * 5000 for n in range(80)}
    response = _client().post(CAPTURE, {**VALID, **big})
    assert response.status_code == 200
    raw = Lead.objects.get().raw
    assert len(raw) <= 55
    assert all(len(v) <= 2000 for v in raw.values() if isinstance(v, str))


def test_our_own_form_page_is_not_taken_for_the_referring_page():
    _client().post(CAPTURE, VALID, headers={"Referer": "http://testserver/sales/leads/form/?utm_source=x"})
    assert Lead.objects.get().referrer == ""
