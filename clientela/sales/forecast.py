"""The sales forecast: selectors over ``StageTotal`` and ``ConversionRate``, and the rates refresh service.

Everything here is a plain function with explicit arguments (a benchmark can time it):

* ``forecast_filters(params)`` parses and checks the query string (page, CSV and API share it);
* ``forecast_report(user=..., filters=...)`` answers the whole forecast in a fixed number of queries, whatever
  the number of opportunities: the open pipeline comes from the few ``StageTotal`` rows, the historical
  forecast applies ``ConversionRate`` to them, and won amounts per period come from the opportunities in
  a won stage, by ``stage_entered_at`` (index ``ix_opp_board``: pipeline, stage, stage_entered_at), one
  conditional-sum query, the past periods cached; beside them, the forecast at each past period's start
  from ``ForecastSnapshot`` (``snapshots.snapshot_per_period``, one query);
* ``forecast_rates_refresh()`` (in ``forecast_rates``, re-exported here) recomputes ``ConversionRate`` from
  ``StageChange`` in one grouped query.

Money is never added across currencies: the report is in one currency and lists the others apart.
``StageTotal`` has no row-level permission of its own, so ``totals_scope_q`` applies the user's opportunity
scope to its owner and team columns, the same rule ``Opportunity.objects.restrict`` applies to rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.cache import cache
from django.db.models import BigIntegerField, Count, F, Q, Sum
from django.db.models.functions import Cast, Round
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clientela.core.permissions import Action, Scope, user_scope, user_team_ids
from clientela.sales.choices import ForecastCategory
from clientela.sales.forecast_rates import forecast_rates_refresh
from clientela.sales.models import ConversionRate, Opportunity, Pipeline, Stage, StageTotal

__all__ = ["forecast_filters", "forecast_rates_refresh", "forecast_report", "totals_scope_q"]

# A stage's historical win rate is used once this many opportunities that entered it have closed;
# below that, the stage's configured probability stands in (and the page says so).
MIN_CLOSED_HISTORY = 20
MAX_HORIZON = 24
# past periods' wins are cached this long (the current period is always live)
WON_CACHE_SECONDS = 600
DEFAULT_HORIZON = {"month": 6, "quarter": 4}
# The categories that count in the forecast, most certain first; "omitted" is reported apart.
FORECAST_CATEGORIES = (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE, ForecastCategory.PIPELINE)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- filters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastFilters:
    """What the forecast is about; ``pipeline_id`` None means the default pipeline, ``currency`` "" its
    currency, ``today`` None the current local date (tests and benchmarks pin it)."""

    pipeline_id: int | None = None
    period: str = "month"
    owner_id: int | None = None
    team_id: int | None = None
    currency: str = ""
    horizon: int | None = None
    today: dt.date | None = None


def _int(params: Mapping[str, Any], name: str, errors: dict[str, str]) -> int | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        errors[name] = _("Enter a whole number.")
        return None
    return int(raw)


def forecast_filters(params: Mapping[str, Any]) -> tuple[ForecastFilters, dict[str, str]]:
    """Filters from a query string, and the messages of the invalid ones (which are then ignored)."""
    errors: dict[str, str] = {}
    period = str(params.get("period") or "month")
    if period not in DEFAULT_HORIZON:
        errors["period"] = _("Choose one of: %(choices)s.") % {"choices": "month, quarter"}
        period = "month"
    currency = str(params.get("currency") or "").strip().upper()
    if currency and not _CURRENCY.match(currency):
        errors["currency"] = _("Enter a three-letter currency code (ISO 4217), e.g. EUR.")
        currency = ""
    horizon = _int(params, "horizon", errors)
    if horizon is not None and not 1 <= horizon <= MAX_HORIZON:
        errors["horizon"] = _("Enter a number from 1 to %(max)s.") % {"max": MAX_HORIZON}
        horizon = None
    pipeline_id = _int(params, "pipeline", errors)
    if pipeline_id is not None and not Pipeline.objects.filter(pk=pipeline_id).exists():
        errors["pipeline"] = _("Unknown pipeline.")
        pipeline_id = None
    filters = ForecastFilters(
        pipeline_id=pipeline_id,
        period=period,
        owner_id=_int(params, "owner", errors),
        team_id=_int(params, "team", errors),
        currency=currency,
        horizon=horizon,
    )
    return filters, errors


def totals_scope_q(user: Any, action: str = Action.VIEW) -> Q | None:
    """The user's opportunity scope over ``StageTotal`` rows (None: no rows; empty Q: all rows).

    ``user`` None is the system (commands, benchmarks): every row."""
    if user is None:
        return Q()
    scope = user_scope(user, "opportunity", action)
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.TEAM:
        return Q(owner_id_value=user.pk) | Q(team_id_value__in=user_team_ids(user))
    if scope == Scope.OWN:
        return Q(owner_id_value=user.pk)
    return None


# --- periods -----------------------------------------------------------------------------------------------


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return day.replace(day=1)


def period_shift(start: dt.date, period: str, steps: int) -> dt.date:
    months = start.year * 12 + start.month - 1 + steps * (3 if period == "quarter" else 1)
    return dt.date(months // 12, months % 12 + 1, 1)


def period_label(start: dt.date, period: str) -> str:
    if period == "quarter":
        return _("Q%(quarter)s %(year)s") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


# --- the report --------------------------------------------------------------------------------------------


def _money(cents: int | Decimal) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _weighted(cents_pct: int | Decimal) -> Decimal:
    """Exact (cents x percent / 10000 has at most four decimals); rounded to cents once, at the end."""
    return Decimal(cents_pct) / 10000


@dataclass
class PeriodRow:
    """One period of the open pipeline (``kind`` "period"), or a bucket outside the horizon: "overdue"
    (expected before the current period), "later" or "undated". Amounts are unweighted unless named."""

    start: dt.date | None
    label: str
    kind: str = "period"
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    commit: Decimal = ZERO  # amount in "commit"
    best_case: Decimal = ZERO  # amount in "commit" + "best case"
    weighted_by_category: dict[str, Decimal] = field(default_factory=dict)
    historical: Decimal = ZERO
    won: Decimal | None = None  # won so far (past periods and the current one)
    won_count: int = 0
    # past periods: the latest snapshot taken on or before the period's first day (None: no snapshot)
    forecast_on: dt.date | None = None
    forecast_weighted: Decimal | None = None
    forecast_historical: Decimal | None = None


@dataclass
class StageRow:
    """Open pipeline in one stage, with the probability the historical forecast gives it."""

    stage_id: int
    name: str
    probability: int
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    commit: Decimal = ZERO
    best_case: Decimal = ZERO
    historical: Decimal = ZERO
    win_rate: float | None = None  # historical share won, when there is enough history
    won: int = 0  # of the closed opportunities that entered the stage, how many were won
    closed: int = 0  # closed opportunities behind the rate
    median_days: float | None = None
    uses_history: bool = False


@dataclass
class GroupRow:
    """Open pipeline of one forecast category, one owner or one other currency."""

    key: str
    label: str
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    commit: Decimal = ZERO
    best_case: Decimal = ZERO


@dataclass
class ForecastReport:
    """Everything the forecast page, its CSV files and the API show, in ``currency`` only."""

    pipeline: Pipeline
    period: str
    currency: str
    today: dt.date
    periods: list[PeriodRow]  # overdue, the horizon, later, undated (buckets only when not empty)
    past: list[PeriodRow]  # the periods before the current one, with what was won
    stages: list[StageRow]
    categories: list[GroupRow]  # commit, best case, pipeline, omitted (omitted is not in the totals)
    owners: list[GroupRow]
    other_currencies: list[GroupRow]
    total: GroupRow
    historical_total: Decimal
    rates_computed_at: dt.datetime | None
    min_history: int

    @property
    def fallback_stages(self) -> list[str]:
        return [s.name for s in self.stages if not s.uses_history]


def _rates(pipeline: Pipeline, stages: list[Stage], min_history: int) -> tuple[dict[int, StageRow], Any]:
    rates = {r.stage_id: r for r in ConversionRate.objects.filter(pipeline=pipeline)}
    rows: dict[int, StageRow] = {}
    for stage in stages:
        row = StageRow(stage.pk, stage.name, stage.probability)
        rate = rates.get(stage.pk)
        if rate is not None:
            row.won = rate.won
            row.closed = rate.won + rate.lost
            row.median_days = rate.median_days_to_close
            if row.closed >= min_history:
                row.uses_history = True
                row.win_rate = rate.won / row.closed
        rows[stage.pk] = row
    computed = max((r.computed_at for r in rates.values()), default=None)
    return rows, computed


def _historical(amount_cents: int, rate: StageRow) -> Decimal:
    """The amount times the stage's historical win rate (its probability when history is thin)."""
    if rate.uses_history:
        return Decimal(amount_cents) * rate.won / rate.closed / 100
    return Decimal(amount_cents) * rate.probability / 10000


def _scoped_totals(user: Any, pipeline: Pipeline, filters: ForecastFilters, action: str):
    """The pipeline's ``StageTotal`` rows inside the user's scope and the filters (None: no scope)."""
    scope = totals_scope_q(user, action)
    if scope is None:
        return None
    qs = StageTotal.objects.filter(scope, pipeline=pipeline)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id_value=filters.owner_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id_value=filters.team_id)
    return qs.exclude(count=0)


def _sums(qs, *fields: str):
    return qs.values(*fields).annotate(n=Sum("count"), a=Sum("amount_cents"), w=Sum("weighted_cents_pct"))


def _add(row: Any, category: str, n: int, cents: int, weighted: int) -> None:
    row.count += n
    row.amount += _money(cents)
    row.weighted += _weighted(weighted)
    if category == ForecastCategory.COMMIT:
        row.commit += _money(cents)
    if category in (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE):
        row.best_case += _money(cents)


def forecast_report(
    *,
    user: Any,
    filters: ForecastFilters,
    action: str = Action.VIEW,
    min_history: int = MIN_CLOSED_HISTORY,
) -> ForecastReport:
    """The forecast of one pipeline in one currency, restricted to the opportunities ``user`` may see
    (``user`` None: all of them); about nine queries whatever the number of opportunities.

    Weighted and historical amounts are summed exactly and rounded to cents at the end, so a total can
    differ from the sum of its rounded rows by a cent or so."""
    pipeline = (
        Pipeline.objects.get(pk=filters.pipeline_id)
        if filters.pipeline_id
        else Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    )
    if pipeline is None:
        raise Pipeline.DoesNotExist
    period = filters.period
    currency = filters.currency or pipeline.currency
    today = filters.today or timezone.localdate()
    horizon = filters.horizon or DEFAULT_HORIZON[period]
    current = period_start(today, period)
    all_stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "pk"))
    stages = [s for s in all_stages if not s.is_won and not s.is_lost]
    won_stages = [s for s in all_stages if s.is_won]
    rates, computed_at = _rates(pipeline, stages, min_history)

    starts = [period_shift(current, period, i) for i in range(horizon)]
    periods = {s: PeriodRow(s, period_label(s, period)) for s in starts}
    overdue = PeriodRow(None, _("Overdue"), kind="overdue")
    later = PeriodRow(None, _("Later"), kind="later")
    undated = PeriodRow(None, _("No close date"), kind="undated")
    categories = {
        c.value: GroupRow(c.value, str(c.label)) for c in (*FORECAST_CATEGORIES, ForecastCategory.OMITTED)
    }
    total = GroupRow("total", _("Total"))
    others: dict[str, GroupRow] = {}
    owners: dict[int, GroupRow] = {}
    historical_total = ZERO

    def bucket(month: dt.date | None) -> PeriodRow:
        if month is None:
            return undated
        start = period_start(month, period)
        if start < current:
            return overdue
        return periods.get(start, later)

    scoped = _scoped_totals(user, pipeline, filters, action)
    base = scoped.filter(stage__in=stages) if scoped is not None else None
    rows = _sums(base, "currency", "stage_id", "forecast_category", "close_month") if base is not None else []
    for r in rows:
        n, cents, weighted, category = r["n"], r["a"], r["w"], r["forecast_category"]
        if r["currency"] != currency:
            other = others.setdefault(r["currency"], GroupRow(r["currency"], r["currency"]))
            if category != ForecastCategory.OMITTED:
                _add(other, category, n, cents, weighted)
            continue
        if category in categories:
            _add(categories[category], category, n, cents, weighted)
        if category not in FORECAST_CATEGORIES:
            continue  # omitted (or a stray "closed" on an open stage): not forecast
        _add(total, category, n, cents, weighted)
        row = bucket(r["close_month"])
        _add(row, category, n, cents, weighted)
        row.weighted_by_category[category] = row.weighted_by_category.get(category, 0) + _weighted(weighted)
        rate = rates.get(r["stage_id"])
        if rate is None:  # a stage made inactive or moved: no history, keep its weighted amount
            continue
        _add(rate, category, n, cents, weighted)
        historical = _historical(cents, rate)
        rate.historical += historical
        historical_total += historical
        # the owner's month stands unless it is past or missing; then the stage's cycle time from today
        month = r["close_month"]
        if month is None or period_start(month, period) < current:
            days = rate.median_days if rate.median_days is not None else 0
            month = today + dt.timedelta(days=round(days))
        target = bucket(month)
        target.historical += historical

    if base is not None:
        for r in _sums(base.filter(currency=currency), "owner_id_value", "forecast_category"):
            if r["forecast_category"] not in FORECAST_CATEGORIES:
                continue
            owner = owners.setdefault(r["owner_id_value"], GroupRow(str(r["owner_id_value"]), ""))
            _add(owner, r["forecast_category"], r["n"], r["a"], r["w"])
    _name_owners(owners)

    past = _won_per_period(user, scoped, won_stages, filters, action, currency, current, horizon, periods)
    from clientela.sales.snapshots import snapshot_per_period  # here: it imports this module

    starts = [cast(dt.date, p.start) for p in past]
    snaps = snapshot_per_period(
        user=user, pipeline=pipeline, filters=filters, action=action, currency=currency, starts=starts
    )
    for row, start in zip(past, starts, strict=True):
        row.forecast_on, row.forecast_weighted, row.forecast_historical = snaps[start] or (None, None, None)
    for row in (*periods.values(), overdue, later, undated, *past):
        row.weighted_by_category = {k: v.quantize(CENT) for k, v in row.weighted_by_category.items()}
    figures: list[Any] = [*periods.values(), overdue, later, undated, *rates.values(), *past]
    for item in figures:
        item.historical = item.historical.quantize(CENT)
    for group in (total, *categories.values(), *others.values(), *owners.values()):
        group.weighted = group.weighted.quantize(CENT)
    for item in figures:
        item.weighted = item.weighted.quantize(CENT)
    period_rows = [overdue] if overdue.count else []
    period_rows += list(periods.values())
    period_rows += [r for r in (later, undated) if r.count or r.historical]
    return ForecastReport(
        pipeline=pipeline,
        period=period,
        currency=currency,
        today=today,
        periods=period_rows,
        past=past,
        stages=list(rates.values()),
        categories=list(categories.values()),
        owners=sorted(owners.values(), key=lambda o: (-o.weighted, o.label)),
        other_currencies=sorted(others.values(), key=lambda o: o.key),
        total=total,
        historical_total=historical_total.quantize(CENT),
        rates_computed_at=computed_at,
        min_history=min_history,
    )


def _name_owners(owners: dict[int, GroupRow]) -> None:
    from clientela.accounts.models import User

    ids = [pk for pk in owners if pk]
    names = {
        u.pk: (u.get_full_name() or u.username)
        for u in User.objects.filter(pk__in=ids).only("pk", "username", "first_name", "last_name")
    }
    for pk, row in owners.items():
        row.label = names.get(pk, _("Nobody") if not pk else _("Former user #%(id)s") % {"id": pk})


def _won_per_period(
    user: Any,
    scoped: Any,
    won_stages: list[Stage],
    filters: ForecastFilters,
    action: str,
    currency: str,
    current: dt.date,
    horizon: int,
    periods: dict[dt.date, PeriodRow],
) -> list[PeriodRow]:
    """Won amounts per period, from the past ``horizon`` periods to the current one (filled in place).

    Read from the opportunities now in a won stage, by the time they entered it (``stage_entered_at``): a
    deal won, re-opened and won again counts once, in its last month; one re-opened and still open not at
    all. The periods before the current one are cached for ``WON_CACHE_SECONDS`` (they change only when
    a won deal is re-opened, deleted or edited, which also changes the won stage's running totals: their
    count and sum are part of the cache key); the current period is always read live."""
    period = filters.period
    first = period_shift(current, period, -horizon)
    past = [PeriodRow(s, period_label(s, period), kind="past") for s in _range(first, current, period)]
    periods[current].won = ZERO
    if not won_stages or scoped is None:
        return past
    pipeline_id = won_stages[0].pipeline_id
    won_ids = [s.pk for s in won_stages]
    qs = Opportunity.objects.restrict(user, action) if user is not None else Opportunity.objects.all()
    qs = qs.filter(pipeline_id=pipeline_id, stage_id__in=won_ids, currency=currency)
    # 0 is "nobody" / "no team", as in StageTotal
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id or None)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id or None)
    fingerprint = scoped.filter(stage_id__in=won_ids, currency=currency).aggregate(
        n=Sum("count"), a=Sum("amount_cents")
    )
    key = _won_cache_key(user, action, pipeline_id, currency, filters, first, current, fingerprint)
    cached = cache.get(key)
    if cached is None:
        # past periods always have a start (only the undated bucket has none, and it is not past)
        cached = _won_sums(qs, [cast(dt.date, r.start) for r in past], current)
        cache.set(key, cached, WON_CACHE_SECONDS)
    for row, (n, cents) in zip(past, cached, strict=True):
        row.won, row.won_count = _money(cents), n
    ((n, cents),) = _won_sums(qs, [current], period_shift(current, period, 1))
    periods[current].won, periods[current].won_count = _money(cents), n
    return past


def _won_sums(qs, starts: list[dt.date], end: dt.date) -> list[tuple[int, int]]:
    """(count, cents) won per period starting at each of ``starts`` (the last one ends at ``end``), in
    one query of conditional sums; integer cents keep SQLite's sums exact."""
    if not starts:
        return []
    tz = timezone.get_current_timezone()

    def aware(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)

    cents = Cast(Round(F("amount") * 100), BigIntegerField())
    aggregates: dict[str, Any] = {}
    for i, (start, stop) in enumerate(zip(starts, [*starts[1:], end], strict=True)):
        within = Q(stage_entered_at__gte=aware(start), stage_entered_at__lt=aware(stop))
        aggregates[f"n{i}"] = Count("id", filter=within)
        aggregates[f"a{i}"] = Sum(cents, filter=within)
    sums = qs.filter(stage_entered_at__gte=aware(starts[0]), stage_entered_at__lt=aware(end)).aggregate(
        **aggregates
    )
    return [(sums[f"n{i}"] or 0, sums[f"a{i}"] or 0) for i in range(len(starts))]


def _won_cache_key(
    user: Any, action: str, pipeline_id: int, currency: str, filters, first, current, fingerprint
) -> str:
    """What the cached past wins depend on, the user's scope included (never another scope's figures)."""
    scope = Scope.ALL if user is None else user_scope(user, "opportunity", action)
    who = "" if scope == Scope.ALL else f"{user.pk}"
    if scope == Scope.TEAM:
        who += "-" + ".".join(str(t) for t in sorted(user_team_ids(user)))
    return (
        f"clientela:forecast:won:{pipeline_id}:{currency}:{filters.owner_id}:{filters.team_id}:"
        f"{scope}:{who}:{filters.period}:{first.isoformat()}:{current.isoformat()}:"
        f"{fingerprint['n']}:{fingerprint['a']}"
    )


def _range(first: dt.date, stop: dt.date, period: str) -> list[dt.date]:
    out = []
    while first < stop:
        out.append(first)
        first = period_shift(first, period, 1)
    return out
