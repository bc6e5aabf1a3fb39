"""Customer scores (``CustomerScore``): one row per customer, from its ledger rows and its currency's fit.

Two paths write them and share ``score_figures`` and ``score_rows``, so for the same ledger and the
same fit they give the same numbers (a test holds them to it):

* the full refit (``services.analytics_refit``) fits the models and rewrites every row;
* ``party_scores_refresh(party_ids)`` (this module) recomputes a few customers against the stored
  current fit of their currency: RFM scores against the stored quintile breakpoints, the model figures
  from the stored parameters. It runs after every ledger write (a listener of ``party_stats_refresh``)
  and after identity merges.

A customer whose currency has no fit yet gets no row: there is nothing to compare its figures with.
A fit that did not converge, or had too few customers, gives RFM figures but no model figures, with the
reason in ``excluded_reason`` (never a number from parameters that are not a maximum).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from clientela.analytics.ledger import from_days, ledger_rows, to_days
from clientela.analytics.models import CustomerScore, ModelFit
from clientela.core.bulk import TableWriter

CHUNK = 2000
# English notes stored in excluded_reason (readable in exports; the text is the msgid shown on screen)
REASON_TEXT = {
    "no purchases": gettext_noop("no purchases"),
    "returns larger than purchases": gettext_noop("returns larger than purchases"),
    "net value not positive": gettext_noop("net value not positive"),
    "too_few": gettext_noop("too few customers in this currency to fit the models"),
    "not_converged": gettext_noop("the value models did not converge for this currency"),
    "failed": gettext_noop("the value models could not be fitted for this currency"),
    "no_gamma_gamma": gettext_noop("the order value model did not converge for this currency"),
}
# churn_reason codes of clv.value.churn_risk
CHURN_TEXT = {
    "ok": gettext_noop("buying at its usual rhythm"),
    "overdue_2x": gettext_noop("more than twice its usual time between purchases since the last one"),
    "p_alive_below_60": gettext_noop("probability of still being a customer below 60%"),
    "p_alive_below_30": gettext_noop("probability of still being a customer below 30%"),
    "overdue_3x_and_p_alive_below_50": gettext_noop(
        "more than three times its usual time between purchases, and probability alive below 50%"
    ),
    "single_purchase_overdue_3x": gettext_noop(
        "bought once, more than three times the usual time between purchases ago"
    ),
}
# "3 purchases in USD left out" (parsed back on screen to translate it with ngettext)
LEFT_OUT = "{n} purchases in {currency} left out"
LEFT_OUT_ONE = "1 purchase in {currency} left out"

# CustomerScore columns written by both paths, in the order of ``score_rows``' tuples
COLUMNS = (
    "party",
    "currency",
    "as_of",
    "first_purchase_at",
    "last_purchase_at",
    "purchases",
    "frequency",
    "recency_days",
    "t_x_days",
    "age_days",
    "monetary",
    "returns_total",
    "average_order_value",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "p_alive",
    "expected_purchases",
    "expected_order_value",
    "clv",
    "churn_risk",
    "churn_reason",
    "excluded_reason",
    "fit",
)
UPDATE = (*(c for c in COLUMNS if c != "party"), "updated_at")


@dataclass
class FitParams:
    """What scoring needs from a fit: breakpoints, parameters (None when not usable), settings."""

    fit_id: int | None
    breakpoints: dict[str, Any] | None
    bgnbd: dict[str, float] | None
    gamma_gamma: dict[str, float] | None
    horizon_days: int
    monthly_discount: float
    # why the model figures are missing for everyone in this currency ("" when they are there)
    reason: str = ""
    # the population's median time between purchases: the rhythm of customers without repeat purchases
    # (stored with the fit, so a customer rescored alone is judged as in the batch)
    population_rhythm_days: float | None = None
    # the order value of customers without repeat purchases chosen by the batch fit
    single_purchase_value: float | None = None

    @classmethod
    def from_fit(cls, fit: ModelFit) -> FitParams:
        """The stored fit as scoring reads it: a model that did not converge gives no figures (Gamma-Gamma
        needs BG/NBD too), and ``reason`` says why for everyone in the currency."""
        stats = fit.stats or {}
        bg_ok = bool(fit.bgnbd) and bool(stats.get("bgnbd", {}).get("converged"))
        gg_ok = bg_ok and bool(fit.gamma_gamma) and bool(stats.get("gamma_gamma", {}).get("converged"))
        if gg_ok:
            reason = ""
        elif bg_ok:
            reason = "no_gamma_gamma"
        else:
            reason = fit.status if fit.status in REASON_TEXT else "failed"
        rhythm = stats.get("population_rhythm_days")
        single = stats.get("single_purchase_value")
        return cls(
            fit_id=fit.pk,
            breakpoints=fit.rfm or None,
            bgnbd=_floats(fit.bgnbd) if bg_ok else None,
            gamma_gamma=_floats(fit.gamma_gamma) if gg_ok else None,
            horizon_days=fit.horizon_days,
            monthly_discount=float(fit.discount_rate),
            reason=reason,
            population_rhythm_days=float(rhythm) if rhythm is not None else None,
            single_purchase_value=float(single) if single is not None else None,
        )


def _floats(params: Mapping[str, Any] | None) -> dict[str, float] | None:
    if not params:
        return None
    return {k: float(v) for k, v in params.items() if isinstance(v, int | float)}


def score_figures(summary: Any, params: FitParams) -> dict[str, np.ndarray]:
    """Per-customer model figures for ``summary`` (rfm.Summary) under ``params``; NaN where none apply."""
    from clientela.analytics.clv import bgnbd, gamma_gamma, value

    n = len(summary.customer)
    nan = np.full(n, np.nan)
    excluded = np.zeros(n, dtype=bool)
    for mask in (summary.excluded or {}).values():
        excluded |= np.asarray(mask, dtype=bool)
    x = np.asarray(summary.frequency, dtype=np.float64)
    t_x = np.asarray(summary.t_x, dtype=np.float64)
    big_t = np.asarray(summary.T, dtype=np.float64)
    out = {
        "p_alive": nan.copy(),
        "expected_purchases": nan.copy(),
        "expected_order_value": nan.copy(),
        "clv": nan.copy(),
        "churn_risk": np.full(n, "", dtype=object),
        "churn_reason": np.full(n, "", dtype=object),
    }
    ok = ~excluded
    if params.bgnbd is None or not ok.any():
        return out
    # the same steps as clv.pipeline.score_all, against stored parameters instead of fitted ones
    with np.errstate(all="ignore"):
        p_alive = bgnbd.p_alive(params.bgnbd, x[ok], t_x[ok], big_t[ok])
        expected = bgnbd.expected_purchases(
            params.bgnbd, float(params.horizon_days), x[ok], t_x[ok], big_t[ok]
        )
    bg_ok = np.isfinite(p_alive) & np.isfinite(expected)
    risk, reason = value.churn_risk(
        p_alive,
        np.asarray(summary.recency_days)[ok],
        t_x[ok],
        x[ok],
        population_rhythm_days=params.population_rhythm_days,
    )
    out["p_alive"][ok] = np.where(bg_ok, p_alive, np.nan)
    out["expected_purchases"][ok] = np.where(bg_ok, expected, np.nan)
    out["churn_risk"][ok] = np.where(bg_ok, np.asarray(risk).astype(object), "")
    out["churn_reason"][ok] = np.where(bg_ok, np.asarray(reason).astype(object), "")
    if params.gamma_gamma is not None:
        m = np.asarray(summary.mean_repeat_value, dtype=np.float64)[ok]
        with np.errstate(all="ignore"):
            order_value = gamma_gamma.expected_value(
                params.gamma_gamma, x[ok], m, single_purchase_value=params.single_purchase_value
            )
            lifetime = value.clv(
                params.bgnbd,
                params.gamma_gamma,
                x[ok],
                t_x[ok],
                big_t[ok],
                m,
                horizon_days=float(params.horizon_days),
                monthly_discount=params.monthly_discount,
                order_value=order_value,
                expected_at_horizon=expected,
            )
        value_ok = bg_ok & np.isfinite(order_value) & np.isfinite(lifetime)
        out["expected_order_value"][ok] = np.where(value_ok, order_value, np.nan)
        out["clv"][ok] = np.where(value_ok, np.maximum(lifetime, 0.0), np.nan)
    return out


def _money(value: float) -> Decimal | None:
    if not math.isfinite(value):
        return None
    return Decimal(f"{value:.2f}")


def _float(value: float, *, low: float | None = None, high: float | None = None) -> float | None:
    if not math.isfinite(value):
        return None
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return float(value)


def left_out_text(counts: Mapping[str, int]) -> list[str]:
    """Notes on purchases in other currencies that were not added up: "3 purchases in USD left out"."""
    return [
        (LEFT_OUT_ONE if n == 1 else LEFT_OUT).format(n=n, currency=cur) for cur, n in sorted(counts.items())
    ]


def score_rows(
    *,
    currency: str,
    as_of: dt.datetime,
    summary: Any,
    r: np.ndarray,
    f: np.ndarray,
    m: np.ndarray,
    segments: np.ndarray,
    figures: Mapping[str, np.ndarray],
    params: FitParams,
    left_out: Mapping[int, Mapping[str, int]],
) -> list[tuple[Any, ...]]:
    """The CustomerScore rows (tuples in ``COLUMNS`` order) of one currency's customers."""
    reasons = {key: np.asarray(mask, dtype=bool) for key, mask in (summary.excluded or {}).items()}
    rows: list[tuple[Any, ...]] = []
    customers = summary.customer.tolist()
    for i, party_id in enumerate(customers):
        notes = [REASON_TEXT.get(key, key) for key, mask in reasons.items() if mask[i]]
        p_alive = _float(figures["p_alive"][i], low=0.0, high=1.0)
        if not notes and params.reason and not math.isfinite(figures["clv"][i]):
            # no model figures (or BG/NBD ones without an order value model) for the whole currency
            notes.append(REASON_TEXT.get(params.reason, params.reason))
        notes += left_out_text(left_out.get(party_id, {}))
        purchases = int(summary.purchases[i])
        monetary = float(summary.monetary[i])
        rows.append(
            (
                party_id,
                currency,
                as_of,
                from_days(summary.first_t[i]),
                from_days(summary.last_t[i]),
                purchases,
                int(summary.frequency[i]),
                max(0.0, float(summary.recency_days[i])),
                float(summary.t_x[i]),
                float(summary.T[i]),
                _money(monetary) or Decimal(0),
                _money(abs(float(summary.returns[i]))) or Decimal(0),
                _money(monetary / purchases) if purchases else None,
                int(r[i]),
                int(f[i]),
                int(m[i]),
                str(segments[i] or ""),
                p_alive,
                _float(figures["expected_purchases"][i], low=0.0),
                _money(figures["expected_order_value"][i]),
                _money(figures["clv"][i]),
                str(figures["churn_risk"][i] or ""),
                str(figures["churn_reason"][i] or "")[:300],
                "; ".join(notes)[:300],
                params.fit_id,
            )
        )
    return rows


def score_currency(
    *,
    currency: str,
    as_of: dt.datetime,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    params: FitParams,
    left_out: Mapping[int, Mapping[str, int]],
    summary: Any = None,
) -> list[tuple[Any, ...]]:
    """Rows for the customers in ``arrays`` (customer, days, amount) scored against ``params``."""
    from clientela.analytics.clv import rfm

    party, days, amount = arrays
    if summary is None:
        summary = rfm.summarise(party, days, amount, to_days(as_of))
    if params.breakpoints:
        r, f, m, _ = rfm.score(summary, params.breakpoints)
    else:
        r, f, m, _ = rfm.score(summary)
    segments = rfm.segment(r, f, m)
    figures = score_figures(summary, params)
    return score_rows(
        currency=currency,
        as_of=as_of,
        summary=summary,
        r=r,
        f=f,
        m=m,
        segments=segments,
        figures=figures,
        params=params,
        left_out=left_out,
    )


def write_scores(rows: Sequence[tuple[Any, ...]], *, replace: bool = False) -> None:
    """Upsert score rows (``replace``: plain inserts into an emptied table, COPY on PostgreSQL)."""
    writer = TableWriter(CustomerScore, COLUMNS)
    for start in range(0, len(rows), 10_000):
        batch = rows[start : start + 10_000]
        if replace:
            writer.insert(batch)
        else:
            writer.upsert(batch, conflict=["party"], update=UPDATE)


def current_fits() -> dict[str, ModelFit]:
    """The current fit of each currency."""
    return {fit.currency: fit for fit in ModelFit.objects.filter(is_current=True)}


def party_scores_refresh(party_ids: Iterable[int], *, as_of: dt.datetime | None = None) -> int:
    """Recompute the scores of ``party_ids`` from their current ledger rows against the stored current
    fit of their currency; returns how many rows were written (rows of customers with nothing left to
    score are deleted). Cheap when nothing was ever fitted: one query."""
    ids = sorted({int(p) for p in party_ids})
    if not ids:
        return 0
    fits = current_fits()
    if not fits:
        return 0
    moment = as_of or timezone.now()
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        ledger = ledger_rows(as_of=moment, party_ids=chunk, count_skipped=False)
        rows: list[tuple[Any, ...]] = []
        for currency, arrays in ledger.by_currency.items():
            fit = fits.get(currency)
            if fit is None:
                continue  # the currency has never been fitted: the next refit scores it
            rows += score_currency(
                currency=currency,
                as_of=moment,
                arrays=arrays,
                params=FitParams.from_fit(fit),
                left_out=ledger.left_out.get(currency, {}),
            )
        scored = {row[0] for row in rows}
        with transaction.atomic():
            CustomerScore.objects.filter(party_id__in=[p for p in chunk if p not in scored]).delete()
            write_scores(rows)
        written += len(rows)
    return written
