"""The dashboard's figures from the customer scores (``CustomerScore``, kept by the scoring job): customers
per RFM segment, the lifetime value distribution, P(alive) against recency and the churn-risk list.

Scores describe each customer as of the latest fit, so the period filter limits them to the customers who
had made their first purchase by the end of the period. Each figure is one or two aggregate queries (a
single pass with filtered counts for the histogram bins), and the scatter reads a bounded sample.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Mod
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clientela.analytics.dashboard_scope import Filters, party_q
from clientela.analytics.dashboard_table import Table, num, ratio
from clientela.analytics.models import ChurnRisk, CustomerScore, RfmSegment
from clientela.core import html

HISTOGRAM_BINS = 20
SCATTER_POINTS = 600
RECENCY_BUCKETS = [(0, 30), (30, 90), (90, 180), (180, 365), (365, 730), (730, None)]


def customer_list_url(filters: Filters, **params: Any) -> str:
    """The customer list with ``params`` and the dashboard's team and segment filters (a bar's click)."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if filters.team_id:
        query["team"] = filters.team_id
    if filters.segment_id:
        query["segment"] = filters.segment_id
    return f"{reverse('parties:list')}?{urlencode(query)}"


def scores(user: Any, filters: Filters, action: str) -> QuerySet[CustomerScore]:
    q = party_q(user, filters, action)
    if q is None:
        return CustomerScore.objects.none()
    return CustomerScore.objects.filter(q, first_purchase_at__lt=filters.end)


def rfm_segments(user: Any, filters: Filters, action: str) -> Table:
    counts = {
        row["rfm_segment"]: row
        for row in scores(user, filters, action)
        .exclude(rfm_segment="")
        .values("rfm_segment")
        .annotate(n=Count("pk"), recency=Avg("recency_days"), purchases=Avg("purchases"))
        .order_by()
    }
    total = sum(row["n"] for row in counts.values())
    rows = []
    for segment in RfmSegment:
        row = counts.get(segment.value, {})
        n = row.get("n", 0)
        rows.append(
            [str(segment.label), n, ratio(n * 100, total), num(row.get("recency")), num(row.get("purchases"))]
        )
    if total:
        biggest = max(rows, key=lambda r: r[1])
        at_risk = sum(r[1] for r, s in zip(rows, RfmSegment, strict=True) if s in _AT_RISK)
        summary = _(
            "%(total)s scored customers; the largest segment is %(segment)s; %(risk)s need winning back."
        ) % {
            "total": total,
            "segment": biggest[0],
            "risk": at_risk,
        }
    else:
        summary = _("No customer has been scored yet (command: clientela analytics refit).")
    return Table(
        "rfm",
        _("Which RFM segments are our customers in?"),
        summary,
        [
            (_("Segment"), "text"),
            (_("Customers"), "int"),
            (_("Share (%)"), "pct"),
            (_("Mean days since last purchase"), "num"),
            (_("Mean purchases"), "num"),
        ],
        rows,
        {
            "type": "bar",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "datasets": [{"label": _("Customers"), "data": [r[1] for r in rows]}],
            "links": [customer_list_url(filters, rfm_segment=s.value, sort="-clv") for s in RfmSegment],
        },
    )


_AT_RISK = {RfmSegment.AT_RISK, RfmSegment.CANT_LOSE, RfmSegment.ABOUT_TO_SLEEP}


def rfm_grid(user: Any, filters: Filters, action: str) -> Table:
    """Customers on the R × FM grid the named segments are read from (FM = round-half-up of (F + M) / 2,
    as in ``clv.rfm``): a shaded table, most recent row first, and the same counts as stacked bars."""
    grid = {(r, fm): 0 for r in range(1, 6) for fm in range(1, 6)}
    rows_in = (
        scores(user, filters, action)
        .filter(r_score__gte=1, f_score__gte=1, m_score__gte=1)
        .values("r_score", "f_score", "m_score")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows_in:
        fm = min(5, (row["f_score"] + row["m_score"] + 1) // 2)
        grid[(min(5, row["r_score"]), fm)] += row["n"]
    total = sum(grid.values())
    rows = [
        [_("R = %(r)s") % {"r": r}, sum(grid[(r, fm)] for fm in range(1, 6))]
        + [grid[(r, fm)] for fm in range(1, 6)]
        for r in range(5, 0, -1)
    ]
    if total:
        top = max(grid, key=lambda k: grid[k])
        summary = _("%(total)s scored customers; the fullest cell is R = %(r)s, FM = %(fm)s (%(n)s).") % {
            "total": total,
            "r": top[0],
            "fm": top[1],
            "n": grid[top],
        }
    else:
        summary = _("No customer has been scored yet (command: clientela analytics refit).")
    table = Table(
        "rfm_grid",
        _("Where do our customers sit on the RFM grid?"),
        summary,
        [(_("Recency score (R)"), "text"), (_("Customers"), "int")]
        + [(_("FM = %(fm)s") % {"fm": fm}, "int") for fm in range(1, 6)],
        rows,
        {
            "type": "stacked-bar",
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": _("FM = %(fm)s") % {"fm": fm}, "data": [r[1 + fm] for r in rows]}
                for fm in range(1, 6)
            ],
        },
        note=_(
            "R: recency score, 5 = bought most recently. FM: the mean of the frequency and monetary scores, "
            "5 = buys most often and spends most. Darker cells hold more customers."
        ),
        shade=True,
    )
    return table


def _nice_step(raw: float) -> Decimal:
    """A round bin width (1, 2 or 5 times a power of ten) at least ``raw``."""
    if raw <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal("0.01")
    for factor in (1, 2, 5, 10):
        if power * factor >= Decimal(str(raw)):
            return power * factor
    return power * 10


def clv_histogram(user: Any, filters: Filters, action: str) -> Table:
    """Customers per lifetime-value band in the filtered currency; the top 1 % share the last band."""
    qs = scores(user, filters, action).filter(currency=filters.currency, clv__isnull=False)
    n = qs.count()
    columns = [
        (_("Lifetime value from"), "money"),
        (pgettext("upper end of a band of values", "to"), "money"),
        (_("Customers"), "int"),
    ]
    title = _("How is customer lifetime value spread?")
    if not n:
        return Table(
            "clv",
            title,
            _("No lifetime values in this currency yet."),
            columns,
            [],
            currency=filters.currency,
        )
    ordered = qs.order_by("clv").values_list("clv", flat=True)
    top: Decimal = ordered[min(n - 1, int(n * 0.99))] or Decimal(0)
    low = min(Decimal(0), ordered[0] or Decimal(0))
    step = _nice_step(float(top - low) / HISTOGRAM_BINS)
    edges = [low + step * i for i in range(HISTOGRAM_BINS + 1)]
    while len(edges) > 2 and edges[-2] > top:
        edges.pop()
    aggs = {}
    for i in range(len(edges) - 1):
        cond = Q(clv__gte=edges[i]) if i else Q()
        if i < len(edges) - 2:
            cond &= Q(clv__lt=edges[i + 1])
        aggs[f"b{i}"] = Count("pk", filter=cond)
    counts = qs.aggregate(**aggs, mean=Avg("clv"))
    rows = []
    for i in range(len(edges) - 1):
        upper = edges[i + 1] if i < len(edges) - 2 else None
        rows.append([edges[i], upper, counts[f"b{i}"]])
    labels = [
        f"{html.money(r[0], filters.currency)}–{html.money(r[1], filters.currency)}"
        if r[1] is not None
        else f"≥ {html.money(r[0], filters.currency)}"
        for r in rows
    ]
    summary = _("%(n)s customers; mean lifetime value %(mean)s.") % {
        "n": n,
        "mean": html.money(counts["mean"] or 0, filters.currency),
    }
    return Table(
        "clv",
        title,
        summary,
        columns,
        rows,
        {
            "type": "bar",
            "histogram": True,
            "labels": labels,
            "xTitle": _("Lifetime value"),
            "yTitle": _("Customers"),
            "datasets": [{"label": _("Customers"), "data": [r[2] for r in rows]}],
            # a band's customers (values are in cents: the band's upper edge itself belongs to the next one)
            "links": [
                customer_list_url(
                    filters,
                    clv_min=r[0] if i else None,
                    clv_max=r[1] - CENT if r[1] is not None else None,
                    sort="-clv",
                )
                for i, r in enumerate(rows)
            ],
        },
        currency=filters.currency,
    )


CENT = Decimal("0.01")


def alive_vs_recency(user: Any, filters: Filters, action: str) -> Table:
    """Mean P(alive) per recency band (the table), and a bounded sample of customers (the scatter)."""
    qs = scores(user, filters, action).filter(p_alive__isnull=False)
    aggs: dict[str, Any] = {}
    for i, (low, high) in enumerate(RECENCY_BUCKETS):
        cond = Q(recency_days__gte=low) if low else Q()
        if high is not None:
            cond &= Q(recency_days__lt=high)
        aggs[f"n{i}"] = Count("pk", filter=cond)
        aggs[f"p{i}"] = Avg("p_alive", filter=cond)
    figures = qs.aggregate(**aggs)
    total = sum(figures[f"n{i}"] for i in range(len(RECENCY_BUCKETS)))
    rows = []
    for i, (low, high) in enumerate(RECENCY_BUCKETS):
        band = f"{low}–{high}" if high is not None else f"≥ {low}"
        mean = figures[f"p{i}"]
        rows.append([band, figures[f"n{i}"], None if mean is None else round(float(mean) * 100, 1)])
    points: list[dict[str, float]] = []
    if total:
        step = max(1, total // SCATTER_POINTS)
        sample = qs.annotate(_m=Mod(F("party_id"), step)).filter(_m=0) if step > 1 else qs
        for recency, p_alive in sample.order_by().values_list("recency_days", "p_alive")[:SCATTER_POINTS]:
            x, y = num(recency), num(p_alive)
            if x is not None and y is not None:
                points.append({"x": round(x, 1), "y": round(y * 100, 1)})
    summary = (
        _("%(n)s customers (chart: a sample of %(shown)s). Mean P(alive) %(recent)s in the first band.")
        % {"n": total, "shown": len(points), "recent": "—" if rows[0][2] is None else f"{rows[0][2]} %"}
        if total
        else _("No customer has a P(alive) yet (command: clientela analytics refit).")
    )
    return Table(
        "alive",
        _("Do customers who have not bought for a while still look alive?"),
        summary,
        [(_("Days since last purchase"), "text"), (_("Customers"), "int"), (_("Mean P(alive) (%)"), "pct")],
        rows if total else [],
        {
            "type": "scatter",
            "percent": True,
            "xTitle": _("Days since last purchase"),
            "yTitle": _("P(alive)"),
            "datasets": [{"label": _("Customers"), "data": points}],
        },
    )


def churn_counts(user: Any, filters: Filters, action: str) -> dict[str, int]:
    rows = scores(user, filters, action).exclude(churn_risk="").values("churn_risk").annotate(n=Count("pk"))
    return {row["churn_risk"]: row["n"] for row in rows.order_by()}


def churn_list(
    user: Any, filters: Filters, action: str, *, risk: str = ChurnRisk.HIGH
) -> QuerySet[CustomerScore]:
    """Customers at ``risk`` of churning, most valuable first (what is at stake), with their reason."""
    return (
        scores(user, filters, action)
        .filter(churn_risk=risk)
        .select_related("party")
        .only(
            "party__display_name",
            "party__id",
            "currency",
            "clv",
            "monetary",
            "p_alive",
            "recency_days",
            "purchases",
            "last_purchase_at",
            "churn_reason",
            "rfm_segment",
        )
        .order_by(F("clv").desc(nulls_last=True), "party_id")
    )
