"""Ledger data for the score tests, written through the interaction services (the real write path)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from clientela.interactions.services import interaction_log, source_get_or_create
from clientela.testing.factories import actor_for, make_person

AS_OF = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)


def shop():
    return source_get_or_create("shop", name="Tienda")


def purchase(user, party, amount, when, currency="EUR", **extra):
    return interaction_log(
        actor=actor_for(user),
        party=party,
        kind="purchase",
        occurred_at=when,
        payload={"document_number": "T", "total": str(amount), "currency": currency, "lines": []},
        source=shop(),
        **extra,
    ).interaction


def refund(user, party, amount, when, currency="EUR", **extra):
    return interaction_log(
        actor=actor_for(user),
        party=party,
        kind="return",
        occurred_at=when,
        payload={
            "lines": [{"product": "Zapatos"}],
            "refund_amount": str(amount),
            "currency": currency,
            "reason": "talla",
        },
        source=shop(),
        **extra,
    ).interaction


def populate(user, n: int = 40, *, seed: int = 6, currency: str = "EUR", as_of: dt.datetime = AS_OF):
    """``n`` customers drawn from the BG/NBD and Gamma-Gamma stories over the year before ``as_of``.

    With the default seed every population of 22 to 45 customers fits (both models converge): small
    samples often sit on a boundary of the likelihood, which the fits rightly report as not converged.
    """
    rng = random.Random(seed)
    parties = []
    for i in range(n):
        party = make_person(user, given_names=f"Cliente{i}", family_name_1=f"Prueba{seed}")
        parties.append(party)
        # order values drawn as Gamma-Gamma assumes (p = 6, q = 4, v = 15: about 30 a purchase)
        nu = rng.gammavariate(4.0, 1 / 15.0)

        def amount(nu: float = nu) -> Decimal:
            return Decimal(max(0.5, rng.gammavariate(6.0, 1 / nu))).quantize(Decimal("0.01"))

        # the BG/NBD story: a purchase rate per customer, and a chance of leaving after each purchase
        rate = rng.gammavariate(0.9, 1 / 20.0)
        leave = rng.betavariate(1.0, 3.0)
        when = as_of - dt.timedelta(days=rng.uniform(30, 360), seconds=rng.randint(0, 86399))
        purchase(user, party, amount(), when, currency)
        while rng.random() >= leave:
            when += dt.timedelta(days=rng.expovariate(rate))
            if when > as_of:
                break
            purchase(user, party, amount(), when, currency)
    return parties
