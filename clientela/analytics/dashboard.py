"""The dashboard's figures from the interaction ledger: key figures, revenue by month net of returns, new vs
returning customers, complaints by category and the pipeline funnel.

Every builder takes ``(user, filters, action)`` and returns a ``Table`` (or the key figures); each is a few
GROUP BY queries over the period's ledger rows (indexed by kind and time), never a Python loop over the
ledger. Revenue counts purchases in the filtered currency only (amounts in other currencies are never added
up with a made-up rate); customer counts count customers with a purchase in any currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics.dashboard_scope import Filters, party_q
from clientela.analytics.dashboard_table import Table, change_pct, month_label, num, ratio
from clientela.core import html
from clientela.interactions.choices import Kind, Severity
from clientela.interactions.models import Interaction, PartyStats

ZERO = Decimal(0)
TOP_PRODUCTS = 8


def ledger(user: Any, filters: Filters, action: str, kinds: Sequence[str]) -> QuerySet[Interaction]:
    """Current ledger rows of ``kinds`` in the period, over the customers in scope and filters."""
    q = party_q(user, filters, action)
    if q is None:
        return Interaction.objects.none()
    return Interaction.objects.filter(
        q, is_current=True, kind__in=kinds, occurred_at__gte=filters.start, occurred_at__lt=filters.end
    )


def months(filters: Filters) -> list[dt.date]:
    """First days of the months the period touches."""
    out, day = [], filters.date_from.replace(day=1)
    while day <= filters.date_to:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def as_month(value: Any) -> dt.date:
    """A TruncMonth value (aware datetime, or date on some backends) as the month's first day."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date().replace(day=1)
    return value.replace(day=1)  # type: ignore[no-any-return]


def by_month(
    qs: QuerySet[Any],
    filters: Filters,
    field: str,
    measures: Mapping[str, Callable[[Q], Any]],
    group: tuple[str, ...] = (),
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """``measures`` per month of ``field`` (and per ``group`` values): {(month, *group): {measure: value}}.

    One query of filtered aggregates (one per month and measure) rather than GROUP BY TruncMonth: the
    time-zone aware month truncation runs as a Python function per row on SQLite (2.4 times slower on the
    12-month ledger of the demo database) and plain range comparisons are fast everywhere."""
    edges = [timezone.make_aware(dt.datetime.combine(m, dt.time.min)) for m in months(filters)]
    edges = [max(edges[0], filters.start), *edges[1:], filters.end] if edges else []
    aggs = {}
    for i in range(len(edges) - 1):
        window = Q(**{f"{field}__gte": edges[i], f"{field}__lt": edges[i + 1]})
        for name, make in measures.items():
            aggs[f"{name}_{i}"] = make(window)
    if not aggs:
        return {}
    rows = qs.values(*group).annotate(**aggs).order_by() if group else [qs.aggregate(**aggs)]
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[g] for g in group)
        for i, month in enumerate(months(filters)):
            out[(month, *key)] = {name: row[f"{name}_{i}"] for name in measures}
    return out


@dataclass
class Kpi:
    """One key figure with its value in the previous period of the same length."""

    key: str
    label: str
    value: Any
    previous: Any
    kind: str  # money | int
    good_when_up: bool = True

    @property
    def change(self) -> float | None:
        return change_pct(self.value, self.previous)


def _money_figures(user: Any, filters: Filters, action: str) -> dict[str, dict[str, Any]]:
    """Figures of the period ("now") and of the previous one ("before"): one scan over both periods."""
    previous = filters.previous()
    span = replace(filters, date_from=previous.date_from)
    periods = {
        "now": Q(occurred_at__gte=filters.start, occurred_at__lt=filters.end),
        "before": Q(occurred_at__gte=previous.start, occurred_at__lt=previous.end),
    }
    eur = Q(currency=filters.currency)
    aggs: dict[str, Any] = {}
    for key, window in periods.items():
        aggs[f"{key}_purchase"] = Sum("amount", filter=window & eur & Q(kind=Kind.PURCHASE))
        aggs[f"{key}_return"] = Sum("amount", filter=window & eur & Q(kind=Kind.RETURN))
        aggs[f"{key}_customers"] = Count("party", distinct=True, filter=window & Q(kind=Kind.PURCHASE))
    figures = ledger(user, span, action, [Kind.PURCHASE, Kind.RETURN]).aggregate(**aggs)
    q = party_q(user, filters, action)
    new: dict[str, Any] = {"now": 0, "before": 0}
    if q is not None:
        new = PartyStats.objects.filter(
            q, first_purchase_at__gte=previous.start, first_purchase_at__lt=filters.end
        ).aggregate(
            now=Count("pk", filter=Q(first_purchase_at__gte=filters.start)),
            before=Count("pk", filter=Q(first_purchase_at__lt=previous.end)),
        )
    return {
        key: {
            "purchase": figures[f"{key}_purchase"] or ZERO,
            "return": figures[f"{key}_return"] or ZERO,
            "customers": figures[f"{key}_customers"] or 0,
            "new": new[key] or 0,
        }
        for key in periods
    }


def kpis(user: Any, filters: Filters, action: str) -> list[Kpi]:
    """Revenue, returns, revenue net of returns, active and new customers, against the previous period."""
    figures = _money_figures(user, filters, action)
    now, before = figures["now"], figures["before"]
    return [
        Kpi("revenue", _("Revenue"), now["purchase"], before["purchase"], "money"),
        Kpi("returns", _("Returns"), now["return"], before["return"], "money", good_when_up=False),
        Kpi(
            "net",
            _("Revenue net of returns"),
            now["purchase"] - now["return"],
            before["purchase"] - before["return"],
            "money",
        ),
        Kpi("active", _("Customers who bought"), now["customers"], before["customers"], "int"),
        Kpi("new", _("New customers"), now["new"], before["new"], "int"),
    ]


def kpi_table(items: list[Kpi], filters: Filters) -> Table:
    return Table(
        "kpis",
        _("Key figures"),
        "",
        [
            (_("Figure"), "text"),
            (_("This period"), "num"),
            (_("Previous period"), "num"),
            (_("Change (%)"), "pct"),
        ],
        [[k.label, k.value, k.previous, k.change] for k in items],
        currency=filters.currency,
    )


def revenue_by_month(user: Any, filters: Filters, action: str) -> Table:
    qs = ledger(user, filters, action, [Kind.PURCHASE, Kind.RETURN]).filter(currency=filters.currency)
    sums: dict[tuple[Any, ...], tuple[Decimal, int]] = {
        key: (v["total"] or ZERO, v["n"] or 0)
        for key, v in by_month(
            qs,
            filters,
            "occurred_at",
            {"total": lambda w: Sum("amount", filter=w), "n": lambda w: Count("id", filter=w)},
            group=("kind",),
        ).items()
    }
    table_rows: list[list[Any]] = []
    for month in months(filters):
        bought, orders = sums.get((month, Kind.PURCHASE), (ZERO, 0))
        returned, _returns = sums.get((month, Kind.RETURN), (ZERO, 0))
        table_rows.append([month_label(month), orders, bought, returned, bought - returned])
    total_net = sum((r[4] for r in table_rows), ZERO)
    total_returns = sum((r[3] for r in table_rows), ZERO)
    share = ratio(total_returns, sum((r[2] for r in table_rows), ZERO))
    if not any(r[1] for r in table_rows):
        summary = _("No purchases in this period.")
    else:
        best = max(table_rows, key=lambda r: r[4])
        summary = _("Best month: %(month)s. Returns took back %(share)s of revenue.") % {
            "month": best[0],
            "share": "—" if share is None else f"{share * 100:.1f} %",
        }
    return Table(
        "revenue",
        _("How much did customers buy each month, and how much came back?"),
        summary,
        [
            (_("Month"), "text"),
            (_("Purchases"), "int"),
            (_("Revenue"), "money"),
            (_("Returns"), "money"),
            (_("Net of returns"), "money"),
        ],
        table_rows,
        {
            "type": "bar",
            "currency": filters.currency,
            "labels": [r[0] for r in table_rows],
            "datasets": [
                {"label": _("Revenue"), "data": [num(r[2]) for r in table_rows]},
                {"label": _("Returns"), "data": [num(r[3]) for r in table_rows]},
                {"label": _("Net of returns"), "type": "line", "data": [num(r[4]) for r in table_rows]},
            ],
        },
        currency=filters.currency,
        note=_("Total net of returns: %(total)s") % {"total": html.money(total_net, filters.currency)},
    )


def new_vs_returning(user: Any, filters: Filters, action: str) -> Table:
    """Customers who bought each month, split into first-time buyers and returning ones.

    A customer is new in the month of their first purchase ever (the customer figures keep it), and
    returning in any later month they buy in."""
    purchases = ledger(user, filters, action, [Kind.PURCHASE])
    distinct = {"n": lambda w: Count("party", distinct=True, filter=w)}
    active = {key[0]: v["n"] for key, v in by_month(purchases, filters, "occurred_at", distinct).items()}
    q = party_q(user, filters, action)
    new: dict[dt.date, int] = {}
    if q is not None:
        first = PartyStats.objects.filter(
            q, first_purchase_at__gte=filters.start, first_purchase_at__lt=filters.end
        )
        counted = {"n": lambda w: Count("pk", filter=w)}
        new = {key[0]: v["n"] for key, v in by_month(first, filters, "first_purchase_at", counted).items()}
    rows = []
    for month in months(filters):
        n_active, n_new = active.get(month, 0), new.get(month, 0)
        returning = max(n_active - n_new, 0)
        rows.append([month_label(month), n_new, returning, n_active, ratio(returning * 100, n_active)])
    total_new, total_returning = sum(r[1] for r in rows), sum(r[2] for r in rows)
    summary = (
        _("%(new)s first purchases and %(returning)s returning customer-months in the period.")
        % {"new": total_new, "returning": total_returning}
        if total_new or total_returning
        else _("No purchases in this period.")
    )
    return Table(
        "customers",
        _("Are we winning new customers or keeping the ones we have?"),
        summary,
        [
            (_("Month"), "text"),
            (_("New customers"), "int"),
            (_("Returning customers"), "int"),
            (_("Customers who bought"), "int"),
            (_("Returning share (%)"), "pct"),
        ],
        rows,
        {
            "type": "stacked-bar",
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": _("New customers"), "data": [r[1] for r in rows]},
                {"label": _("Returning customers"), "data": [r[2] for r in rows]},
            ],
        },
    )


def complaints_by_category(user: Any, filters: Filters, action: str) -> Table:
    """Complaints of the period by product (the biggest ones; the rest as "other products") and severity."""
    counts: dict[str, dict[str, int]] = {}
    for row in (
        ledger(user, filters, action, [Kind.COMPLAINT])
        .values(severity=KT("payload__severity"), product=KT("payload__product"))
        .annotate(n=Count("id"))
        .order_by()
    ):
        product = row["product"] or _("No product given")
        by_severity = counts.setdefault(product, {})
        severity = row["severity"] if row["severity"] in Severity.values else Severity.MEDIUM
        by_severity[severity] = by_severity.get(severity, 0) + row["n"]
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    top, rest = ranked[:TOP_PRODUCTS], ranked[TOP_PRODUCTS:]
    if rest:
        other: dict[str, int] = {}
        for _product, by_severity in rest:
            for severity, n in by_severity.items():
                other[severity] = other.get(severity, 0) + n
        top.append((_("Other products (%(count)s)") % {"count": len(rest)}, other))
    severities = list(Severity)
    rows: list[list[Any]] = [
        [name, *[s.get(sev.value, 0) for sev in severities], sum(s.values())] for name, s in top
    ]
    total = sum(r[-1] for r in rows)
    summary = (
        _("%(total)s complaints; most about %(product)s.") % {"total": total, "product": rows[0][0]}
        if rows
        else _("No complaints in this period.")
    )
    return Table(
        "complaints",
        _("What do customers complain about, and how serious is it?"),
        summary,
        [(_("Product"), "text"), *[(str(s.label), "int") for s in severities], (_("Total"), "int")],
        rows,
        {
            "type": "stacked-bar",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": str(sev.label), "data": [r[i + 1] for r in rows]}
                for i, sev in enumerate(severities)
            ],
        },
    )
