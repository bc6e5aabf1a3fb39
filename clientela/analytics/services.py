"""The full recompute of the value models: fit per currency, store the fits, replace every customer score.

``analytics_refit`` streams the ledger's counted purchases and returns into numpy arrays (see
``clientela.analytics.ledger``: no model instances), fits RFM breakpoints, BG/NBD and Gamma-Gamma per
currency (``clientela.analytics.clv``), stores one ``ModelFit`` per currency (the only current one of
its currency) and replaces the ``CustomerScore`` rows. The figures are computed before anything is
written; the fits and every score row are then written in one transaction, so readers see either the
old scores or the new ones, never a mix (on SQLite the write lock is held while the rows are written).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics.ledger import LedgerRows, ledger_rows, to_days
from clientela.analytics.models import CustomerScore, FitStatus, ModelFit
from clientela.analytics.scores import FitParams, score_rows, write_scores
from clientela.core.actor import Actor
from clientela.core.events import publish
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, Scope, user_scope

logger = logging.getLogger("clientela.analytics")


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become null (PostgreSQL's jsonb refuses NaN), numpy scalars Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class CurrencyFit:
    """Everything computed for one currency before anything is written."""

    currency: str
    scored: Any  # clv.pipeline.Scored
    status: str
    message: str
    bgnbd: dict[str, float] = field(default_factory=dict)
    gamma_gamma: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, np.ndarray] = field(default_factory=dict)


def _figures(scored: Any) -> dict[str, np.ndarray]:
    """``Scored``'s arrays as ``scores.score_rows`` reads them: NaN where a customer has no model figure."""
    has_bg = np.asarray(scored.has_bgnbd, dtype=bool)
    has_value = np.asarray(scored.has_value, dtype=bool)
    return {
        "p_alive": np.where(has_bg, scored.p_alive, np.nan),
        "expected_purchases": np.where(has_bg, scored.expected_purchases, np.nan),
        "expected_order_value": np.where(has_value, scored.expected_order_value, np.nan),
        "clv": np.where(has_value, scored.clv, np.nan),
        "churn_risk": np.where(has_bg, scored.churn_risk, "").astype(object),
        "churn_reason": np.where(has_bg, scored.churn_reason, "").astype(object),
    }


def _fit_currency(
    currency: str,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    as_of: dt.datetime,
    horizon_days: int,
    monthly_discount: float,
    previous: ModelFit | None,
    left_out: dict[str, int],
) -> CurrencyFit:
    """Fit one currency's models and score its customers with ``clv.pipeline.score_all`` (nothing is
    written). A failure of the numerical code is reported as a failed fit, never raised."""
    from clientela.analytics.clv import pipeline

    started = time.perf_counter()
    warm = None
    if previous is not None:
        warm = {"bgnbd": previous.bgnbd or None, "gamma_gamma": previous.gamma_gamma or None}
    scored = pipeline.score_all(
        *arrays,
        to_days(as_of),
        horizon_days=float(horizon_days),
        monthly_discount=monthly_discount,
        previous=warm,
        min_customers=int(settings.CLIENTELA_ANALYTICS_MIN_CUSTOMERS),
    )
    summary = scored.summary
    included = summary.included
    stats = scored.stats()
    holdout_days = int(settings.CLIENTELA_ANALYTICS_HOLDOUT_DAYS)
    if holdout_days > 0 and scored.status in ("ok", "not_converged"):
        from clientela.analytics.clv.holdout import holdout_check

        try:
            check = holdout_check(
                *arrays,
                to_days(as_of),
                holdout_days=float(holdout_days),
                min_customers=int(settings.CLIENTELA_ANALYTICS_MIN_CUSTOMERS),
                initial=scored.bgnbd,
            )
            stats["holdout"] = check.as_dict()
        except (ValueError, FloatingPointError, ArithmeticError) as exc:
            stats["holdout"] = {"days": holdout_days, "status": "failed", "message": str(exc)}
    stats.update(
        {
            "single_purchase": int(((summary.purchases == 1) & included).sum()),
            "repeat_customers": int(((summary.frequency > 0) & included).sum()),
            "left_out_purchases": dict(sorted(left_out.items())),
            "total_seconds": round(time.perf_counter() - started, 3),
        }
    )
    return CurrencyFit(
        currency=currency,
        scored=scored,
        status=scored.status if scored.status in FitStatus.values else FitStatus.FAILED,
        message=scored.message,
        bgnbd=scored.bgnbd.params if scored.bgnbd is not None else {},
        gamma_gamma=(
            {"p": scored.gamma_gamma.p, "q": scored.gamma_gamma.q, "v": scored.gamma_gamma.v}
            if scored.gamma_gamma is not None
            else {}
        ),
        stats=stats,
        figures=_figures(scored),
    )


def _as_of(as_of: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if as_of is None:
        return now
    if timezone.is_naive(as_of):
        as_of = timezone.make_aware(as_of)
    if as_of > now:
        raise ValidationError({"as_of": [_("The data cut-off cannot be in the future.")]})
    return as_of


def analytics_refit(
    *, actor: Actor, as_of: dt.datetime | None = None, currency: str | None = None
) -> list[ModelFit]:
    """Refit the value models (all currencies, or ``currency``) on the ledger up to ``as_of`` (default
    now) and replace the customer scores; returns the new fits (empty when there are no purchases)."""
    if actor.user is not None and user_scope(actor.user, "analytics", Action.CHANGE) == Scope.NONE:
        raise NotPermitted(_("Your role does not let you refit the value models."))
    moment = _as_of(as_of)
    currency = currency.upper() if currency else None
    horizon = int(settings.CLIENTELA_CLV_HORIZON_DAYS)
    discount = float(settings.CLIENTELA_CLV_DISCOUNT_RATE)
    ledger: LedgerRows = ledger_rows(as_of=moment)
    currencies = [currency] if currency else sorted(ledger.by_currency)
    previous = {f.currency: f for f in ModelFit.objects.filter(is_current=True)}
    computed = [
        _fit_currency(
            cur,
            ledger.by_currency[cur],
            as_of=moment,
            horizon_days=horizon,
            monthly_discount=discount,
            previous=previous.get(cur),
            left_out=ledger.left_out_totals.get(cur, {}),
        )
        for cur in currencies
        if cur in ledger.by_currency
    ]
    for fit in computed:
        fit.stats["skipped_rows"] = ledger.skipped  # whole ledger: zero totals, returns without refund
    fits: list[ModelFit] = []
    with transaction.atomic():
        stale = ModelFit.objects.filter(is_current=True)
        if currency:
            stale = stale.filter(currency=currency)
        stale.update(is_current=False)
        scores = CustomerScore.objects.all()
        if currency:
            scores = scores.filter(currency=currency)
        scores.delete()
        for fit in computed:
            summary = fit.scored.summary
            row = ModelFit.objects.create(
                currency=fit.currency,
                as_of=moment,
                status=fit.status,
                message=fit.message,
                customers=int(summary.n),
                purchases=int(summary.purchases.sum()),
                horizon_days=horizon,
                discount_rate=Decimal(str(discount)).quantize(Decimal("0.0001")),
                rfm=_clean(fit.scored.breakpoints),
                bgnbd=_clean(fit.bgnbd),
                gamma_gamma=_clean(fit.gamma_gamma),
                stats=_clean(fit.stats),
                is_current=True,
                created_by=actor.user,
            )
            params = FitParams.from_fit(row)
            rows = score_rows(
                currency=fit.currency,
                as_of=moment,
                summary=summary,
                r=fit.scored.r_score,
                f=fit.scored.f_score,
                m=fit.scored.m_score,
                segments=fit.scored.segment,
                figures=fit.figures,
                params=params,
                left_out=ledger.left_out.get(fit.currency, {}),
            )
            # a currency refit upserts: a customer whose main currency just changed has a row elsewhere
            write_scores(rows, replace=not currency)
            fits.append(row)
        if fits:
            fit_ids = [f.pk for f in fits]
            # segments over scores re-evaluate, and webhook subscribers learn of it, once this commits
            publish("analytics.refitted", lambda: refitted_event(fit_ids))
    logger.info("refit %s as of %s: %d currencies", currency or "all", moment.isoformat(), len(fits))
    return fits


def refitted_event(fit_ids: list[int]) -> dict[str, Any]:
    """The "analytics.refitted" payload: per currency, the fit's id, status, data cut-off and parameters."""
    fits = ModelFit.objects.filter(pk__in=fit_ids).order_by("currency")
    return {
        "fits": [
            {
                "id": f.pk,
                "currency": f.currency,
                "status": f.status,
                "as_of": f.as_of.isoformat(),
                "customers": f.customers,
                "bgnbd": f.bgnbd,
                "gamma_gamma": f.gamma_gamma,
            }
            for f in fits
        ]
    }
