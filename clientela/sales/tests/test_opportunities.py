"""Opportunity services: defaults from the pipeline and stage, moves recorded with their time, totals kept
current, the customer's timeline, permissions and bad input (nothing written)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from clientela.core.events import register_listener, unregister_listener
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.interactions.models import Interaction
from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage, StageChange, StageTotal
from clientela.sales.services import (
    opportunity_create,
    opportunity_delete,
    opportunity_move,
    opportunity_update,
)
from clientela.sales.totals import totals_rebuild
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def pipeline():
    return Pipeline.objects.get(is_default=True)


def stage(pipeline, name):
    return Stage.objects.get(pipeline=pipeline, name=name)


def totals_snapshot():
    return sorted(
        (
            t.pipeline_id,
            t.stage_id,
            t.owner_id_value,
            t.currency,
            t.forecast_category,
            t.close_month,
            t.count,
            t.amount_cents,
            t.weighted_cents_pct,
        )
        for t in StageTotal.objects.exclude(count=0)
    )


def test_create_takes_defaults_from_pipeline_stage_and_owner(users, pipeline):
    rep = users["sales_rep"]
    party = make_person(rep)
    opp = opportunity_create(
        actor=actor_for(rep), data={"name": "Renovación flota", "party": party.pk, "amount": "12500.50"}
    )
    assert opp.pipeline == pipeline
    assert opp.stage == stage(pipeline, "Qualification")
    assert opp.probability == 10 and not opp.probability_overridden
    assert opp.owner == rep and opp.team == rep.teams.get()
    assert opp.currency == "EUR" and opp.amount == Decimal("12500.50")
    assert opp.weighted_amount == Decimal("1250.05")
    change = StageChange.objects.get(opportunity=opp)
    assert change.from_stage is None and change.to_stage == opp.stage
    entry = Interaction.objects.get(party=party, kind="other")
    assert "Renovación flota" in entry.summary


def test_move_records_time_in_stage_status_and_timeline(users, pipeline):
    rep = users["sales_rep"]
    party = make_person(rep)
    opp = opportunity_create(actor=actor_for(rep), data={"name": "Deal", "party": party.pk, "amount": "1000"})
    Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=timezone.now() - dt.timedelta(days=3))
    opp.refresh_from_db()
    opp = opportunity_move(
        actor=actor_for(rep), opportunity=opp, stage=stage(pipeline, "Proposal"), expected_version=1
    )
    assert opp.probability == 50 and opp.status == "open" and opp.version == 2
    change = StageChange.objects.filter(opportunity=opp).latest("changed_at")
    assert change.from_stage == stage(pipeline, "Qualification")
    assert 3 * 86400 - 5 <= change.seconds_in_from_stage <= 3 * 86400 + 5
    opp = opportunity_move(actor=actor_for(rep), opportunity=opp, stage=stage(pipeline, "Won"))
    assert opp.status == "won" and opp.probability == 100 and opp.closed_at is not None
    assert opp.forecast_category == "closed"
    labels = list(Interaction.objects.filter(party=party, kind="other").values_list("summary", flat=True))
    assert any("won" in s.lower() for s in labels)


def test_lost_needs_a_reason_from_the_list_and_writes_nothing_without_it(users, pipeline):
    rep = users["sales_rep"]
    party = make_person(rep)
    opp = opportunity_create(actor=actor_for(rep), data={"name": "Deal", "party": party.pk, "amount": "10"})
    before = (StageChange.objects.count(), totals_snapshot(), Interaction.objects.count())
    with pytest.raises(ValidationError) as exc:
        opportunity_move(actor=actor_for(rep), opportunity=opp, stage=stage(pipeline, "Lost"))
    assert "lost_reason" in exc.value.message_dict
    assert (StageChange.objects.count(), totals_snapshot(), Interaction.objects.count()) == before
    opp.refresh_from_db()
    assert opp.status == "open" and opp.version == 1
    reason = LostReason.objects.get(name="Price")
    opp = opportunity_move(
        actor=actor_for(rep), opportunity=opp, stage=stage(pipeline, "Lost"), lost_reason=reason
    )
    assert opp.status == "lost" and opp.lost_reason == reason and opp.probability == 0


def test_bad_input_reports_every_field_and_writes_nothing(users, pipeline):
    rep = users["sales_rep"]
    other = Pipeline.objects.create(name="Renovaciones")
    foreign_stage = Stage.objects.create(pipeline=other, name="Abierta", position=0, probability=30)
    hidden = make_person(users["sales_rep_b"], given_names="Oculta")
    counts = (Opportunity.objects.count(), StageChange.objects.count(), StageTotal.objects.count())
    with pytest.raises(ValidationError) as exc:
        opportunity_create(
            actor=actor_for(rep),
            data={
                "name": "",
                "party": hidden.pk,
                "amount": "-5",
                "currency": "EURO",
                "probability": 150,
                "stage": foreign_stage.pk,
                "expected_close_date": "31/02/2026",
                "colour": "red",
            },
        )
    errors = exc.value.message_dict
    for path in (
        "name",
        "party",
        "amount",
        "currency",
        "probability",
        "stage",
        "expected_close_date",
        "colour",
    ):
        assert path in errors, (path, errors)
    assert (Opportunity.objects.count(), StageChange.objects.count(), StageTotal.objects.count()) == counts


def test_probability_override_is_kept_until_the_stage_changes(users, pipeline):
    rep = users["sales_rep"]
    party = make_person(rep)
    opp = opportunity_create(
        actor=actor_for(rep), data={"name": "Deal", "party": party.pk, "amount": "100", "probability": 35}
    )
    assert opp.probability == 35 and opp.probability_overridden
    opp = opportunity_update(actor=actor_for(rep), opportunity=opp, data={"next_step": "Llamar el lunes"})
    assert opp.probability == 35
    opp = opportunity_move(actor=actor_for(rep), opportunity=opp, stage=stage(pipeline, "Negotiation"))
    assert opp.probability == 75 and not opp.probability_overridden


def test_moving_another_teams_opportunity_is_refused(users, pipeline):
    theirs = users["sales_rep_b"]
    opp = opportunity_create(
        actor=actor_for(theirs), data={"name": "Ajena", "party": make_person(theirs).pk, "amount": "1"}
    )
    with pytest.raises(NotPermitted):
        opportunity_move(
            actor=actor_for(users["sales_rep"]), opportunity=opp, stage=stage(pipeline, "Proposal")
        )
    opp.refresh_from_db()
    assert opp.stage == stage(pipeline, "Qualification")


def test_stale_version_is_a_conflict(users, pipeline):
    rep = users["sales_rep"]
    opp = opportunity_create(
        actor=actor_for(rep), data={"name": "D", "party": make_person(rep).pk, "amount": "1"}
    )
    opportunity_update(actor=actor_for(rep), opportunity=opp, data={"amount": "2"})
    with pytest.raises(ConcurrencyConflict):
        opportunity_update(actor=actor_for(rep), opportunity=opp, data={"amount": "3"}, expected_version=1)


def test_totals_follow_every_change_and_match_a_rebuild(users, pipeline):
    rep = users["sales_rep"]
    manager = users["manager"]
    party = make_person(rep)
    org = make_organisation(rep)
    a = opportunity_create(
        actor=actor_for(rep),
        data={
            "name": "A",
            "party": party.pk,
            "organisation": org.pk,
            "amount": "1000.10",
            "expected_close_date": "2026-12-15",
        },
    )
    b = opportunity_create(
        actor=actor_for(rep), data={"name": "B", "party": party.pk, "amount": "250", "currency": "USD"}
    )
    opportunity_move(actor=actor_for(rep), opportunity=a, stage=stage(pipeline, "Proposal"))
    opportunity_update(
        actor=actor_for(manager),
        opportunity=b,
        data={"amount": "300", "owner": manager.pk, "expected_close_date": "2027-01-02"},
    )
    c = opportunity_create(actor=actor_for(rep), data={"name": "C", "party": party.pk, "amount": "5"})
    opportunity_delete(actor=actor_for(rep), opportunity=c)
    live = totals_snapshot()
    assert sum(row[6] for row in live) == 2
    eur = [row for row in live if row[3] == "EUR"]
    assert eur[0][7] == 100010 and eur[0][8] == 100010 * 50
    totals_rebuild()
    assert totals_snapshot() == live
    assert Opportunity.objects.aggregate(s=Sum("amount"))["s"] == Decimal("1300.10")


def test_events_are_published_after_commit(users, pipeline, django_capture_on_commit_callbacks):
    seen = []

    def listener(event_type, payload):
        if event_type.startswith("opportunity."):
            seen.append((event_type, payload["name"], payload["stage"]))

    register_listener(listener)
    try:
        rep = users["sales_rep"]
        with django_capture_on_commit_callbacks(execute=True):
            opp = opportunity_create(
                actor=actor_for(rep), data={"name": "E", "party": make_person(rep).pk, "amount": "1"}
            )
        with django_capture_on_commit_callbacks(execute=True):
            opportunity_move(actor=actor_for(rep), opportunity=opp, stage=stage(pipeline, "Won"))
    finally:
        unregister_listener(listener)
    types = [t for t, _n, _s in seen]
    assert types[0] == "opportunity.created"
    assert {"opportunity.won", "opportunity.stage_changed", "opportunity.updated"} <= set(types)
    assert ("opportunity.won", "E", "Won") in seen
