"""In Chromium: the forecast page draws its four charts from the vendored Chart.js, the table view opens,
and the page does not scroll sideways on a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.accounts.models import Role
from clientela.sales.models import Pipeline, Stage
from clientela.sales.tests.forecast_helpers import opp
from clientela.testing.browser import screenshot
from clientela.testing.factories import TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]

STAGES = (("Qualification", 10), ("Needs analysis", 25), ("Proposal", 50), ("Negotiation", 75))


def _pipeline():
    """The seeded pipeline (a transactional test's flush may have emptied it)."""
    pipeline, _ = Pipeline.objects.get_or_create(name="New business", defaults={"is_default": True})
    for position, (name, probability) in enumerate(STAGES):
        Stage.objects.get_or_create(
            pipeline=pipeline, name=name, defaults={"position": position, "probability": probability}
        )
    Stage.objects.get_or_create(
        pipeline=pipeline, name="Won", defaults={"position": 4, "probability": 100, "is_won": True}
    )
    Stage.objects.get_or_create(pipeline=pipeline, name="Lost", defaults={"position": 5, "is_lost": True})


def test_forecast_page_draws_its_charts(live_server, page):
    _pipeline()
    user = UserFactory(
        username="ana.ventas", role=Role.objects.get(slug="manager"), teams=[TeamFactory(name="Norte")]
    )
    today = dt.date.today()
    for i, (amount, stage, category) in enumerate(
        (
            ("12000.00", "Proposal", "commit"),
            ("8000.00", "Negotiation", "best_case"),
            ("5000.00", "Qualification", "pipeline"),
            ("15000.00", "Needs analysis", "pipeline"),
        )
    ):
        opp(user, amount, stage, category=category, close=today + dt.timedelta(days=25 * i))
    page.emulate_media(reduced_motion="reduce")  # charts.js then draws without animation: stable screenshots
    page.goto(f"{live_server.url}/sales/forecast/")
    page.get_by_label("Username").fill("ana.ventas")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sales/forecast/")
    page.wait_for_function("document.querySelectorAll('canvas[data-chart-drawn]').length === 4")
    assert page.evaluate("typeof window.Chart") == "function"
    page.get_by_text("Show as table").first.click()
    assert page.get_by_role("cell", name="Commit").count() or page.locator("table").first.is_visible()
    screenshot(page, "forecast-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_function("document.querySelectorAll('canvas[data-chart-drawn]').length === 4")
    screenshot(page, "forecast-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
