"""How demo customers buy: a BG/NBD process per customer, Gamma-Gamma order values, returns and complaints
that follow from what was bought.

Each buying customer (lifecycle ``customer`` or ``former``) draws, once:

- a purchase rate ``λ ~ Gamma(r, α)`` (purchases per day while active) and a dropout probability
  ``p ~ Beta(a, b)``: the first purchase comes shortly after the customer's timeline starts, the next ones
  after exponential gaps at rate ``λ`` (any second of the day), and after each purchase the customer stops
  buying for good with probability ``p`` (Fader, Hardie & Lee 2005);
- a spend level ``ν ~ Gamma(q, γ)``; each order's value is ``z ~ Gamma(p, ν)``, so a customer's orders
  scatter around its own mean ``p/ν`` and the population mean is ``p·γ/(q-1)`` (Fader & Hardie 2013).

So the analytics pages have something real to find: heavy and light buyers, customers who stopped, big
and small baskets. A ``former`` customer's timeline ends when it left, so the process stops there too.

Every order may get one follow-up row some days later (``FOLLOW_UP_SLOT``): a return when the order has
goods that come back, a complaint about one of its products (some products are far more trouble than
others, ``PRODUCT_ISSUES``), or else a call about the order.

The purchases come first: ``Histories.sizes`` draws every buying customer's process to count its rows,
and only the rest of the run's rows are spread over the customers with the heavy-tailed allocation (so a
frequent buyer is never cut short by a small share of rows). Each customer draws from its own
``random.Random`` seeded from the run's seed and its position, so its history is drawn again identically
when its timeline is built (deterministic by seed, whatever the chunking). Per customer it is a handful of
draws per order on top of the dozens each row of text already costs; plain ``random`` is faster here than
NumPy calls on arrays of a few values, and the extra pass costs about 7 µs per buying customer.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass
from typing import Any

DAY = 86_400
FIRST_PURCHASE_WITHIN = 90 * DAY  # the first order comes within this long after the first contact
MAX_ORDERS = 5_000  # per customer, whatever the rate drawn
MAX_PURCHASE_SHARE = 0.6  # at most this share of a run's rows are orders and their follow-ups
CALIBRATION_SAMPLE = 20_000  # buyers drawn to estimate how many rows the processes take
ORDER_ROWS = 3  # an order, its invoice and its payment
FOLLOW_UP_SLOT = 0.3  # share of orders with a follow-up row (return, complaint or call)
FOLLOW_UP_DAYS = (2, 30)


@dataclass(frozen=True, slots=True)
class Population:
    """Parameters of a population of buyers: BG/NBD (time in days) and Gamma-Gamma (money in EUR)."""

    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    gamma: float

    @property
    def mean_rate_per_year(self) -> float:
        return 365 * self.r / self.alpha

    @property
    def mean_order_value(self) -> float:
        return self.p * self.gamma / (self.q - 1)


# People: about 2.5 orders a year while active, 17 % drop out after each order, 60 EUR an order.
PEOPLE = Population(r=0.75, alpha=110.0, a=0.8, b=4.0, p=4.0, q=4.0, gamma=45.0)
# Companies: about 5.7 orders a year, 9 % dropout, 1,200 EUR an order.
COMPANIES = Population(r=1.1, alpha=70.0, a=0.6, b=6.0, p=3.0, q=3.5, gamma=1000.0)

# Product SKU -> (chance an order line of it comes back, chance it brings a complaint). Goods only come
# back (services are not returned); the rest get DEFAULT_ISSUES.
DEFAULT_ISSUES = (0.03, 0.01)
PRODUCT_ISSUES = {
    "HW-LAP-14": (0.09, 0.05),  # the laptop: the usual "what to correct" story
    "HW-HEAD": (0.14, 0.03),
    "FUR-CHAIR": (0.10, 0.04),
    "HW-PRN": (0.05, 0.07),
    "CON-TONER": (0.06, 0.01),
    "CLD-HOST": (0.0, 0.05),
    "SRV-MIG": (0.0, 0.08),
}


@dataclass(frozen=True, slots=True)
class Buyer:
    """One customer's latent buying behaviour."""

    rate: float  # purchases per day while active (λ)
    dropout: float  # chance of stopping after each purchase (p)
    spend: float  # ν: the customer's orders average ``shape / spend`` EUR
    shape: float


def buyer_draw(rng: Any, population: Population) -> Buyer:
    """Draw a customer's rate, dropout and spend level from ``population``."""
    rate = rng.gammavariate(population.r, 1.0 / population.alpha)
    dropout = rng.betavariate(population.a, population.b)
    spend = rng.gammavariate(population.q, 1.0 / population.gamma)
    return Buyer(rate, dropout, spend, population.p)


def purchase_times(rng: Any, buyer: Buyer, start: int, end: int) -> list[int]:
    """The customer's purchase times (Unix seconds, ascending) in ``[start, end)`` under BG/NBD."""
    first = start + rng.random() * min(FIRST_PURCHASE_WITHIN, (end - start) / 3)
    times: list[int] = []
    per_second = buyer.rate / DAY
    t = first
    while t < end and len(times) < MAX_ORDERS:
        times.append(int(t))
        if rng.random() < buyer.dropout or per_second <= 0:
            break
        t += rng.expovariate(per_second)
    return times


def order_value(rng: Any, buyer: Buyer) -> float:
    """One order's value in EUR: Gamma(shape, rate=spend)."""
    return rng.gammavariate(buyer.shape, 1.0 / buyer.spend) if buyer.spend > 0 else 0.0


def purchase_plan(rng: Any, times: list[int], end: int) -> list[tuple[int, int | None]]:
    """Orders and follow-ups to build, as ``(time, None)`` for an order and ``(time, order number)`` for a
    follow-up of the order-th order, sorted by time (follow-ups falling after ``end`` are left out)."""
    plan: list[tuple[int, int | None]] = []
    low, high = FOLLOW_UP_DAYS
    for number, ts in enumerate(times):
        plan.append((ts, None))
        if rng.random() < FOLLOW_UP_SLOT:
            at = ts + int((low + rng.random() * (high - low)) * DAY)
            if at < end:
                plan.append((at, number))
    plan.sort(key=lambda item: item[0])
    return plan


@dataclass(frozen=True, slots=True)
class History:
    """A buying customer's timeline window and what its buying process drew in it."""

    start: int
    end: int
    buyer: Buyer
    plan: list[tuple[int, int | None]]

    @property
    def rows(self) -> int:
        return sum(ORDER_ROWS if number is None else 1 for _, number in self.plan)


class Histories:
    """The buying processes of a run's customers, drawn again identically whenever asked.

    Customer ``i`` (its position among the run's customers) draws from its own ``random.Random`` seeded with
    ``seed + i``, so its history is the same when it is sized (to split the run's rows) and when it is
    built, whatever the chunking. ``profiles[i]`` is 0 for a customer that does not buy, else
    ``1 + ORGANISATION + FORMER``.
    """

    ORGANISATION = 1
    FORMER = 2

    def __init__(self, seed: int, profiles: bytearray, *, now: int, history: int) -> None:
        self.seed = seed
        self.profiles = profiles
        self.now = now
        self.history = history
        self.keep = 1.0

    def draw(self, i: int) -> History | None:
        profile = self.profiles[i]
        if not profile:
            return None
        flags = profile - 1
        rng = random.Random(self.seed + i)
        end = self.now
        if flags & self.FORMER:  # a former customer's timeline (and buying) ended some time ago
            end -= rng.randint(60, 900) * DAY
        # Customers were won at any time over the history (uniformly), so every month has its cohort of
        # new customers and the most recent ones are still "new" in RFM terms.
        earliest = self.now - self.history
        start = earliest + int(rng.random() * max(0, end - 30 * DAY - earliest))
        buyer = buyer_draw(rng, COMPANIES if flags & self.ORGANISATION else PEOPLE)
        times = purchase_times(rng, buyer, start, end)
        if self.keep < 1.0:
            times = [t for t in times if rng.random() < self.keep]
        return History(start, end, buyer, purchase_plan(rng, times, end))

    def sizes(self, total: int) -> array:
        """Rows each customer's purchases take, with at most ``MAX_PURCHASE_SHARE`` of ``total`` in all.

        When the processes would take more, every customer keeps the same random share of its orders
        (thinning a Poisson process at random leaves one with a proportionally lower rate: the population
        stays Gamma-distributed); the few customers that still do not fit get no purchases.
        """
        budget = int(total * MAX_PURCHASE_SHARE)
        buyers = [i for i, profile in enumerate(self.profiles) if profile]
        if not buyers or budget <= 0:
            return array("q", bytes(8 * len(self.profiles)))
        step = max(1, len(buyers) // CALIBRATION_SAMPLE)
        sample = buyers[::step]
        self.keep = 1.0
        drawn = {i: h.rows for i, h in zip(sample, map(self.draw, sample), strict=True) if h}
        expected = sum(drawn.values()) * len(buyers) / len(sample)
        if expected > budget:
            self.keep = budget / expected * 0.95
            drawn = {}  # drawn again with the thinning
        rows = array("q", bytes(8 * len(self.profiles)))
        used = 0
        for i in buyers:
            size = drawn.get(i, -1)
            if size < 0:
                found = self.draw(i)
                size = found.rows if found else 0
            if used + size > budget:
                self.profiles[i] = 0  # no room left: this customer does not buy in this run
                continue
            rows[i] = size
            used += size
        return rows


def issue_rates(products: list[tuple[str, bool]]) -> tuple[float, float]:
    """Chance that an order of these (SKU, is goods) products comes back in part (goods only), and that it
    brings a complaint."""
    keep_return = keep_complaint = 1.0
    for sku, goods in products:
        ret, complaint = PRODUCT_ISSUES.get(sku, DEFAULT_ISSUES)
        if goods:
            keep_return *= 1 - ret
        keep_complaint *= 1 - complaint
    return 1 - keep_return, 1 - keep_complaint


def affordable(prices: list[tuple[int, int]], target: float) -> list[int]:
    """Indexes of the products (index, unit price) whose price fits ``target``; the cheapest if none does."""
    fits = [i for i, price in prices if price <= target]
    if fits:
        return fits
    return [min(prices, key=lambda item: item[1])[0]]


def quantity_for(target_per_line: float, unit: int, cap: int) -> int:
    """Units of a product priced ``unit`` that come closest to ``target_per_line`` (1 to ``cap``)."""
    if unit <= 0 or not math.isfinite(target_per_line):
        return 1
    return max(1, min(cap, round(target_per_line / unit)))
