"""In Chromium: a visitor sends the public web form inside an iframe of another page, and the lead then shows
on the leads list, its page and the convert step, without sideways scrolling on a phone."""

from __future__ import annotations

import pytest

from clientela.accounts.models import Role
from clientela.sales.leads_webform import embed_snippets
from clientela.sales.models import Lead, Pipeline, Stage
from clientela.testing.browser import screenshot
from clientela.testing.factories import TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    from django.core.cache import cache

    settings.CLIENTELA_LEAD_FORM_MIN_SECONDS = 0
    cache.clear()


def _pipeline() -> None:
    """The seeded pipeline (a transactional test's flush may have emptied it)."""
    pipeline, _ = Pipeline.objects.get_or_create(name="New business", defaults={"is_default": True})
    Stage.objects.get_or_create(
        pipeline=pipeline, name="Qualification", defaults={"position": 0, "probability": 10}
    )


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_web_form_in_an_iframe_then_the_lead_pages(live_server, page, tmp_path):
    _pipeline()
    # the snippet the leads page offers, pasted into another site's page visited from a campaign link
    snippet = embed_snippets(
        f"{live_server.url}/sales/leads/form/", f"{live_server.url}/sales/leads/capture/"
    )
    host = tmp_path / "landing.html"
    host.write_text(f"<!doctype html><html><body><h1>Ejemplo</h1>{snippet['iframe']}</body></html>")
    page.goto(host.as_uri() + "?utm_source=landing&utm_campaign=primavera")
    frame = page.frame_locator("#clientela-lead-form")
    frame.get_by_label("Name", exact=True).fill("Lucía")
    frame.get_by_label("Email").fill("lucia@ejemplo.es")
    frame.get_by_label("Company").fill("Ejemplo S.L.")
    frame.get_by_label("I am interested in").fill("Plan Pro")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_text("We have received your message").wait_for()
    screenshot(page, "leads-webform-iframe")
    lead = Lead.objects.get()
    assert (lead.utm_source, lead.utm_campaign, lead.origin) == ("landing", "primavera", "web_form")
    assert lead.referrer.startswith("file://") and lead.referrer.endswith(
        "landing.html?utm_source=landing&utm_campaign=primavera"
    )

    UserFactory(
        username="marta", role=Role.objects.get(slug="administrator"), teams=[TeamFactory(name="Norte")]
    )
    page.goto(f"{live_server.url}/sales/leads/")
    page.get_by_label("Username").fill("marta")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sales/leads/")
    assert page.get_by_role("link", name="Lucía").is_visible()
    screenshot(page, "leads-list-desktop")
    page.get_by_role("link", name="Lucía").click()
    page.get_by_role("heading", name="Qualify").wait_for()
    screenshot(page, "leads-detail-desktop")
    page.get_by_label("Disqualified").check()
    page.get_by_role("button", name="Save qualification").click()
    page.get_by_text("There is a problem").wait_for()
    assert page.title().startswith("Error:")
    page.get_by_role("link", name="Convert").click()
    page.get_by_role("heading", name="Opportunity").wait_for()
    screenshot(page, "leads-convert-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (
        "/sales/leads/",
        f"/sales/leads/{lead.pk}/",
        f"/sales/leads/{lead.pk}/convert/",
        "/sales/leads/form/",
    ):
        page.goto(live_server.url + url)
        assert _no_sideways_scroll(page), url
    screenshot(page, "leads-webform-phone")
    page.goto(f"{live_server.url}/sales/leads/{lead.pk}/")
    screenshot(page, "leads-detail-phone")
