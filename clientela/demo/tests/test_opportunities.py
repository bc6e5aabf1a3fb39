"""The opportunities step: deals walk the default pipeline stage by stage, their history agrees with their
state, and the running board totals equal a sum over the deals."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db.models import Sum

from clientela.demo.generator import DemoContext, run_steps
from clientela.demo.opportunities import OpportunitiesStep
from clientela.demo.parties import PartiesStep
from clientela.demo.staff import StaffStep
from clientela.sales.models import Opportunity, Stage, StageChange, StageTotal

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def deals(db):
    ctx = DemoContext(seed=3, now=NOW)
    run_steps(ctx, [StaffStep(6), PartiesStep(people=40, orgs=10), OpportunitiesStep(400)])
    return ctx


def test_every_deal_has_a_history_that_ends_where_it_is(deals):
    assert Opportunity.objects.count() == 400
    changes: dict[int, list[StageChange]] = {}
    for change in StageChange.objects.order_by("changed_at", "pk"):
        changes.setdefault(change.opportunity_id, []).append(change)
    stages = {s.pk: s for s in Stage.objects.all()}
    for opp in Opportunity.objects.all():
        history = changes[opp.pk]
        assert history[0].from_stage_id is None
        assert history[-1].to_stage_id == opp.stage_id
        assert opp.stage_entered_at == history[-1].changed_at
        for before, after in pairwise(history):
            assert after.from_stage_id == before.to_stage_id
            assert after.seconds_in_from_stage == int((after.changed_at - before.changed_at).total_seconds())
        assert opp.status == stages[opp.stage_id].status
        assert (opp.closed_at is not None) == (opp.status != "open")
        assert (opp.lost_reason_id is not None) == (opp.status == "lost")
        assert opp.created_at <= NOW and opp.stage_entered_at <= NOW


def test_mix_of_open_won_and_lost_deals(deals):
    statuses = Counter(Opportunity.objects.values_list("status", flat=True))
    assert statuses["open"] > 20 and statuses["won"] > 20 and statuses["lost"] > 20


def test_board_totals_equal_the_deals(deals):
    total = Opportunity.objects.aggregate(s=Sum("amount"))["s"]
    assert StageTotal.objects.aggregate(n=Sum("count"))["n"] == 400
    assert Decimal(StageTotal.objects.aggregate(s=Sum("amount_cents"))["s"]) / 100 == total


def test_conversion_rates_are_computed_for_the_forecast(deals):
    from clientela.sales.models import ConversionRate

    rates = {r.stage.name: r for r in ConversionRate.objects.select_related("stage")}
    assert rates["Qualification"].entered == Opportunity.objects.count()
    closed = Opportunity.objects.exclude(status="open").count()
    assert rates["Qualification"].won + rates["Qualification"].lost == closed
