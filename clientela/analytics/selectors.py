"""Reads of the customer scores and model fits. Scores follow the party's visibility (``restrict``) and
the role's analytics "view" scope; fits are population parameters (no customer data) shown to anyone with
that scope."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext

from clientela.analytics.models import CustomerScore, ModelFit
from clientela.core.permissions import Action, Scope, user_scope

_LEFT_OUT = re.compile(r"^(\d+) purchases? in ([A-Z]{3}) left out$")


def may_view_analytics(user: Any) -> bool:
    return user_scope(user, "analytics", Action.VIEW) != Scope.NONE


def may_refit(user: Any) -> bool:
    return user_scope(user, "analytics", Action.CHANGE) != Scope.NONE


def score_for_party(*, user: Any, party_id: int) -> CustomerScore | None:
    """The party's score if the user may see the party and analytics, else None (one query)."""
    if not may_view_analytics(user):
        return None
    return (
        CustomerScore.objects.restrict(user, Action.VIEW)
        .select_related("fit")
        .filter(party_id=party_id, party__deleted_at__isnull=True)
        .first()
    )


def fits_list(*, currency: str | None = None, limit: int = 200) -> list[ModelFit]:
    """Fits newest first (current and past), optionally of one currency."""
    qs: QuerySet[ModelFit] = ModelFit.objects.select_related("created_by").order_by("-fitted_at", "-id")
    if currency:
        qs = qs.filter(currency=currency.upper())
    return list(qs[:limit])


def current_fit(currency: str) -> ModelFit | None:
    return ModelFit.objects.filter(currency=currency.upper(), is_current=True).first()


def current_fits_by_currency() -> dict[str, ModelFit]:
    return {f.currency: f for f in ModelFit.objects.filter(is_current=True).order_by("currency")}


def reason_text(stored: str) -> list[str]:
    """The stored English notes of ``excluded_reason`` / ``churn_reason``, in the active language."""
    out = []
    for part in (p.strip() for p in (stored or "").split(";")):
        if not part:
            continue
        match = _LEFT_OUT.match(part)
        if match:
            n, currency = int(match.group(1)), match.group(2)
            out.append(
                ngettext(
                    "%(n)d purchase in %(currency)s left out (not converted)",
                    "%(n)d purchases in %(currency)s left out (not converted)",
                    n,
                )
                % {"n": n, "currency": currency}
            )
        else:
            out.append(gettext(part))
    return out


def fit_document(fit: ModelFit) -> dict[str, Any]:
    """A fit as the API and ``clientela analytics refit --json`` give it (numbers, never NaN)."""
    return {
        "id": fit.pk,
        "currency": fit.currency,
        "status": fit.status,
        "message": fit.message,
        "is_current": fit.is_current,
        "as_of": fit.as_of.isoformat(),
        "fitted_at": fit.fitted_at.isoformat() if fit.fitted_at else None,
        "customers": fit.customers,
        "purchases": fit.purchases,
        "horizon_days": fit.horizon_days,
        "discount_rate": float(fit.discount_rate),
        "rfm": fit.rfm or {},
        "bgnbd": fit.bgnbd or {},
        "gamma_gamma": fit.gamma_gamma or {},
        "stats": fit.stats or {},
    }
