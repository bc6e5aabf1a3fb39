"""The customer page's value panel: RFM, P(alive), expected purchases and order value, CLV, churn risk.

The score and its fit come joined into the page's party query (``select_related`` registered in
``apps.py``), so the panel costs no query of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext

from clientela.analytics.scores import CHURN_TEXT
from clientela.analytics.selectors import may_view_analytics, reason_text


def score_context(score: Any) -> dict[str, Any]:
    """What the panel (and the API) shows of a score: translated reasons, P(alive) as a percentage."""
    if score is None:
        return {"score": None}
    return {
        "score": score,
        "p_alive_pct": None if score.p_alive is None else round(score.p_alive * 100),
        "churn_text": gettext(CHURN_TEXT[score.churn_reason]) if score.churn_reason in CHURN_TEXT else "",
        "notes": reason_text(score.excluded_reason),
        "fit": score.fit,
        "horizon_days": score.fit.horizon_days if score.fit is not None else None,
    }


def value_context(request: HttpRequest, party: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    if not may_view_analytics(request.user):
        return {"hidden": True}
    # a missing row is cached as None by select_related: reading it costs no query
    return score_context(getattr(party, "score", None))
