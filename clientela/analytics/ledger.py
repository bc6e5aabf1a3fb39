"""The ledger's purchases and returns as numpy arrays, the input of the value models (no model instances).

Which rows count: current (``is_current``) purchases with a positive total and returns with a positive
refund, of customers that are not deleted, up to ``as_of``. A purchase counts for the ``party`` it was
logged on (the person who bought), never also for the organisation it was filed under: counting one
order twice would invent a repeat purchase. An organisation's own purchases count for the organisation.
Purchases with a zero or negative total and returns without a refund carry no value and are left out
(counted in ``skipped``).

Times are days since the Unix epoch as float64, computed by the database (sub-day resolution kept);
amounts float64, returns negative. Each customer is scored in one currency, its *main* currency: the
currency of most of its net purchase value (among the currencies it bought in). Purchases in other
currencies are never converted with a made-up rate: they are left out and counted per currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce

from clientela.interactions.choices import Kind
from clientela.interactions.models import Interaction

FETCH = 50_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_days(moment: dt.datetime) -> float:
    """A timezone-aware datetime as days since the Unix epoch."""
    return (moment - EPOCH).total_seconds() / 86400.0


def from_days(days: float) -> dt.datetime:
    """Days since the Unix epoch as an aware UTC datetime (to the microsecond)."""
    return EPOCH + dt.timedelta(microseconds=round(float(days) * 86_400_000_000))


@dataclass
class LedgerRows:
    """Purchases (amount > 0) and returns (amount < 0) of customers in their main currency, by currency."""

    by_currency: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    # currency -> customer id -> {other currency: purchases left out}
    left_out: dict[str, dict[int, dict[str, int]]] = field(default_factory=dict)
    # currency -> {other currency: purchases left out} (totals, for the fit's statistics)
    left_out_totals: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: int = 0
    rows: int = 0
    # customers that have ledger rows but no purchase at all (only returns): nothing to score
    without_purchase: set[int] = field(default_factory=set)


def _days_sql() -> str:
    table = Interaction._meta.db_table
    if connection.vendor == "postgresql":
        return f'CAST(EXTRACT(EPOCH FROM "{table}"."occurred_at") AS double precision) / 86400.0'
    # SQLite keeps UTC text; julianday reads it as days (JD 2440587.5 is the Unix epoch)
    return f'(julianday("{table}"."occurred_at") - 2440587.5)'


def ledger_queryset(*, as_of: dt.datetime, party_ids: Iterable[int] | None = None) -> Any:
    """``(party_id, days, signed amount, currency)`` tuples of the rows that count, up to ``as_of``."""
    qs = Interaction.objects.filter(
        is_current=True,
        occurred_at__lte=as_of,
        amount__gt=0,
        party__deleted_at__isnull=True,
    )
    if party_ids is not None:
        # a few customers: their timeline index is the path. A plain kind test let SQLite walk the
        # (kind, time) index over every purchase instead (0.5 s per 500 customers at 47,000 purchases);
        # comparing the kind through COALESCE keeps it off that index, as interactions.stats does
        qs = qs.filter(party_id__in=list(party_ids)).alias(_kind=Coalesce("kind", Value("")))
        qs = qs.filter(_kind__in=[Kind.PURCHASE, Kind.RETURN])
    else:
        qs = qs.filter(Q(kind=Kind.PURCHASE) | Q(kind=Kind.RETURN))
    return qs.annotate(
        days=RawSQL(_days_sql(), [], output_field=FloatField()),  # noqa: S611 (fixed SQL, no input)
        # as float8 in the database: the driver then hands back floats, not Decimals to convert
        signed=Cast(Case(When(kind=Kind.RETURN, then=-F("amount")), default=F("amount")), FloatField()),
    ).values_list("party_id", "days", "signed", "currency")


def skipped_count(*, as_of: dt.datetime, party_ids: Iterable[int] | None = None) -> int:
    """Purchases and returns that carry no value (zero or negative total, no refund)."""
    qs = Interaction.objects.filter(
        is_current=True, occurred_at__lte=as_of, party__deleted_at__isnull=True
    ).filter(Q(kind=Kind.PURCHASE) | Q(kind=Kind.RETURN))
    qs = qs.filter(Q(amount__isnull=True) | Q(amount__lte=0))
    if party_ids is not None:
        qs = qs.filter(party_id__in=list(party_ids))
    return qs.count()


def _stream(qs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Run the query and fill numpy arrays chunk by chunk (currencies as small integer codes)."""
    sql, params = qs.query.sql_with_params()
    codes: dict[str, int] = {}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(FETCH)
            if not chunk:
                break
            party, days, amount, currency = zip(*chunk, strict=True)
            parts.append(
                (
                    np.fromiter(party, dtype=np.int64, count=len(chunk)),
                    np.fromiter(days, dtype=np.float64, count=len(chunk)),
                    np.fromiter((float(a) for a in amount), dtype=np.float64, count=len(chunk)),
                    np.fromiter(
                        (codes.setdefault(c, len(codes)) for c in currency), dtype=np.int16, count=len(chunk)
                    ),
                )
            )
    names = sorted(codes, key=codes.__getitem__)
    if not parts:
        empty_i = np.empty(0, dtype=np.int64)
        empty_f = np.empty(0, dtype=np.float64)
        return empty_i, empty_f, empty_f, np.empty(0, dtype=np.int16), names
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
        names,
    )


def main_currencies(
    party: np.ndarray, amount: np.ndarray, code: np.ndarray, names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's main currency: among the currencies it bought in, the one of most net value
    (purchases minus returns), then most purchases, then the alphabetically first code.

    Returns ``(customers, main code)``; customers without any purchase get code -1.
    """
    if len(party) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int16)
    k = max(len(names), 1)
    key = party * k + code.astype(np.int64)
    pairs, inverse = np.unique(key, return_inverse=True)
    net = np.bincount(inverse, weights=amount, minlength=len(pairs))
    bought = np.bincount(inverse, weights=(amount > 0).astype(np.float64), minlength=len(pairs))
    pair_party = pairs // k
    pair_code = (pairs % k).astype(np.int16)
    # alphabetical rank of each code: the first code wins a tie, so the choice never depends on row order
    rank = np.argsort(np.argsort(np.array(names, dtype=object))) if names else np.zeros(0, dtype=np.int64)
    alpha = rank[pair_code] if len(names) else np.zeros(len(pairs))
    has = bought > 0
    # best first within each customer: customer asc, has purchases desc, net desc, purchases desc, code asc
    order = np.lexsort((alpha, -bought, -net, ~has, pair_party))
    sorted_party = pair_party[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_party[1:] != sorted_party[:-1]
    winners = order[first]
    main = np.where(has[winners], pair_code[winners], -1).astype(np.int16)
    return pair_party[winners], main


def ledger_rows(
    *, as_of: dt.datetime, party_ids: Iterable[int] | None = None, count_skipped: bool = True
) -> LedgerRows:
    """Stream the counted rows (all customers, or ``party_ids``) into per-currency arrays."""
    ids = None if party_ids is None else sorted(set(party_ids))
    out = LedgerRows()
    if ids is not None and not ids:
        return out
    party, days, amount, code, names = _stream(ledger_queryset(as_of=as_of, party_ids=ids))
    out.rows = len(party)
    out.skipped = skipped_count(as_of=as_of, party_ids=ids) if count_skipped else 0
    customers, main = main_currencies(party, amount, code, names)
    out.without_purchase = {int(p) for p in customers[main < 0]}
    # each row's customer's main currency
    position = np.searchsorted(customers, party)
    row_main = main[position] if len(party) else np.empty(0, dtype=np.int16)
    keep = code == row_main
    for i, name in enumerate(names):
        mine = keep & (code == i)
        if mine.any():
            out.by_currency[name] = (party[mine], days[mine], amount[mine])
    # purchases in a currency other than the customer's main one: left out, counted
    other = (~keep) & (amount > 0) & (row_main >= 0)
    if other.any():
        for p, c, m in zip(
            party[other].tolist(), code[other].tolist(), row_main[other].tolist(), strict=True
        ):
            main_name, other_name = names[m], names[c]
            per = out.left_out.setdefault(main_name, {}).setdefault(p, {})
            per[other_name] = per.get(other_name, 0) + 1
            totals = out.left_out_totals.setdefault(main_name, {})
            totals[other_name] = totals.get(other_name, 0) + 1
    return out
