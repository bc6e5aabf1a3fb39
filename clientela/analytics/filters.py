"""Customer list filters over the scores (web list and ``GET /api/v1/parties`` share them).

Registered from ``AnalyticsConfig.ready()`` through ``register_party_filter``; each one reads the
``score`` row joined to the party, so a filter is one indexed join, never a per-row query.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from clientela.analytics.models import ChurnRisk, RfmSegment


def register_filters() -> None:
    """Add the score filters to the customer list (once per process)."""
    from clientela.parties.filters import register_party_filter

    filters = {
        "rfm_segment": lambda: django_filters.MultipleChoiceFilter(
            label=_("RFM segment"), choices=RfmSegment.choices, field_name="score__rfm_segment"
        ),
        "churn_risk": lambda: django_filters.MultipleChoiceFilter(
            label=_("Churn risk"), choices=ChurnRisk.choices, field_name="score__churn_risk"
        ),
        "clv_min": lambda: django_filters.NumberFilter(
            label=_("Lifetime value from"), field_name="score__clv", lookup_expr="gte", min_value=0
        ),
        "clv_max": lambda: django_filters.NumberFilter(
            label=_("Lifetime value up to"), field_name="score__clv", lookup_expr="lte", min_value=0
        ),
        "p_alive_max": lambda: django_filters.NumberFilter(
            label=_("Probability alive up to (0–1)"),
            field_name="score__p_alive",
            lookup_expr="lte",
            min_value=0,
            max_value=1,
        ),
    }
    for name, factory in filters.items():
        register_party_filter(name, factory)


def register_sorts() -> None:
    """Offer "highest lifetime value" and "most likely to buy again" on the customer list: only the
    customers that have the figure, through the score indexes (-clv, party) and (-p_alive, party)."""
    from django.db.models import Q

    from clientela.parties.selectors import register_party_sort

    register_party_sort(
        "-clv",
        ("-score__clv", "-id"),
        ("decimal", "int"),
        label=_("Highest lifetime value"),
        requires=Q(score__clv__isnull=False),
        select_related=("score",),
    )
    register_party_sort(
        "-p_alive",
        ("-score__p_alive", "-id"),
        ("float", "int"),
        label=_("Most likely to buy again"),
        requires=Q(score__p_alive__isnull=False),
        select_related=("score",),
    )
