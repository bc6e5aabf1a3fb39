"""Test data for segments: customers with addresses, tags, purchases and complaints, and scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from clientela.analytics.models import CustomerScore
from clientela.interactions.models import Interaction
from clientela.interactions.services import source_get_or_create
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.models import Tag
from clientela.testing.factories import make_organisation, make_person


def person(user=None, *, name="Ana", city="", region="", country="", email="", phone="", **data):
    points = []
    if city or region or country:
        points.append(
            {"kind": "address", "city": city, "region": region, "country": country, "street": "Calle 1"}
        )
    if email:
        points.append({"kind": "email", "value": email})
    if phone:
        points.append({"kind": "mobile", "value": phone})
    return make_person(user, given_names=name, contact_points=points, **data)


def organisation(user=None, **data):
    return make_organisation(user, **data)


def log(
    party, kind: str, *, days_ago: float = 1, amount: str | None = None, current: bool = True
) -> Interaction:
    """A ledger row written directly (the services' payload checks are not what these tests are about)."""
    row = Interaction.objects.create(
        kind=kind,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        channel="erp" if kind in ("purchase", "return") else "phone",
        direction="in",
        party=party,
        source=source_get_or_create("erp"),
        amount=Decimal(amount) if amount is not None else None,
        currency="EUR" if amount is not None else "",
        is_current=current,
    )
    party_stats_refresh([party.pk])
    return row


def tag(party, name: str) -> None:
    from clientela.core.text import fold

    t, _ = Tag.objects.get_or_create(key=fold(name), defaults={"name": name})
    party.tags.add(t)


def score(party, **values) -> CustomerScore:
    now = timezone.now()
    defaults = {
        "currency": "EUR",
        "as_of": now,
        "first_purchase_at": now - dt.timedelta(days=300),
        "last_purchase_at": now - dt.timedelta(days=10),
        "purchases": 3,
        "frequency": 2,
        "recency_days": 10.0,
        "monetary": Decimal("100"),
        "r_score": 3,
        "f_score": 3,
        "m_score": 3,
        "rfm_segment": "loyal",
        "p_alive": 0.5,
        "clv": Decimal("50"),
        "churn_risk": "low",
    }
    defaults.update(values)
    return CustomerScore.objects.update_or_create(party=party, defaults=defaults)[0]
