"""Helpers of the forecast tests: opportunities made through the services, history moved into the past."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from clientela.sales.models import Opportunity, Pipeline, Stage, StageChange
from clientela.sales.services import opportunity_create, opportunity_move
from clientela.testing.factories import actor_for, make_person

TODAY = dt.date(2026, 2, 10)


def pipeline() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def stage(name: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline(), name=name)


_parties: dict[int, object] = {}


def opp(
    user,
    amount: str,
    stage_name: str = "Qualification",
    *,
    category: str = "pipeline",
    close: dt.date | None = None,
    currency: str = "EUR",
    probability: int | None = None,
    name: str = "Deal",
) -> Opportunity:
    """An open opportunity owned by ``user`` (in their team), created through the services."""
    party = make_person(user)
    data: dict = {
        "name": name,
        "party": party.pk,
        "amount": amount,
        "stage": stage(stage_name).pk,
        "forecast_category": category,
        "currency": currency,
        "expected_close_date": close,
    }
    if probability is not None:
        data["probability"] = probability
    return opportunity_create(actor=actor_for(user), data=data)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def enter(user, o: Opportunity, stage_name: str, when: dt.datetime, **kw) -> Opportunity:
    """Move ``o`` to a stage and date that move (and its closing, if any) at ``when``."""
    o = opportunity_move(actor=actor_for(user), opportunity=o, stage=stage(stage_name), **kw)
    last = StageChange.objects.filter(opportunity=o).order_by("-id").first()
    StageChange.objects.filter(pk=last.pk).update(changed_at=when)
    fields = {"stage_entered_at": when}
    if o.closed_at is not None:
        fields["closed_at"] = when
    Opportunity.objects.filter(pk=o.pk).update(**fields)
    o.refresh_from_db()
    return o


def created_at(o: Opportunity, when: dt.datetime) -> None:
    """Date the opportunity's creation (its first stage entry) at ``when``."""
    StageChange.objects.filter(opportunity=o, from_stage__isnull=True).update(changed_at=when)
    Opportunity.objects.filter(pk=o.pk, stage_entered_at__gt=when).update(stage_entered_at=when)


def lost_reason():
    from clientela.sales.models import LostReason

    return LostReason.objects.first()


D = Decimal
