"""Key figures (PartyStats) of the customers a demo load touched, recomputed set-wise after the load.

``clientela.interactions.stats.party_stats_refresh`` is the reference: it serves one logged interaction
at a time and filters by kind, which SQLite (with no table statistics) answers by walking the kind index
over the whole ledger; measured on 2,000,000 interactions it refreshed 113 customers a second, nine days
for a million customers. ``stats_refresh`` computes exactly the same figures (the tests compare both on
the same ledger) from a few grouped reads per chunk of customers that can only use the customer indexes:

1. the customer's own rows grouped by kind and currency (counts, money, purchases, open complaints);
2. the same for rows its people filed under it (organisations);
3. the latest past contact on either side (a window over the customer's rows, newest first);
4. for customers with balance statements, the rows from the latest statement on (to carry it forward).

The chunk's old figures are then replaced in one transaction.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from clientela.core.bulk import TableWriter
from clientela.interactions.choices import CONTACT_KINDS, OPEN_COMPLAINT_STATUSES, InvoiceStatus, Kind
from clientela.interactions.models import Interaction, PartyStats
from clientela.interactions.stats import CENT, FIGURE_FIELDS, MONEY_KINDS

CHUNK = 2_000
STATS_COLUMNS = ("party", *FIGURE_FIELDS)
_SQLITE_DECIMAL = decimal.Context(prec=15)  # how Django's SQLite backend reads a SUM of a decimal column


def _quoted(values: Iterable[str]) -> str:
    # Only the code's own kind and status constants (never user input) are inlined into the SQL text.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


_TABLE = connection.ops.quote_name(Interaction._meta.db_table)
_CONTACT = _quoted(CONTACT_KINDS)
_OPEN = _quoted(OPEN_COMPLAINT_STATUSES)
_CANCELLED = f"(kind = '{Kind.INVOICE}' AND status = '{InvoiceStatus.CANCELLED}')"


def _grouped_sql(field: str, placeholders: str) -> str:
    """Rows of the chunk grouped by (customer, kind, currency); nothing filters on kind, see the module doc."""
    other_side = " AND party_id <> organisation_id" if field == "organisation_id" else ""
    return (
        f"SELECT {field}, kind, currency, COUNT(*), "  # noqa: S608 - constants only, values are bound
        f"SUM(CASE WHEN {_CANCELLED} THEN 0 ELSE 1 END), "
        f"SUM(CASE WHEN {_CANCELLED} THEN NULL ELSE amount END), "
        f"SUM(CASE WHEN status IN ({_OPEN}) THEN 1 ELSE 0 END), "
        "MIN(occurred_at), MAX(occurred_at) "
        f"FROM {_TABLE} WHERE is_current AND {field} IN ({placeholders}){other_side} "
        f"GROUP BY {field}, kind, currency"
    )


def _last_contact_sql(field: str, placeholders: str) -> str:
    """The newest past contact row per customer on one side (ties: the highest id, as the reference)."""
    return (
        f"SELECT {field}, occurred_at, id, kind, user_id FROM ("  # noqa: S608 - constants only
        f"SELECT {field}, occurred_at, id, kind, user_id, ROW_NUMBER() OVER "
        f"(PARTITION BY {field} ORDER BY occurred_at DESC, id DESC) AS position "
        f"FROM {_TABLE} WHERE is_current AND {field} IN ({placeholders}) AND occurred_at <= %s "
        f"AND (CASE WHEN kind IN ({_CONTACT}) THEN 1 ELSE 0 END) = 1) AS newest WHERE position = 1"
    )


_SINCE_SQL = (
    f"SELECT kind, occurred_at, id, amount, currency, status FROM {_TABLE} "  # noqa: S608 - constants only
    "WHERE is_current AND party_id = %s AND occurred_at >= %s"
)


class _Reader:
    """Converts raw column values the way the ORM would (decimals, datetimes) on the current backend."""

    def __init__(self) -> None:
        self.sqlite = connection.vendor == "sqlite"

    def datetime_param(self, value: dt.datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value) if self.sqlite else value

    def decimal(self, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        if isinstance(value, Decimal):
            return value.quantize(CENT)
        if isinstance(value, float):
            return _SQLITE_DECIMAL.create_decimal_from_float(value).quantize(CENT)
        return Decimal(value).quantize(CENT)

    def datetime(self, value: Any) -> dt.datetime | None:
        if value is None or isinstance(value, dt.datetime):
            return value
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class _Figures:
    __slots__ = ("count", "first", "last", "money", "open", "purchases", "returns")

    def __init__(self) -> None:
        self.count = 0
        self.money: dict[str, dict[str, Decimal]] = {}
        self.purchases = 0
        self.returns = 0
        self.open = 0
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None


def _collect(cursor: Any, reader: _Reader, field: str, ids: Sequence[int], acc: dict[int, _Figures]) -> None:
    placeholders = ", ".join(["%s"] * len(ids))
    cursor.execute(_grouped_sql(field, placeholders), list(ids))
    for key, kind, currency, n, n_money, total, n_open, first, last in cursor.fetchall():
        figures = acc.get(key)
        if figures is None:
            figures = acc[key] = _Figures()
        figures.count += n
        if kind == Kind.COMPLAINT:
            figures.open += n_open
        if kind not in MONEY_KINDS or not n_money:
            continue
        name = MONEY_KINDS[kind]
        by_kind = figures.money.setdefault(currency, {})
        by_kind[name] = by_kind.get(name, Decimal(0)) + reader.decimal(total)
        if kind == Kind.PURCHASE:
            figures.purchases += n_money
            first, last = reader.datetime(first), reader.datetime(last)
            figures.first = min(filter(None, [figures.first, first]), default=None)
            figures.last = max(filter(None, [figures.last, last]), default=None)
        elif kind == Kind.RETURN:
            figures.returns += n_money


def _last_contacts(
    cursor: Any, reader: _Reader, ids: Sequence[int], now: dt.datetime
) -> dict[int, tuple[Any, int, str, int | None]]:
    best: dict[int, tuple[Any, int, str, int | None]] = {}
    placeholders = ", ".join(["%s"] * len(ids))
    for field in ("party_id", "organisation_id"):
        cursor.execute(_last_contact_sql(field, placeholders), [*ids, reader.datetime_param(now)])
        for key, occurred_at, pk, kind, user_id in cursor.fetchall():
            candidate = (reader.datetime(occurred_at), pk, kind, user_id)
            if key not in best or candidate[:2] > best[key][:2]:
                best[key] = candidate
    return best


def _balance(cursor: Any, reader: _Reader, party_id: int, as_of: Any) -> tuple[Any, Decimal, str, Decimal]:
    """(as of, amount, currency) of the latest statement and the invoices minus payments after it."""
    cursor.execute(_SINCE_SQL, [party_id, as_of])
    rows = cursor.fetchall()
    statement = max(
        ((reader.datetime(r[1]), r[2], r) for r in rows if r[0] == Kind.BALANCE), key=lambda x: x[:2]
    )
    when, _pk, row = statement
    amount, currency = reader.decimal(row[3]), row[4]
    after = Decimal(0)
    for kind, occurred_at, _id, value, row_currency, status in rows:
        moment = reader.datetime(occurred_at)
        if row_currency != currency or moment is None or when is None or moment <= when:
            continue
        if kind == Kind.INVOICE and status != InvoiceStatus.CANCELLED:
            after += reader.decimal(value)
        elif kind == Kind.PAYMENT:
            after -= reader.decimal(value)
    return when, amount, currency, after


def _figures_rows(ids: Sequence[int], reader: _Reader, now: dt.datetime) -> list[tuple[Any, ...]]:
    acc: dict[int, _Figures] = {}
    with connection.cursor() as cursor:
        _collect(cursor, reader, "party_id", ids, acc)
        _collect(cursor, reader, "organisation_id", ids, acc)
        contacts = _last_contacts(cursor, reader, ids, now)
        # Balance statements: the latest one's time is the newest balance row of the customer's own rows.
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT party_id, MAX(occurred_at) FROM {_TABLE} WHERE is_current "  # noqa: S608
            f"AND party_id IN ({placeholders}) "
            f"AND (CASE WHEN kind = '{Kind.BALANCE}' THEN 1 ELSE 0 END) = 1 GROUP BY party_id",
            list(ids),
        )
        statements = cursor.fetchall()
        balances = {party_id: _balance(cursor, reader, party_id, as_of) for party_id, as_of in statements}
        existing = dict(PartyStats.objects.filter(party_id__in=ids).values_list("party_id", "currency"))
    rows = []
    empty = _Figures()
    for party_id in ids:
        f = acc.get(party_id, empty)
        money = f.money
        currency = existing.get(party_id, "")
        if currency not in money:
            currency = ""
        if not currency and money:
            # As the reference picks it: most purchases, then most invoiced, then the code; looking the two
            # figures up there also adds them (as zeros) to every currency it compared.
            for figures in money.values():
                figures.setdefault("purchases", Decimal(0))
                figures.setdefault("invoiced", Decimal(0))
            currency = max(money, key=lambda c: (money[c]["purchases"], money[c]["invoiced"], c))
        main = money.get(currency, {})
        if party_id in balances:
            as_of, amount, balance_currency, after = balances[party_id]
            outstanding = amount + after if balance_currency == currency or not currency else amount
        else:
            as_of = None
            outstanding = main.get("invoiced", Decimal(0)) - main.get("paid", Decimal(0))
        others = {
            cur: {k: str(v.quantize(CENT)) for k, v in figures.items()}
            for cur, figures in money.items()
            if cur != currency
        }
        last = contacts.get(party_id)
        rows.append(
            (
                party_id,
                f.count,
                currency,
                main.get("purchases", Decimal(0)),
                f.purchases,
                main.get("returns", Decimal(0)),
                f.returns,
                f.open,
                outstanding,
                as_of,
                others,
                f.first,
                f.last,
                last[0] if last else None,
                last[2] if last else "",
                last[3] if last else None,
            )
        )
    return rows


def stats_refresh(party_ids: Sequence[int], *, progress: Callable[[int], None] | None = None) -> int:
    """Recompute the key figures of ``party_ids`` (ascending) from the ledger; returns how many were written.

    Same figures as ``party_stats_refresh``; each chunk of customers is replaced in its own transaction.
    """
    reader = _Reader()
    writer = TableWriter(PartyStats, STATS_COLUMNS)
    written = 0
    for start in range(0, len(party_ids), CHUNK):
        ids = list(party_ids[start : start + CHUNK])
        with transaction.atomic():
            rows = _figures_rows(ids, reader, timezone.now())
            PartyStats.objects.filter(party_id__in=ids).delete()
            writer.insert(rows)
        written += len(rows)
        if progress is not None:
            progress(start + len(ids))
    return written
