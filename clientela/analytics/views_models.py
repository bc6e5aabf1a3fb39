"""The value models page ``/analytics/models/``: current and past fits per currency, and "Refit now".

Fits hold population parameters, no customer data, so anyone with the analytics *view* scope sees them;
refitting needs the *change* scope. The refit runs as a background task; the page follows it by polling
its progress fragment (htmx, every two seconds, stopping once the task has finished).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.analytics.models import FitStatus, ModelFit
from clientela.analytics.scores import REASON_TEXT
from clientela.analytics.selectors import fits_list, may_refit, may_view_analytics
from clientela.analytics.tasks import analytics_refit_enqueue, refit_progress
from clientela.core.actor import Actor

SESSION_KEY = "analytics_refit_result"
PENDING = {"ready", "running"}


def _progress(request: HttpRequest) -> dict[str, Any]:
    result_id = request.session.get(SESSION_KEY)
    if not result_id:
        return {"state": ""}
    state = refit_progress(result_id)
    if state not in PENDING:
        request.session.pop(SESSION_KEY, None)  # shown once
    return {"state": state}


def _rows(fit: ModelFit) -> dict[str, Any]:
    stats = fit.stats or {}
    return {
        "fit": fit,
        "ok": fit.status == FitStatus.OK,
        "bgnbd": fit.bgnbd or {},
        "gamma_gamma": fit.gamma_gamma or {},
        "bgnbd_stats": stats.get("bgnbd") or {},
        "gamma_gamma_stats": stats.get("gamma_gamma") or {},
        "rfm": [
            (_("Recency (days)"), (fit.rfm or {}).get("recency_days") or []),
            (_("Purchases"), (fit.rfm or {}).get("frequency") or []),
            (_("Net value"), (fit.rfm or {}).get("monetary") or []),
        ],
        "excluded": {gettext(REASON_TEXT.get(k, k)): n for k, n in (stats.get("excluded") or {}).items()},
        "left_out": stats.get("left_out_purchases") or {},
        "seconds": stats.get("total_seconds"),
    }


@login_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    if not may_view_analytics(request.user):
        raise PermissionDenied
    progress = _progress(request)
    if request.GET.get("progress") and request.headers.get("HX-Request"):
        return render(request, "analytics/_refit_progress.html", {"progress": progress})
    fits = fits_list()
    current = [_rows(f) for f in sorted((f for f in fits if f.is_current), key=lambda f: f.currency)]
    past = [f for f in fits if not f.is_current]
    return render(
        request,
        "analytics/models.html",
        {
            "nav": "dashboards",
            "current": current,
            "past": past,
            "progress": progress,
            "can_refit": may_refit(request.user),
        },
    )


@login_required
@require_POST
def refit_now(request: HttpRequest) -> HttpResponse:
    if not may_refit(request.user):
        raise PermissionDenied
    result_id = analytics_refit_enqueue(actor=Actor.from_request(request))
    if result_id:
        request.session[SESSION_KEY] = str(result_id)
    messages.success(request, _("The refit has started; the scores are replaced when it finishes."))
    return redirect("analytics:models")
