"""Cohort retention and revenue per cohort, by month of first purchase.

A customer's cohort is the month of their first purchase ever (``PartyStats.first_purchase_at``, kept by
every ledger write). Retention at month k is the share of the cohort that bought again in the k-th month
after it (month 0 is the first purchase's month, so 100 %). Only cohorts that start inside the period are
shown, and only the purchases inside the period count. Two GROUP BY queries do the work in the database;
the join of the period's purchases to the customer figures is the heaviest query of the dashboard, so the
result is cached (see ``dashboard_scope.cached``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from clientela.analytics.dashboard import as_month, ledger, month_label, months
from clientela.analytics.dashboard_scope import Filters, party_q
from clientela.analytics.dashboard_table import Table, num, ratio
from clientela.interactions.choices import Kind
from clientela.interactions.models import PartyStats

MAX_OFFSET = 12
ZERO = Decimal(0)


@dataclass
class Cohort:
    """One cohort: its month, its size, customers buying and revenue in each later month (offset)."""

    month: dt.date
    size: int
    active: list[int | None]  # None: the month lies after the period's end (not observed yet)
    revenue: Decimal

    @property
    def retention(self) -> list[float | None]:
        return [None if n is None else ratio(n * 100, self.size) for n in self.active]

    @property
    def revenue_per_customer(self) -> float | None:
        return ratio(self.revenue, self.size)


def month_offset(start: dt.date, later: dt.date) -> int:
    return (later.year - start.year) * 12 + later.month - start.month


def build_cohorts(
    sizes: dict[dt.date, int],
    activity: dict[tuple[dt.date, dt.date], tuple[int, Decimal]],
    period_months: list[dt.date],
    max_offset: int = MAX_OFFSET,
) -> list[Cohort]:
    """Cohorts from the cohort sizes and (cohort month, purchase month) -> (customers, revenue)."""
    last = period_months[-1] if period_months else None
    out = []
    for month in period_months:
        size = sizes.get(month, 0)
        if not size or last is None:
            continue
        observable = month_offset(month, last)
        active: list[int | None] = []
        for k in range(max_offset + 1):
            if k > observable:
                active.append(None)
                continue
            year, mon = divmod(month.month - 1 + k, 12)
            later = dt.date(month.year + year, mon + 1, 1)
            active.append(activity.get((month, later), (0, ZERO))[0])
        revenue = sum((v[1] for (c, _m), v in activity.items() if c == month), ZERO)
        out.append(Cohort(month, size, active, revenue))
    return out


def cohorts(user: Any, filters: Filters, action: str) -> list[Cohort]:
    q = party_q(user, filters, action)
    if q is None:
        return []
    in_period = {"first_purchase_at__gte": filters.start, "first_purchase_at__lt": filters.end}
    sizes: dict[dt.date, int] = {}
    for row in (
        PartyStats.objects.filter(q, **in_period)
        .annotate(month=TruncMonth("first_purchase_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        sizes[as_month(row["month"])] = sizes.get(as_month(row["month"]), 0) + row["n"]
    activity: dict[tuple[dt.date, dt.date], tuple[int, Decimal]] = {}
    rows = (
        ledger(user, filters, action, [Kind.PURCHASE])
        .filter(**{f"party__stats__{k}": v for k, v in in_period.items()})
        .annotate(cohort=TruncMonth("party__stats__first_purchase_at"), month=TruncMonth("occurred_at"))
        .values("cohort", "month")
        .annotate(n=Count("party", distinct=True), total=Sum("amount", filter=Q(currency=filters.currency)))
        .order_by()
    )
    for row in rows:
        key = (as_month(row["cohort"]), as_month(row["month"]))
        n, total = activity.get(key, (0, ZERO))
        activity[key] = (n + row["n"], total + (row["total"] or ZERO))
    return build_cohorts(sizes, activity, months(filters))


def retention_table(found: list[Cohort], filters: Filters) -> Table:
    offsets = max((len(c.active) for c in found), default=MAX_OFFSET + 1)
    rows = [[month_label(c.month), c.size, *c.retention] for c in found]
    # the chart: retention by months since the first purchase, weighted over the cohorts observed
    curve = []
    for k in range(offsets):
        seen = [c for c in found if c.active[k] is not None]
        curve.append(ratio(sum(c.active[k] or 0 for c in seen) * 100, sum(c.size for c in seen)))
    month1 = curve[1] if len(curve) > 1 else None
    summary = (
        _("%(cohorts)s cohorts; on average %(share)s of new customers bought again the month after.")
        % {"cohorts": len(found), "share": "—" if month1 is None else f"{month1:.1f} %"}
        if found
        else _("No first purchases in this period.")
    )
    return Table(
        "cohorts",
        _("Do new customers come back in the months after their first purchase?"),
        summary,
        [
            (_("First purchase month"), "text"),
            (_("Customers"), "int"),
            *[(_("Month %(n)s (%%)") % {"n": k}, "pct") for k in range(offsets)],
        ],
        rows,
        {
            "type": "line",
            "percent": True,
            "labels": [_("Month %(n)s") % {"n": k} for k in range(offsets)],
            "xTitle": _("Months since first purchase"),
            "datasets": [{"label": _("Customers buying (mean of cohorts)"), "data": [num(v) for v in curve]}],
        },
        shade=True,
    )


def revenue_table(found: list[Cohort], filters: Filters) -> Table:
    rows = [[month_label(c.month), c.size, c.revenue, c.revenue_per_customer] for c in found]
    best = max(found, key=lambda c: c.revenue_per_customer or 0, default=None)
    summary = (
        _("The %(month)s cohort brought the most revenue per customer in the period.")
        % {"month": month_label(best.month)}
        if best is not None and best.revenue
        else _("No first purchases in this period.")
    )
    return Table(
        "cohort_revenue",
        _("How much revenue does each cohort bring?"),
        summary,
        [
            (_("First purchase month"), "text"),
            (_("Customers"), "int"),
            (_("Revenue in the period"), "money"),
            (_("Revenue per customer"), "money"),
        ],
        rows,
        {
            "type": "bar",
            "currency": filters.currency,
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": _("Revenue in the period"), "data": [num(r[2]) for r in rows]},
            ],
        },
        currency=filters.currency,
    )
