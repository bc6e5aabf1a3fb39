"""The value panel on the customer page, the score filters of the web list, and the models page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.analytics.models import CustomerScore, ModelFit
from clientela.analytics.services import analytics_refit
from clientela.analytics.tests.score_helpers import AS_OF, populate, purchase, refund
from clientela.analytics.views_models import SESSION_KEY
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(admin_user):
    parties = populate(admin_user, 25)
    returner = make_person(admin_user, given_names="Devuelve")
    purchase(admin_user, returner, "50.00", AS_OF - dt.timedelta(days=40))
    refund(admin_user, returner, "80.00", AS_OF - dt.timedelta(days=30))
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    return parties, returner


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_the_panel_shows_the_figures_without_extra_queries(admin_user, scored, client_for):
    parties, returner = scored
    client = client_for(admin_user)
    score = CustomerScore.objects.get(party=parties[0])
    html, with_score = _get(client, reverse("parties:detail", args=[parties[0].pk]))
    assert "Customer value" in html and score.get_rfm_segment_display() in html
    assert f"R {score.r_score} · F {score.f_score} · M {score.m_score}" in html
    assert f"{round(score.p_alive * 100)} %" in html and "Lifetime value" in html
    assert "Models fitted on" in html
    assert "nan" not in html.lower().replace("financ", "")
    bad_html, with_excluded = _get(client, reverse("parties:detail", args=[returner.pk]))
    assert "returns larger than purchases" in bad_html
    fresh = make_person(admin_user, given_names="Sin compras")
    none_html, without = _get(client, reverse("parties:detail", args=[fresh.pk]))
    assert "No value figures yet" in none_html
    assert with_score == with_excluded == without


def test_the_panel_in_spanish(admin_user, scored, client_for):
    parties, _returner = scored
    client = client_for(admin_user)
    client.post("/accounts/language/", {"language": "es", "next": "/customers/"})
    html, _n = _get(client, reverse("parties:detail", args=[parties[0].pk]))
    assert '<html lang="es"' in html


def test_the_web_list_filters(admin_user, scored, client_for):
    parties, returner = scored
    client = client_for(admin_user)
    score = CustomerScore.objects.get(party=parties[0])
    html, base = _get(client, "/customers/")
    html, filtered = _get(client, f"/customers/?rfm_segment={score.rfm_segment}&clv_min=0")
    assert filtered == base
    assert parties[0].display_name in html
    assert returner.display_name not in html  # not scored with a CLV: outside clv_min


def test_models_page_lists_fits_and_refits(admin_user, scored, client_for, settings):
    client = client_for(admin_user)
    html, _n = _get(client, reverse("analytics:models"))
    fit = ModelFit.objects.get(is_current=True)
    assert "EUR" in html and "BG/NBD" in html and "Gamma-Gamma" in html and "Refit now" in html
    assert "alpha = " in html and "returns larger than purchases" in html
    # the default (database) backend: the task waits for a worker, and the page polls its progress
    response = client.post(reverse("analytics:refit"), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The refit has started" in page and 'hx-trigger="every 2s"' in page
    fragment = client.get(reverse("analytics:models"), {"progress": "1"}, HTTP_HX_REQUEST="true")
    assert "waiting for the task worker" in fragment.content.decode()
    # run it as the worker would
    from clientela.analytics.tasks import refit_task

    result_id = client.session[SESSION_KEY]
    refit_task.call(admin_user.pk, AS_OF.isoformat(), None)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=result_id).update(status="SUCCESSFUL", return_value={"status": "finished"})
    done = client.get(reverse("analytics:models"), {"progress": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Refit finished" in done and "every 2s" not in done
    html, _n = _get(client, reverse("analytics:models"))
    assert "Earlier fits" in html and ModelFit.objects.filter(currency="EUR").count() == 2
    assert not ModelFit.objects.get(pk=fit.pk).is_current


def test_models_page_before_any_fit(admin_user, client_for):
    html, _n = _get(client_for(admin_user), reverse("analytics:models"))
    assert "No model has been fitted yet" in html


def test_the_panel_escapes_reasons_and_draws_nothing_when_hidden(scored):
    from django.utils import translation

    from clientela.analytics.panels import score_context
    from clientela.analytics.render import value_html

    score = CustomerScore.objects.select_related("fit").exclude(rfm_segment="").first()
    panel = {**score_context(score), "churn_text": "<i>why</i>", "notes": ["a <b>", "c"]}
    with translation.override("en"):
        html = value_html(panel)
    assert '<dd class="muted small">&lt;i&gt;why&lt;/i&gt;</dd>' in html
    assert "Note: a &lt;b&gt;; c</p>" in html
    assert value_html({"hidden": True}) == ""
