"""Hand-made ledgers for the dashboard tests: purchases, returns, complaints and suggestions written through
``interaction_log`` (so the customer figures are kept as in production), and customer scores written
directly (the scoring job is tested on its own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clientela.analytics.models import CustomerScore
from clientela.interactions.services import interaction_log
from clientela.parties.models import Party
from clientela.testing.factories import actor_for, make_person


def at(year: int, month: int, day: int = 10, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def customer(user: Any = None, *, team: Any = None, name: str = "Ana") -> Party:
    party = make_person(user, given_names=name)
    if team is not None:
        Party.objects.filter(pk=party.pk).update(team=team)
        party.team = team
    return party


def log(party: Party, kind: str, when: dt.datetime, payload: dict[str, Any]) -> None:
    interaction_log(actor=actor_for(None), party=party, kind=kind, occurred_at=when, payload=payload)


def purchase(party: Party, when: dt.datetime, total: str, *products: str, currency: str = "EUR") -> None:
    products = products or ("Widget",)
    each = Decimal(total) / len(products)
    lines = [{"product": p, "quantity": "1", "unit_price": str(each), "total": str(each)} for p in products]
    log(party, "purchase", when, {"lines": lines, "total": total, "currency": currency})


def refund(
    party: Party, when: dt.datetime, amount: str, product: str = "Widget", currency: str = "EUR"
) -> None:
    line = {"product": product, "quantity": "1", "unit_price": amount, "total": amount}
    log(
        party,
        "return",
        when,
        {"lines": [line], "refund_amount": amount, "currency": currency, "reason": "broken"},
    )


def complaint(party: Party, when: dt.datetime, product: str = "Widget", severity: str = "medium") -> None:
    log(party, "complaint", when, {"subject": "Broken", "severity": severity, "product": product})


def suggestion(party: Party, when: dt.datetime) -> None:
    log(party, "suggestion", when, {"topic": "Opening hours", "area": "Shop"})


def score(party: Party, **fields: Any) -> CustomerScore:
    now = timezone.now()
    values: dict[str, Any] = {
        "currency": "EUR",
        "as_of": now,
        "first_purchase_at": now - dt.timedelta(days=400),
        "last_purchase_at": now - dt.timedelta(days=30),
        "purchases": 3,
        "frequency": 2,
        "recency_days": 30.0,
        "monetary": Decimal("300.00"),
        "rfm_segment": "loyal",
        "p_alive": 0.8,
        "clv": Decimal("150.00"),
        "churn_risk": "low",
        **fields,
    }
    return CustomerScore.objects.create(party=party, **values)


def make_ledger(users, team_a, team_b) -> dict[str, Party]:
    """A1 and A2 in team A, B1 in team B (see each line for what it adds to the figures)."""
    a1 = customer(users["sales_rep"], team=team_a, name="Alba")
    a2 = customer(users["sales_rep"], team=team_a, name="Aitor")
    b1 = customer(users["sales_rep_b"], team=team_b, name="Zacarías")
    purchase(a1, at(2026, 1, 5), "100.00", "Widget")  # A1 new in January
    purchase(a1, at(2026, 2, 5), "50.00", "Gadget")  # A1 returning in February
    refund(a1, at(2026, 2, 20), "20.00", "Widget")
    complaint(a1, at(2026, 2, 21), "Widget", "high")
    purchase(a2, at(2026, 2, 7), "200.00", "Widget", "Gadget")  # A2 new in February
    purchase(a2, at(2026, 3, 9), "999.00", "Gizmo", currency="USD")  # never added to EUR figures
    suggestion(a2, at(2026, 3, 10))
    purchase(b1, at(2025, 12, 15), "300.00", "Widget")  # B1: first purchase before the period
    purchase(b1, at(2026, 3, 3), "80.00", "Widget")
    complaint(b1, at(2026, 3, 4), "Gadget", "low")
    return {"a1": a1, "a2": a2, "b1": b1}


def synthesise_scores(batch: int = 5000) -> int:
    """Scores for every customer with purchases, derived from the customer figures (demo databases only:
    the numbers are plausible, not fitted), so the score tiles have something to draw."""
    import random

    from clientela.interactions.models import PartyStats

    rng = random.Random(3)
    segments = [s for s, _ in CustomerScore._meta.get_field("rfm_segment").choices]
    now = timezone.now()
    made, rows = 0, []
    stats = PartyStats.objects.filter(purchases_count__gt=0, first_purchase_at__isnull=False)
    for s in stats.values_list(
        "party_id", "currency", "first_purchase_at", "last_purchase_at", "purchases_count", "purchases_total"
    ).iterator(chunk_size=batch):
        party_id, currency, first, last, count, total = s
        recency = max((now - last).total_seconds() / 86400, 0.0)
        p_alive = max(0.01, min(0.99, 1.0 - recency / 900 + rng.uniform(-0.1, 0.1)))
        risk = "high" if p_alive < 0.3 else "medium" if p_alive < 0.6 else "low"
        rows.append(
            CustomerScore(
                party_id=party_id,
                currency=currency or "EUR",
                as_of=now,
                first_purchase_at=first,
                last_purchase_at=last,
                purchases=count,
                frequency=max(count - 1, 0),
                recency_days=recency,
                age_days=max((now - first).total_seconds() / 86400, 0.0),
                monetary=total,
                r_score=rng.randint(1, 5),
                f_score=rng.randint(1, 5),
                m_score=rng.randint(1, 5),
                rfm_segment=rng.choice(segments),
                p_alive=p_alive,
                expected_purchases=p_alive * 2,
                clv=(total * Decimal(str(round(p_alive, 2)))).quantize(Decimal("0.01")),
                churn_risk=risk,
                churn_reason=f"No purchase for {recency:.0f} days" if risk == "high" else "",
            )
        )
        if len(rows) >= batch:
            CustomerScore.objects.bulk_create(rows, ignore_conflicts=True)
            made, rows = made + len(rows), []
    CustomerScore.objects.bulk_create(rows, ignore_conflicts=True)
    return made + len(rows)
