"""What to correct: complaint, return and suggestion rates by product, by RFM segment and by month.

Rates are per 100 purchases of the same group: complaints per 100 purchases, returns per 100 purchases,
suggestions per 100 purchases. A product's purchases are the purchases with a line of that product (the
lines of the purchase payload, expanded in the database with ``json_each`` on SQLite and
``jsonb_array_elements`` on PostgreSQL); its returns the returns with a line of it; its complaints the
complaints naming it (``payload.product``). Suggestions name an area, not a product, so they have no
product rate. A rate whose denominator is zero is shown as — (never NaN or infinity).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Count, F, QuerySet
from django.db.models.fields.json import KT
from django.utils import formats
from django.utils.translation import gettext as _

from clientela.analytics.dashboard import by_month, ledger, month_label, months
from clientela.analytics.dashboard_scope import Filters
from clientela.analytics.dashboard_table import Table, per_100
from clientela.analytics.models import RfmSegment
from clientela.interactions.choices import Kind
from clientela.interactions.models import Interaction

TOP_PRODUCTS = 30
MIN_PURCHASES = 5
KINDS = [Kind.PURCHASE, Kind.COMPLAINT, Kind.RETURN, Kind.SUGGESTION]


def _line_products(qs: QuerySet[Interaction]) -> dict[str, int]:
    """Rows of ``qs`` per product named in their payload lines (a row counts once per product)."""
    # ``sql`` is compiled by Django with its values as parameters: no user input is pasted into the text
    sql, params = qs.values("id", "payload").query.sql_with_params()
    if connection.vendor == "postgresql":
        query = (
            "SELECT line->>'product' AS product, COUNT(DISTINCT sub.id) FROM (" + sql + ") sub "  # noqa: S608
            "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(sub.payload->'lines') = 'array' "
            "THEN sub.payload->'lines' ELSE '[]'::jsonb END) line GROUP BY 1"
        )
    else:
        query = (
            "SELECT json_extract(line.value, '$.product') AS product, COUNT(DISTINCT sub.id) FROM ("  # noqa: S608
            + sql
            + ") sub, json_each(sub.payload, '$.lines') line GROUP BY 1"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {str(product): n for product, n in cursor.fetchall() if product}


def counts_by_product(user: Any, filters: Filters, action: str) -> dict[str, dict[str, int]]:
    """product -> {"purchase": n, "return": n, "complaint": n}."""
    out: dict[str, dict[str, int]] = {}
    for kind in (Kind.PURCHASE, Kind.RETURN):
        for product, n in _line_products(ledger(user, filters, action, [kind])).items():
            out.setdefault(product, {})[kind] = n
    complaints = (
        ledger(user, filters, action, [Kind.COMPLAINT])
        .values(product=KT("payload__product"))
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in complaints:
        if row["product"]:
            out.setdefault(row["product"], {})[Kind.COMPLAINT] = row["n"]
    return out


def _rate_row(label: str, counts: dict[str, int], *, suggestions: bool = True) -> list[Any]:
    purchases = counts.get(Kind.PURCHASE, 0)
    row = [
        label,
        purchases,
        counts.get(Kind.COMPLAINT, 0),
        per_100(counts.get(Kind.COMPLAINT, 0), purchases),
        counts.get(Kind.RETURN, 0),
        per_100(counts.get(Kind.RETURN, 0), purchases),
    ]
    if suggestions:
        row += [counts.get(Kind.SUGGESTION, 0), per_100(counts.get(Kind.SUGGESTION, 0), purchases)]
    return row


def _columns(first: str, *, suggestions: bool = True) -> list[tuple[str, str]]:
    cols = [
        (first, "text"),
        (_("Purchases"), "int"),
        (_("Complaints"), "int"),
        (_("Complaints per 100 purchases"), "num"),
        (_("Returns"), "int"),
        (_("Returns per 100 purchases"), "num"),
    ]
    if suggestions:
        cols += [(_("Suggestions"), "int"), (_("Suggestions per 100 purchases"), "num")]
    return cols


def _spec(rows: list[list[Any]], *, horizontal: bool) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": horizontal,
        "labels": [r[0] for r in rows],
        "datasets": [
            {"label": _("Complaints per 100 purchases"), "data": [r[3] for r in rows]},
            {"label": _("Returns per 100 purchases"), "data": [r[5] for r in rows]},
        ],
    }


def _worst(rows: list[list[Any]], index: int) -> list[Any] | None:
    """The row with the highest rate, among those with enough purchases for the rate to mean something
    (a product bought once and complained about once is not the worst product)."""
    solid = [r for r in rows if r[index] is not None and r[1] >= MIN_PURCHASES]
    return max(solid or [r for r in rows if r[index] is not None], key=lambda r: r[index], default=None)


def _rate(value: float) -> str:
    return formats.number_format(value, 1, use_l10n=True)


def rates_by_product(user: Any, filters: Filters, action: str) -> Table:
    counts = counts_by_product(user, filters, action)
    ranked = sorted(
        counts.items(),
        key=lambda kv: (
            -(kv[1].get(Kind.COMPLAINT, 0) + kv[1].get(Kind.RETURN, 0)),
            -kv[1].get(Kind.PURCHASE, 0),
            kv[0],
        ),
    )[:TOP_PRODUCTS]
    rows = [_rate_row(product, c, suggestions=False) for product, c in ranked]
    worst = _worst(rows, 3)
    summary = (
        _("Highest complaint rate: %(product)s (%(rate)s per 100 purchases).")
        % {"product": worst[0], "rate": _rate(worst[3])}
        if worst
        else _("No purchases, complaints or returns of named products in this period.")
    )
    return Table(
        "rates_product",
        _("Which products cause the most complaints and returns?"),
        summary,
        _columns(_("Product"), suggestions=False),
        rows,
        _spec(rows[:10], horizontal=True),
    )


def rates_by_segment(user: Any, filters: Filters, action: str) -> Table:
    counts: dict[str, dict[str, int]] = {}
    for row in (
        ledger(user, filters, action, KINDS)
        .values("kind", segment=F("party__score__rfm_segment"))
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(row["segment"] or "", {})[row["kind"]] = row["n"]
    labels = {s.value: str(s.label) for s in RfmSegment}
    labels[""] = _("Not scored")
    rows = [_rate_row(labels[key], counts.get(key, {})) for key in [*RfmSegment.values, ""] if key in counts]
    worst = _worst(rows, 3)
    summary = (
        _("Highest complaint rate: %(segment)s (%(rate)s per 100 purchases).")
        % {"segment": worst[0], "rate": _rate(worst[3])}
        if worst
        else _("No purchases in this period.")
    )
    return Table(
        "rates_segment",
        _("Which customer segments complain and return the most?"),
        summary,
        _columns(_("RFM segment")),
        rows,
        _spec(rows, horizontal=True),
    )


def rates_by_month(user: Any, filters: Filters, action: str) -> Table:
    counts: dict[dt.date, dict[str, int]] = {}
    counted = {"n": lambda w: Count("id", filter=w)}
    for (month, kind), v in by_month(
        ledger(user, filters, action, KINDS), filters, "occurred_at", counted, ("kind",)
    ).items():
        counts.setdefault(month, {})[kind] = v["n"] or 0
    rows = [_rate_row(month_label(m), counts.get(m, {})) for m in months(filters)]
    worst = _worst(rows, 3)
    summary = (
        _("Highest complaint rate in %(month)s (%(rate)s per 100 purchases).")
        % {"month": worst[0], "rate": _rate(worst[3])}
        if worst
        else _("No purchases in this period.")
    )
    spec = _spec(rows, horizontal=False)
    for dataset in spec["datasets"]:
        dataset["type"] = "line"
    return Table(
        "rates_month",
        _("Are complaints and returns going up or down?"),
        summary,
        _columns(_("Month")),
        rows,
        spec,
    )
