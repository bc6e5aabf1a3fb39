"""End to end in Chromium: an administrator subscribes a receiver, sends a test event and reads its log."""

from __future__ import annotations

import pytest

from clientela.accounts.models import Role
from clientela.integrations.models import DeliveryStatus, WebhookDelivery
from clientela.testing.browser import screenshot
from clientela.testing.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


def test_webhook_journey(live_server, page, receiver):
    UserFactory(username="hook.admin", role=Role.objects.get(slug="administrator"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("hook.admin")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/integrations/webhooks/")
    screenshot(page, "webhooks-empty")
    page.get_by_role("link", name="New subscription").first.click()
    page.locator("#id_name").fill("ERP")
    page.get_by_label("Target URL").fill("http://erp.example.com/hooks")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("There is a problem").is_visible()
    screenshot(page, "webhook-form-error")
    page.get_by_label("Target URL").fill(receiver.url)
    page.get_by_label("party.deleted · A customer was moved to the recycle bin.").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/integrations/webhooks/*/")
    page.get_by_role("button", name="Send test event").click()
    page.wait_for_url("**/integrations/deliveries/*/")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert receiver.requests[0].headers["x-clientela-event"] == "webhook.test"
    page.reload()
    assert page.get_by_text("Succeeded").first.is_visible()
    screenshot(page, "webhook-delivery")
    page.goto(f"{live_server.url}/integrations/deliveries/")
    screenshot(page, "webhook-log")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "webhook-log-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
