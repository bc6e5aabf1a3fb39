"""In Chromium: build a segment with the rule builder (add a condition, change its field, remove one), watch
the live count follow, save, and see the detail page with its members."""

from __future__ import annotations

import pytest

from clientela.accounts.models import Role
from clientela.segments.models import Segment
from clientela.segments.tests.helpers import log, person
from clientela.testing.browser import screenshot
from clientela.testing.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


def test_rule_builder(live_server, page, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = UserFactory(username="marta.admin", role=Role.objects.get(slug="administrator"))
    ana = person(admin, name="Ana", city="Madrid")
    person(admin, name="Luis", city="Madrid")
    person(admin, name="Eva", city="Sevilla")
    log(ana, "purchase", days_ago=5, amount="10")
    page.goto(f"{live_server.url}/segments/new/")
    page.get_by_label("Username").fill("marta.admin")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/segments/new/")
    page.get_by_label("Name", exact=True).fill("Compradores de Madrid")
    page.get_by_label("Value").first.fill("Madrid")
    page.locator("#preview").get_by_text("2 customers match.").wait_for()
    page.get_by_role("button", name="Add condition").click()
    rows = page.locator(".rule-row")
    rows.nth(1).wait_for()
    page.wait_for_timeout(300)  # htmx wires the new row once it has settled
    rows.nth(1).get_by_label("Field").select_option("interactions")
    rows.nth(1).get_by_label("Of kind").wait_for()
    rows.nth(1).get_by_label("Value").fill("1")
    rows.nth(1).get_by_label("Value").press("Tab")
    page.locator("#preview").get_by_text("1 customer matches.").wait_for()
    assert "Ana" in page.locator("#preview").inner_text()
    page.get_by_role("button", name="Add condition").click()
    rows.nth(2).wait_for()
    page.wait_for_timeout(300)
    rows.nth(2).get_by_role("button", name="Remove this condition").click()
    page.wait_for_function("document.querySelectorAll('.rule-row').length === 2")
    page.locator("#preview").get_by_text("1 customer matches.").wait_for()  # the preview follows the removal
    screenshot(page, "segments-editor")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/segments/*/")
    segment = Segment.objects.get()
    assert segment.member_count == 1
    assert "with exactly 1 purchase" in page.locator("main").inner_text()
    screenshot(page, "segments-detail")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/segments/{segment.pk}/edit/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "segments-editor-phone")
