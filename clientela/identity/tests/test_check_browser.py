"""In Chromium: typing a customer that already exists shows "this may be the same customer" before saving."""

from __future__ import annotations

import pytest

from clientela.accounts.models import Role
from clientela.testing.browser import screenshot
from clientela.testing.factories import UserFactory, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


def test_the_form_warns_about_a_likely_duplicate_while_typing(live_server, page):
    UserFactory(username="marta.admin", role=Role.objects.get(slug="administrator"))
    jose = make_person(
        given_names="José",
        family_name_1="Martínez",
        family_name_2="Ruiz",
        contact_points=[{"kind": "mobile", "value": "+34 655 111 222"}],
    )
    page.goto(f"{live_server.url}/accounts/login/?next=/customers/new/")
    page.get_by_label("Username").fill("marta.admin")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/customers/new/")
    panel = page.locator("#possible-duplicates")
    assert panel.inner_text().strip() == ""
    page.get_by_label("Given names").fill("Pepe")
    page.get_by_label("First family name").fill("Martinez")
    page.locator("#id_cp-1-value").fill("655 11 12 22")
    page.locator("#id_cp-1-value").press("Tab")  # "change" fires when the field is left
    panel.get_by_role("link", name=jose.display_name).wait_for()
    assert "This may be the same customer as" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    page.screenshot(path="var/screenshots/possible-duplicate-viewport.png")
    screenshot(page, "possible-duplicate-panel")
