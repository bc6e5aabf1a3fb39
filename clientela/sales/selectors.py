"""Reads of the sales app: the pipeline board (cards per stage and column totals), opportunity lists and
one opportunity with its stage history. Everything goes through ``restrict`` (the user's scope).

Column totals come from ``StageTotal`` (a few rows per stage) instead of summing the opportunities:
whole months of a close-date filter read the running totals; only the partial months at the edges of a
custom date range are summed from the opportunities themselves, through the board index.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from clientela.core.pagination import Page, encode_cursor, keyset_page
from clientela.core.permissions import Action, Scope, user_scope, user_team_ids
from clientela.parties.models import Party
from clientela.sales.models import Opportunity, Pipeline, Stage, StageChange, StageTotal

BOARD_ORDER = ("-stage_entered_at", "-id")
BOARD_KINDS = ("datetime", "int")
# with an expected-close filter the cards come soonest close first, straight from the close-date index
CLOSE_ORDER = ("expected_close_date", "id")
CLOSE_KINDS = ("str", "int")


def board_order(filters: BoardFilters) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The cards' order (and cursor kinds): most recently moved first, or soonest close first when the
    board is filtered by expected close (a period holds tens of thousands of deals at a million, and
    sorting them by another column cost up to 245 ms a column)."""
    if filters.close_from is not None or filters.close_to is not None:
        return CLOSE_ORDER, CLOSE_KINDS
    return BOARD_ORDER, BOARD_KINDS


CARDS_PER_COLUMN = 20
CARD_FIELDS = (
    "id",
    "name",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "stage_entered_at",
    "status",
    "forecast_category",
    "version",
    "stage_id",
    "party_id",
    "owner_id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
)


@dataclass(frozen=True)
class BoardFilters:
    """What narrows the board and the lists: owner, team, close-date range, text in the name."""

    owner: int | None = None
    team: int | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    q: str = ""
    errors: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BoardFilters:
        errors: list[str] = []

        def number(name: str) -> int | None:
            raw = (params.get(name) or "").strip()
            if not raw:
                return None
            if raw.isdigit():
                return int(raw)
            errors.append(name)
            return None

        def day(name: str) -> dt.date | None:
            raw = (params.get(name) or "").strip()
            if not raw:
                return None
            try:
                value = parse_date(raw)
            except ValueError:
                value = None
            if value is None:
                errors.append(name)
            return value

        period = (params.get("period") or "").strip()
        close_from, close_to = day("close_from"), day("close_to")
        if period and not (close_from or close_to):
            bounds = period_bounds(period, timezone.localdate())
            if bounds is None:
                errors.append("period")
            else:
                close_from, close_to = bounds
        return cls(
            owner=number("owner"),
            team=number("team"),
            close_from=close_from,
            close_to=close_to,
            q=(params.get("q") or "").strip()[:100],
            errors=tuple(errors),
        )

    @property
    def active(self) -> bool:
        return any((self.owner, self.team, self.close_from, self.close_to, self.q))


PERIODS = ("this_month", "next_month", "this_quarter", "next_quarter", "this_year")


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """First and last day of a named period around ``today`` (month-aligned, so totals stay on the summary)."""
    month = today.replace(day=1)
    quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    starts = {
        "this_month": (month, 1),
        "next_month": (_add_months(month, 1), 1),
        "this_quarter": (quarter, 3),
        "next_quarter": (_add_months(quarter, 3), 3),
        "this_year": (dt.date(today.year, 1, 1), 12),
    }
    if period not in starts:
        return None
    start, months = starts[period]
    return start, _month_end(_add_months(start, months - 1))


def split_months(
    start: dt.date | None, end: dt.date | None
) -> tuple[tuple[dt.date | None, dt.date | None], list[tuple[dt.date, dt.date]]]:
    """A close-date range as (first, last) whole months to read from the running totals, plus the partial
    months at its edges (date ranges to sum from the opportunities)."""
    if start is not None and end is not None and start.replace(day=1) == end.replace(day=1):
        if start.day == 1 and end == _month_end(end):
            return (start, start), []
        return (dt.date.max, dt.date.min), [(start, end)]
    edges: list[tuple[dt.date, dt.date]] = []
    first = start
    if start is not None and start.day != 1:
        edges.append((start, _month_end(start)))
        first = _add_months(start.replace(day=1), 1)
    last = end.replace(day=1) if end is not None else None
    if end is not None and end != _month_end(end):
        edges.append((end.replace(day=1), end))
        last = _add_months(end.replace(day=1), -1)
    return (first, last), edges


def opportunities_for(user: Any, action: str = Action.VIEW) -> QuerySet[Opportunity]:
    """Opportunities in the user's scope whose customer is not in the recycle bin. The bin is read as a
    small list through its partial index: joining the customers instead made SQLite build a Bloom filter
    over every live customer for each board column (18 ms a column at a million deals)."""
    binned = Party.all_objects.filter(deleted_at__isnull=False).values("pk")
    return Opportunity.objects.restrict(user, action).exclude(party_id__in=binned)


def _filtered(qs: QuerySet[Opportunity], filters: BoardFilters) -> QuerySet[Opportunity]:
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    if filters.close_from is not None:
        qs = qs.filter(expected_close_date__gte=filters.close_from)
    if filters.close_to is not None:
        qs = qs.filter(expected_close_date__lte=filters.close_to)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return qs


@dataclass
class Money:
    """Count and sums of one column in one currency."""

    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)


@dataclass
class Column:
    stage: Stage
    totals: dict[str, Money] = field(default_factory=dict)
    cards: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None

    @property
    def count(self) -> int:
        return sum(m.count for m in self.totals.values())


def _scope_q_totals(user: Any) -> Q | None:
    scope = user_scope(user, "opportunity", Action.VIEW)
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.TEAM:
        return Q(owner_id_value=user.pk) | Q(team_id_value__in=user_team_ids(user))
    if scope == Scope.OWN:
        return Q(owner_id_value=user.pk)
    return None


def column_totals(*, user: Any, pipeline: Pipeline, filters: BoardFilters) -> dict[int, dict[str, Money]]:
    """Count, amount and weighted amount per stage and currency, inside the user's scope and the filters."""
    out: dict[int, dict[str, Money]] = defaultdict(dict)
    scope = _scope_q_totals(user)
    if scope is None:
        return out
    if filters.q:
        # free text cannot be answered by the running totals: sum the matching rows (narrow by nature)
        return _summed(opportunities_for(user).filter(pipeline=pipeline), filters, out)
    rows = StageTotal.objects.filter(scope, pipeline=pipeline)
    if filters.owner is not None:
        rows = rows.filter(owner_id_value=filters.owner)
    if filters.team is not None:
        rows = rows.filter(team_id_value=filters.team)
    edges: list[tuple[dt.date, dt.date]] = []
    if filters.close_from is not None or filters.close_to is not None:
        full, edges = split_months(filters.close_from, filters.close_to)
        rows = rows.exclude(close_month__isnull=True)
        if full[0] is not None:
            rows = rows.filter(close_month__gte=full[0])
        if full[1] is not None:
            rows = rows.filter(close_month__lte=full[1])
    grouped = rows.values("stage_id", "currency").annotate(
        n=Sum("count"), amount=Sum("amount_cents"), weighted=Sum("weighted_cents_pct")
    )
    for row in grouped:
        money = out[row["stage_id"]].setdefault(row["currency"], Money())
        money.count += row["n"] or 0
        money.amount += Decimal(row["amount"] or 0) / 100
        money.weighted += Decimal(row["weighted"] or 0) / 10000
    if edges:
        # both partial months in one statement
        in_edges = Q()
        for lo, hi in edges:
            in_edges |= Q(expected_close_date__gte=lo, expected_close_date__lte=hi)
        base = opportunities_for(user).filter(in_edges, pipeline=pipeline)
        _summed(base, BoardFilters(owner=filters.owner, team=filters.team), out)
    for stage_totals in out.values():
        for money in stage_totals.values():
            money.amount = money.amount.quantize(Decimal("0.01"))
            money.weighted = money.weighted.quantize(Decimal("0.01"))
    return out


def _summed(qs: QuerySet[Opportunity], filters: BoardFilters, out: dict[int, dict[str, Money]]):
    grouped = (
        _filtered(qs, filters)
        .values("stage_id", "currency")
        .annotate(n=Count("id"), total=Sum("amount"), weighted_sum=Sum(F("amount") * F("probability")))
    )
    for row in grouped:
        money = out[row["stage_id"]].setdefault(row["currency"], Money())
        money.count += row["n"]
        money.amount += Decimal(str(row["total"] or 0))
        money.weighted += Decimal(str(row["weighted_sum"] or 0)) / 100
    return out


def board_cards(
    *, user: Any, pipeline: Pipeline, stage: Stage, filters: BoardFilters, cursor: str | None, size: int
) -> Page:
    """One page of a column's cards, most recently moved first (keyset on the board index)."""
    qs = _filtered(opportunities_for(user).filter(pipeline=pipeline, stage=stage), filters)
    ordering, kinds = board_order(filters)
    page = keyset_page(qs.values(*CARD_FIELDS), ordering=ordering, kinds=kinds, cursor=cursor, size=size)
    add_party_names(page.items)
    return page


def add_party_names(cards: list[dict[str, Any]]) -> None:
    """Each card's customer name, read for all the cards at once by primary key."""
    ids = {c["party_id"] for c in cards}
    names = dict(Party.all_objects.filter(pk__in=ids).values_list("pk", "display_name")) if ids else {}
    for card in cards:
        card["party__display_name"] = names.get(card["party_id"], "")


def pipeline_board(
    *, user: Any, pipeline: Pipeline, filters: BoardFilters, per_column: int = CARDS_PER_COLUMN
) -> list[Column]:
    """The board: every active stage in order with its totals and first cards."""
    stages = list(Stage.objects.filter(pipeline=pipeline, is_active=True).order_by("position", "pk"))
    totals = column_totals(user=user, pipeline=pipeline, filters=filters)
    columns = [Column(stage=s, totals=totals.get(s.pk, {})) for s in stages]
    base = _filtered(opportunities_for(user).filter(pipeline=pipeline), filters)
    ordering, _kinds = board_order(filters)
    by_stage = _first_cards(base, stages, ordering, per_column + 1)
    add_party_names([row for rows in by_stage.values() for row in rows])
    for column in columns:
        rows = by_stage[column.stage.pk]
        column.cards = rows[:per_column]
        if len(rows) > per_column:
            last = column.cards[-1]
            column.next_cursor = encode_cursor([last[name.lstrip("-")] for name in ordering])
    return columns


def _first_cards(
    base: QuerySet[Opportunity], stages: list[Stage], ordering: tuple[str, ...], limit: int
) -> dict[int, list[dict[str, Any]]]:
    """The first ``limit`` cards of every column: one LIMITed scan of the board index per column.

    PostgreSQL runs the scans as one UNION ALL statement (each branch keeps its ORDER BY and LIMIT): at a
    million deals the board spent most of its time in the round trips of 17 short statements. SQLite
    allows no LIMIT inside a compound SELECT, so it gets one statement per column (a window function
    would rank every card of the pipeline instead).
    """
    parts = [base.filter(stage=s).order_by(*ordering).values(*CARD_FIELDS)[:limit] for s in stages]
    if len(parts) < 2 or not connection.features.supports_slicing_ordering_in_compound:
        return {s.pk: list(part) for s, part in zip(stages, parts, strict=True)}
    by_stage: dict[int, list[dict[str, Any]]] = {s.pk: [] for s in stages}
    for row in parts[0].union(*parts[1:], all=True):
        by_stage[row["stage_id"]].append(row)
    # a compound statement promises no order across its branches: restore each column's own order
    names = [name.lstrip("-") for name in ordering]
    descending = ordering[0].startswith("-")
    for rows in by_stage.values():
        rows.sort(key=lambda r: tuple(r[n] for n in names), reverse=descending)
    return by_stage


def owner_label(card: Mapping[str, Any]) -> str:
    name = f"{card.get('owner__first_name') or ''} {card.get('owner__last_name') or ''}".strip()
    return name or card.get("owner__username") or _("Nobody")


def opportunity_detail(*, user: Any, pk: int) -> Opportunity | None:
    """One opportunity the user may see, with what its page shows."""
    return (
        opportunities_for(user)
        .select_related(
            "party", "organisation", "pipeline", "stage", "owner", "team", "lost_reason", "created_by"
        )
        .filter(pk=pk)
        .first()
    )


def stage_history(*, opportunity: Opportunity) -> list[StageChange]:
    """The stage changes of an opportunity, oldest first, with the time spent in each stage."""
    return list(
        StageChange.objects.filter(opportunity=opportunity)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("changed_at", "pk")
    )


LIST_ORDERS = {
    "-created": (("-created_at", "-id"), ("datetime", "int")),
    "-updated": (("-updated_at", "-id"), ("datetime", "int")),
    "-moved": (("-stage_entered_at", "-id"), ("datetime", "int")),
}


def opportunity_list(
    *,
    user: Any,
    filters: BoardFilters,
    pipeline: int | None = None,
    stage: int | None = None,
    status: str | None = None,
    party: int | None = None,
    cursor: str | None,
    size: int,
    sort: str = "-created",
) -> Page:
    """Opportunities in the user's scope, filtered, in keyset pages (no COUNT over the whole table)."""
    qs = _filtered(opportunities_for(user), filters).select_related("party", "stage", "pipeline", "owner")
    if pipeline is not None:
        qs = qs.filter(pipeline_id=pipeline)
    if stage is not None:
        qs = qs.filter(stage_id=stage)
    if status:
        qs = qs.filter(status=status)
    if party is not None:
        qs = qs.filter(Q(party_id=party) | Q(organisation_id=party))
    ordering, kinds = LIST_ORDERS.get(sort, LIST_ORDERS["-created"])
    return keyset_page(qs, ordering=ordering, kinds=kinds, cursor=cursor, size=size)
