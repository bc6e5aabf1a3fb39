"""The demo's buying process: BG/NBD purchase times, Gamma-Gamma order values, product-driven follow-ups."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter

import pytest

from clientela.demo import interaction_texts as texts
from clientela.demo import interactions as di
from clientela.demo import purchases
from clientela.demo.data import COUNTRIES
from clientela.demo.pools import build_pool
from clientela.demo.purchases import DAY, PEOPLE, Buyer, Histories, buyer_draw, order_value, purchase_times

NOW = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())


def test_buyers_are_drawn_from_the_population():
    rng = random.Random(3)
    buyers = [buyer_draw(rng, PEOPLE) for _ in range(40_000)]
    mean_rate = statistics.fmean(b.rate for b in buyers) * 365
    assert mean_rate == pytest.approx(PEOPLE.mean_rate_per_year, rel=0.03)
    assert statistics.fmean(b.dropout for b in buyers) == pytest.approx(
        PEOPLE.a / (PEOPLE.a + PEOPLE.b), rel=0.03
    )
    values = [order_value(rng, b) for b in buyers]
    assert statistics.fmean(values) == pytest.approx(PEOPLE.mean_order_value, rel=0.05)


def test_purchase_times_follow_the_process():
    rng = random.Random(4)
    start, end = NOW - 1000 * DAY, NOW
    never_stops = Buyer(rate=0.05, dropout=0.0, spend=0.1, shape=4.0)
    times = purchase_times(rng, never_stops, start, end)
    assert times == sorted(times) and start <= times[0] and times[-1] < end
    assert len(times) == pytest.approx(0.05 * 1000, rel=0.35)  # Poisson with rate λ over the window
    assert len({t % DAY for t in times}) == len(times)  # any second of the day, not whole days
    stops_at_once = Buyer(rate=0.05, dropout=1.0, spend=0.1, shape=4.0)
    assert len(purchase_times(rng, stops_at_once, start, end)) == 1


def test_histories_are_drawn_again_identically_and_fit_the_budget():
    profiles = bytearray([1, 0, 2, 3, 4] * 200)
    histories = Histories(11, profiles, now=NOW, history=di.HISTORY)
    sizes = histories.sizes(100_000)
    assert histories.keep == 1.0 and sum(sizes) > 0 and sizes[1] == 0
    first = histories.draw(7)
    assert first == histories.draw(7) and first.rows == sizes[7]
    assert all(ts < first.end for ts, _ in first.plan)
    former = histories.draw(3)  # profile 3 = 1 + FORMER: a person whose buying ended before now
    assert former.end < NOW - 59 * DAY

    tight = Histories(11, bytearray(profiles), now=NOW, history=di.HISTORY)
    small = tight.sizes(2_000)
    assert tight.keep < 1.0 and sum(small) <= 2_000 * purchases.MAX_PURCHASE_SHARE
    assert [tight.draw(i).rows if tight.profiles[i] else 0 for i in range(len(profiles))] == list(small)


def _builder(seed: int) -> di.LedgerBuilder:
    agents = {i: di.Agent(i, f"A{i}", f"Agent {i}", f"a{i}@x.test") for i in range(1, 5)}
    sources = {slug: i for i, slug in enumerate([*di.SOURCES, di.MANUAL], start=1)}
    pools = {c.code: build_pool(c.locale, 1) for c in COUNTRIES}
    staff = list(agents.values())
    return di.LedgerBuilder(
        random.Random(seed),
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        sources,
        agents,
        staff,
        staff,
        staff,
        pools,
    )


def test_returns_and_complaints_follow_the_products_bought():
    builder = _builder(5)
    profiles = bytearray([1] * 1500)
    histories = Histories(5, profiles, now=NOW, history=di.HISTORY)
    sizes = histories.sizes(10**9)
    ordered, returned, purchases_per_customer = Counter(), Counter(), []
    complained = Counter()
    names = {p[1]: p[0] for p in texts.PRODUCTS}
    for i, size in enumerate(sizes):
        c = di.Customer(i + 1, "person", "customer", "ES", "es", f"Cliente {i}", "Cliente", 1)
        rows = builder.customer(c, size + 5, histories.draw(i))
        assert len(rows) == size + 5
        purchases_per_customer.append(sum(r[1] == "purchase" for r in rows))
        for r in rows:
            if r[1] == "purchase":
                ordered.update(names[line["product"]] for line in r[9]["lines"])
            elif r[1] == "return":
                returned.update(names[line["product"]] for line in r[9]["lines"])
            elif r[1] == "complaint" and r[9]["product"] and r[9]["order_reference"]:
                complained[names[r[9]["product"]]] += 1
    # Heterogeneous buyers: one-off and repeat customers, a few heavy ones.
    assert 0.2 < sum(n == 1 for n in purchases_per_customer) / len(sizes) < 0.7
    assert max(purchases_per_customer) >= 15
    # The headset comes back far more often than paper, per line sold.
    assert returned["HW-HEAD"] / ordered["HW-HEAD"] > 2 * returned["CON-PAPER"] / ordered["CON-PAPER"]
    assert (
        complained["HW-LAP-14"] / max(ordered["HW-LAP-14"], 1)
        > complained["CON-PAPER"] / ordered["CON-PAPER"]
    )
