"""``/v1/analytics`` (mounted at /api/v1): the value model fits, an on-demand refit, and customer scores.

Fits are population parameters (no customer data): any role with the analytics "view" scope reads them;
a refit needs the "change" scope. A score follows its customer's visibility (404 outside it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.analytics.models import ModelFit
from clientela.analytics.panels import score_context
from clientela.analytics.selectors import fit_document, may_refit, may_view_analytics, score_for_party
from clientela.analytics.tasks import analytics_refit_enqueue
from clientela.api.auth import request_actor
from clientela.api.errors import invalid
from clientela.api.schemas.analytics import FitOut, FitsQuery, RefitIn, RefitOut, ScoreOut
from clientela.api.schemas.common import READ_ERRORS, WRITE_ERRORS, Problem, id_path
from clientela.core.exceptions import NotPermitted
from clientela.parties import selectors as party_selectors

router = Router(tags=["analytics"])


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get(
    "/analytics/fits",
    response={200: list[FitOut], 403: Problem, **READ_ERRORS},
    operation_id="analytics_fits_list",
    summary="Value model fits",
)
def analytics_fits_list(request: HttpRequest, filters: Query[FitsQuery]) -> Any:
    """Fits newest first (at most 200): RFM breakpoints, BG/NBD and Gamma-Gamma parameters, statistics."""
    if not may_view_analytics(request.user):
        raise NotPermitted(_("Your role does not let you see analytics."))
    qs = ModelFit.objects.order_by("-fitted_at", "-id")
    if filters.currency:
        qs = qs.filter(currency=filters.currency.upper())
    if filters.current is not None:
        qs = qs.filter(is_current=filters.current)
    return [fit_document(f) for f in qs[:200]]


@router.post(
    "/analytics/refit",
    response={202: RefitOut, **WRITE_ERRORS},
    operation_id="analytics_refit",
    summary="Refit the value models",
)
def analytics_refit(request: HttpRequest, payload: RefitIn) -> Any:
    """Queue a refit of every currency (or one) on the ledger up to ``as_of``; the scores are replaced
    when it finishes (follow ``GET /analytics/fits``)."""
    if not may_refit(request.user):
        raise NotPermitted(_("Your role does not let you refit the value models."))
    as_of = payload.as_of
    if as_of is not None:
        if timezone.is_naive(as_of):
            as_of = timezone.make_aware(as_of)
        if as_of > timezone.now():
            raise invalid([{"field": "as_of", "message": _("The data cut-off cannot be in the future.")}])
    currency = payload.currency.upper() if payload.currency else None
    if currency is not None and not currency.isalpha():
        raise invalid([{"field": "currency", "message": _("Use a three-letter ISO code, e.g. EUR.")}])
    task_id = analytics_refit_enqueue(actor=request_actor(request), as_of=as_of, currency=currency)
    return Status(202, {"status": "queued", "task_id": _s(task_id)})


@router.get(
    "/parties/{party_id}/score",
    response={200: ScoreOut, 403: Problem, **READ_ERRORS},
    operation_id="parties_score_get",
    summary="A customer's value scores",
)
def parties_score_get(request: HttpRequest, party_id: int = id_path()) -> Any:
    """RFM scores and segment, P(alive), expected purchases over the horizon, expected order value, CLV and
    churn risk of the customer, against the current fit of its main currency."""
    party = party_selectors.party_get(user=request.user, pk=party_id)
    if not may_view_analytics(request.user):
        raise NotPermitted(_("Your role does not let you see analytics."))
    score = score_for_party(user=request.user, party_id=party.pk)
    if score is None:
        return {"party_id": party.pk, "scored": False}
    shown = score_context(score)
    return {
        "party_id": party.pk,
        "scored": True,
        "currency": score.currency,
        "as_of": score.as_of,
        "first_purchase_at": score.first_purchase_at,
        "last_purchase_at": score.last_purchase_at,
        "purchases": score.purchases,
        "repeat_purchases": score.frequency,
        "recency_days": score.recency_days,
        "net_value": _s(score.monetary),
        "returns": _s(score.returns_total),
        "average_order_value": _s(score.average_order_value),
        "r_score": score.r_score,
        "f_score": score.f_score,
        "m_score": score.m_score,
        "rfm_segment": score.rfm_segment or None,
        "rfm_segment_label": str(score.get_rfm_segment_display()) if score.rfm_segment else None,
        "p_alive": score.p_alive,
        "expected_purchases": score.expected_purchases,
        "horizon_days": shown["horizon_days"],
        "expected_order_value": _s(score.expected_order_value),
        "clv": _s(score.clv),
        "churn_risk": score.churn_risk or None,
        "churn_reason": score.churn_reason or None,
        "churn_reason_text": shown["churn_text"] or None,
        "notes": shown["notes"],
        "fit_id": score.fit_id,
    }
