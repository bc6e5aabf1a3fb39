"""End to end in Chromium: sign in, create a person with two emails and a local mobile, find them,
edit a field, see the change in the history, switch the interface to Spanish."""

from __future__ import annotations

import pytest

from clientela.accounts.models import Role
from clientela.parties.models import Party
from clientela.testing.browser import screenshot
from clientela.testing.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


def test_customer_journey(live_server, page):
    UserFactory(
        username="marta.admin",
        role=Role.objects.get(slug="administrator"),
        first_name="Marta",
        last_name="Admin",
    )
    page.goto(f"{live_server.url}/customers/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("marta.admin")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/customers/")

    page.get_by_role("link", name="New customer").first.click()
    page.get_by_label("Given names").fill("Inés")
    page.get_by_label("First family name").fill("Ibáñez")
    page.get_by_label("Second family name").fill("Soler")
    page.locator("#id_cp-0-value").fill("ines@trabajo.es")
    page.locator("#id_cp-1-value").fill("612 34 56 70")
    page.get_by_role("button", name="Add a contact point").click()
    page.locator("#id_cp-2-kind").select_option("email")
    page.locator("#id_cp-2-value").fill("ines@casa.es")
    screenshot(page, "e2e-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/customers/*/")
    assert page.get_by_role("heading", name="Inés Ibáñez Soler").is_visible()
    party = Party.objects.get(family_name_1="Ibáñez")
    assert sorted(party.contact_points.values_list("normalized", flat=True)) == [
        "+34612345670",
        "ines@casa.es",
        "ines@trabajo.es",
    ]

    search = page.locator("#global-search")
    search.fill("ibanez")
    search.press("Enter")
    page.wait_for_url("**/customers/?q=ibanez")
    page.get_by_role("link", name="Inés Ibáñez Soler").click()
    page.wait_for_url(f"**/customers/{party.pk}/")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Given names").fill("Inés María")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/customers/{party.pk}/")
    page.locator("#history-h").click()  # the history is folded under the timeline
    history = page.locator("#history-list")
    history.locator(".old", has_text="Inés").first.wait_for()  # loaded when the section opens
    assert history.locator(".new", has_text="Inés María").first.is_visible()
    screenshot(page, "e2e-detail-en")

    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Historial").is_visible()
    assert page.get_by_role("link", name="Clientes").first.is_visible()
    screenshot(page, "e2e-detail-es")
