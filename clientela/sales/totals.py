"""Keeping ``StageTotal`` current: every opportunity write adds its old row's negative and its new row.

Services call ``totals_apply(before, after)`` with the opportunity's grouping values before and after the
change (``None`` for creation or deletion); the demo generator and repairs call ``totals_rebuild``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from clientela.sales.models import Opportunity, StageTotal


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one opportunity adds to the totals: its group and its money."""

    pipeline_id: int
    stage_id: int
    owner_id: int
    team_id: int
    currency: str
    forecast_category: str
    close_month: dt.date | None
    amount_cents: int
    probability: int

    @property
    def key(self) -> str:
        month = self.close_month.strftime("%Y-%m") if self.close_month else "-"
        return (
            f"{self.pipeline_id}:{self.stage_id}:{self.owner_id}:{self.team_id}:"
            f"{self.currency}:{self.forecast_category}:{month}"
        )


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def contribution(opp: Opportunity) -> Contribution:
    close = opp.expected_close_date
    return Contribution(
        pipeline_id=opp.pipeline_id,
        stage_id=opp.stage_id,
        owner_id=opp.owner_id or 0,
        team_id=opp.team_id or 0,
        currency=opp.currency,
        forecast_category=opp.forecast_category,
        close_month=close.replace(day=1) if close else None,
        amount_cents=cents(opp.amount),
        probability=opp.probability,
    )


_UPSERT = """
INSERT INTO sales_stagetotal
    (key, pipeline_id, stage_id, owner_id_value, team_id_value, currency, forecast_category, close_month,
     count, amount_cents, weighted_cents_pct)
VALUES {values}
ON CONFLICT (key) DO UPDATE SET
    count = sales_stagetotal.count + excluded.count,
    amount_cents = sales_stagetotal.amount_cents + excluded.amount_cents,
    weighted_cents_pct = sales_stagetotal.weighted_cents_pct + excluded.weighted_cents_pct
"""


def _add(deltas: dict[str, list], item: Contribution, sign: int) -> None:
    row = deltas.get(item.key)
    if row is None:
        row = deltas[item.key] = [item, 0, 0, 0]
    row[1] += sign
    row[2] += sign * item.amount_cents
    row[3] += sign * item.amount_cents * item.probability


def _write(deltas: dict[str, list]) -> None:
    rows = [r for r in deltas.values() if r[1] or r[2] or r[3]]
    if not rows:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            params: list = []
            for item, count, amount, weighted in chunk:
                params += [
                    item.key,
                    item.pipeline_id,
                    item.stage_id,
                    item.owner_id,
                    item.team_id,
                    item.currency,
                    item.forecast_category,
                    item.close_month,
                    count,
                    amount,
                    weighted,
                ]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(_UPSERT.format(values=values), params)


def totals_apply(before: Contribution | None, after: Contribution | None) -> None:
    """Move one opportunity's contribution from ``before`` to ``after`` (inside the caller's transaction)."""
    if before == after:
        return
    deltas: dict[str, list] = {}
    if before is not None:
        _add(deltas, before, -1)
    if after is not None:
        _add(deltas, after, +1)
    _write(deltas)


def totals_add_many(items: Iterable[Contribution]) -> None:
    """Add many new opportunities at once (bulk loads)."""
    out: dict[str, list] = {}
    for item in items:
        _add(out, item, +1)
    _write(out)


@transaction.atomic
def totals_rebuild(*, batch_size: int = 50_000) -> int:
    """Recompute every total from the opportunities (a repair, or after a bulk load); returns the rows."""
    StageTotal.objects.all().delete()
    fields = (
        "pipeline_id",
        "stage_id",
        "owner_id",
        "team_id",
        "currency",
        "forecast_category",
        "expected_close_date",
        "amount",
        "probability",
    )
    out: dict[str, list] = {}
    last = 0
    while True:
        rows = list(
            Opportunity.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:batch_size]
        )
        if not rows:
            break
        for _pk, pipeline, stage, owner, team, currency, category, close, amount, probability in rows:
            _add(
                out,
                Contribution(
                    pipeline,
                    stage,
                    owner or 0,
                    team or 0,
                    currency,
                    category,
                    close.replace(day=1) if close else None,
                    cents(amount),
                    probability,
                ),
                +1,
            )
        last = rows[-1][0]
    _write(out)
    return len(out)
