"""``clientela analytics refit [--as-of DATE] [--json]`` and ``clientela analytics status``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from clientela.analytics.models import CustomerScore, ModelFit
from clientela.analytics.tests.score_helpers import populate
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def test_refit_prints_parameters_and_statistics(admin_user):
    populate(admin_user, 25)
    text = run("refit", "--as-of", "2025-06-30")
    assert "EUR" in text and "25 customers" in text
    assert "BG/NBD: r = " in text and "alpha = " in text and "Gamma-Gamma: p = " in text
    assert "RFM breakpoints, recency (days):" in text and "log-likelihood" in text
    fit = ModelFit.objects.get(is_current=True)
    # a date means the end of that day
    assert timezone.localtime(fit.as_of).isoformat().startswith("2025-06-30T23:59:59.999999")
    assert CustomerScore.objects.count() == 25


def test_refit_json(admin_user):
    populate(admin_user, 25)
    document = json.loads(run("refit", "--as-of", "2025-06-30T12:00:00+00:00", "--json"))
    assert document["as_of"] == "2025-06-30T12:00:00+00:00"
    [fit] = document["fits"]
    assert fit["currency"] == "EUR" and fit["status"] == "ok" and fit["customers"] == 25
    assert set(fit["bgnbd"]) == {"r", "alpha", "a", "b"} and set(fit["gamma_gamma"]) == {"p", "q", "v"}
    assert fit["stats"]["bgnbd"]["converged"] is True
    assert len(fit["rfm"]["monetary"]) == 4
    status = json.loads(run("status", "--json"))
    assert [f["id"] for f in status["fits"]] == [fit["id"]]


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "30/06/2025", ""])
def test_a_bad_as_of_is_a_clear_error(value):
    with pytest.raises(CommandError, match="--as-of"):
        run("refit", "--as-of", value) if value else call_command("analytics", "refit", as_of=" ")


def test_a_future_as_of_is_refused():
    with pytest.raises(CommandError, match="future"):
        run("refit", "--as-of", "2999-01-01")


def test_a_bad_currency_is_refused():
    with pytest.raises(CommandError, match="three-letter"):
        run("refit", "--currency", "EURO")


def test_no_data_is_said_plainly(admin_user):
    make_person(admin_user)
    assert "nothing to fit" in run("refit")
    assert json.loads(run("refit", "--json"))["fits"] == []
    assert "No model has been fitted yet" in run("status")
    assert not ModelFit.objects.exists()
