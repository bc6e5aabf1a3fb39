"""In Chromium, on demo data: every dashboard tile loads, every chart is drawn by the vendored Chart.js onto a
non-blank canvas, the Chart | Table toggle shows the table, and a full-page screenshot is kept under
var/screenshots/ for a human to look at."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from clientela.accounts.models import Role
from clientela.analytics.tests.dashboard_data import synthesise_scores
from clientela.analytics.views_dashboard import DASHBOARD_TILES
from clientela.testing.browser import screenshot
from clientela.testing.factories import TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]

# How many canvas pixels are not background: a drawn chart has axes, labels and marks.
INK = """(canvas) => {
  const ctx = canvas.getContext("2d");
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { ink++; } }
  return ink;
}"""


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def _sign_in(page, url):
    page.goto(url)
    page.get_by_label("Username").fill("marta.admin")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()


def _seed_pipeline():
    """Browser tests are transactional: an earlier flush may have emptied the seeded default pipeline,
    which the demo's opportunities and the funnel tile need."""
    from importlib import import_module

    from django.apps import apps as django_apps

    from clientela.sales.models import Pipeline

    if not Pipeline.objects.filter(is_default=True).exists():
        import_module("clientela.sales.migrations.0002_default_pipeline").seed(django_apps, None)


def test_dashboard_draws_every_chart(live_server, page):
    _seed_pipeline()
    call_command("demo", people=400, orgs=40, interactions=12000, opportunities=120, seed=5, verbosity=0)
    assert synthesise_scores() > 50
    UserFactory(
        username="marta.admin", role=Role.objects.get(slug="administrator"), teams=[TeamFactory(name="Norte")]
    )
    page.emulate_media(reduced_motion="reduce")  # charts.js then draws without animation: stable screenshots
    _sign_in(page, f"{live_server.url}/analytics/?preset=24m")
    page.wait_for_url("**/analytics/?preset=24m")
    page.locator('[data-tile="kpis"] .kpi').first.wait_for()
    for name in DASHBOARD_TILES:
        tile = page.locator(f'[data-tile="{name}"]')
        # tiles below the fold load when revealed (scrolled by script: the tile is swapped while it loads)
        page.evaluate(f"""document.querySelector('[data-tile="{name}"]').scrollIntoView()""")
        page.wait_for_function(
            f"""() => {{ const t = document.querySelector('[data-tile="{name}"]');
                 return t && !t.classList.contains('tile-loading'); }}"""
        )
        assert tile.get_attribute("data-tile-error") is None, name
        canvas = tile.locator("canvas[data-chart]")
        assert canvas.count() == 1, f"{name} has no chart"
        page.wait_for_function(
            f"""() => document.querySelector('[data-tile="{name}"] canvas[data-chart-drawn]')"""
        )
        assert canvas.evaluate("(c) => !!window.Chart.getChart(c)"), name
        assert canvas.evaluate(INK) > 500, f"{name}: the canvas is blank"
    assert page.evaluate("document.querySelectorAll('[data-tile-error]').length") == 0

    revenue = page.locator('[data-tile="revenue"]')
    page.evaluate("""document.querySelector('[data-tile="revenue"]').scrollIntoView()""")
    table_button = revenue.get_by_role("button", name="Table")
    table_button.click()
    assert table_button.get_attribute("aria-pressed") == "true"
    assert revenue.get_by_role("button", name="Chart").get_attribute("aria-pressed") == "false"
    assert revenue.locator("table").is_visible() and not revenue.locator("canvas").is_visible()
    assert revenue.locator("tbody tr").count() >= 12
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "analytics-dashboard")

    page.get_by_role("link", name="What to correct", exact=True).click()
    for name in ("rates_product", "rates_segment", "rates_month"):
        # polled: right after the click the tile may not exist yet (the page being left), and a tile
        # that loads when revealed is replaced by its content; each poll scrolls whichever is there
        page.wait_for_function(
            f"""() => {{
                const tile = document.querySelector('[data-tile="{name}"]');
                if (!tile) return false;
                tile.scrollIntoView();
                return !!tile.querySelector('canvas[data-chart-drawn]');
            }}"""
        )
    screenshot(page, "analytics-what-to-correct")
