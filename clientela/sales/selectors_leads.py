"""Reads of leads: the filtered, sorted, keyset-paged list (web and API), one lead, its history.

Every read is restricted to the user's ``lead`` scope; a lead outside it is a 404, never a hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Team, User
from clientela.core.models import ObjectChange
from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action
from clientela.sales.choices import LeadOrigin, LeadStatus
from clientela.sales.models import Lead

# Sort keys offered to users: (ordering, kinds of the cursor values). All ascending or all descending.
SORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "-created": (("-created_at", "-id"), ("datetime", "int")),
    "created": (("created_at", "id"), ("datetime", "int")),
    "-updated": (("-updated_at", "-id"), ("datetime", "int")),
    "name": (("family_names", "given_names", "id"), ("str", "str", "int")),
    "company": (("company", "id"), ("str", "int")),
    # leads without a score last: the sort key is the score, or -1
    "-score": (("-score_key", "-id"), ("int", "int")),
}
DEFAULT_SORT = "-created"


class LeadFilter(django_filters.FilterSet):
    """Filters of the lead list (web and API): text, status, origin, owner, team, campaign, dates."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=LeadStatus.choices)
    origin = django_filters.ChoiceFilter(label=_("Captured by"), choices=LeadOrigin.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.filter(is_active=True))
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    unassigned = django_filters.BooleanFilter(label=_("Unassigned"), field_name="owner", lookup_expr="isnull")
    campaign = django_filters.CharFilter(label=_("Campaign"), field_name="utm_campaign", lookup_expr="iexact")
    source = django_filters.CharFilter(
        label=_("Campaign source"), field_name="utm_source", lookup_expr="iexact"
    )
    created_after = django_filters.IsoDateTimeFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="gte"
    )
    created_before = django_filters.IsoDateTimeFilter(
        label=_("Created until"), field_name="created_at", lookup_expr="lt"
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        """Every word must appear in a name, the email or the company (case-insensitive)."""
        for word in value.split()[:5]:
            queryset = queryset.filter(
                Q(given_names__icontains=word)
                | Q(family_names__icontains=word)
                | Q(email__icontains=word)
                | Q(company__icontains=word)
            )
        return queryset


def lead_queryset(user: Any, action: str = Action.VIEW) -> QuerySet[Lead]:
    """Leads the user may ``action``."""
    return Lead.objects.restrict(user, action)


def lead_filterset(user: Any, params: Mapping[str, Any]) -> LeadFilter:
    return LeadFilter(data=params, queryset=lead_queryset(user))


def lead_list(
    *,
    user: Any,
    params: Mapping[str, Any],
    cursor: str | None = None,
    size: int | None = None,
    sort: str = DEFAULT_SORT,
) -> tuple[LeadFilter, Page]:
    """One page of leads: filtered, restricted, keyset-paginated, owner and team joined (two tables, one
    query whatever the page size)."""
    filterset = lead_filterset(user, params)
    qs = filterset.qs if filterset.is_valid() else lead_queryset(user).none()
    ordering, kinds = SORTS.get(sort, SORTS[DEFAULT_SORT])
    qs = qs.select_related("owner", "team").annotate(score_key=Coalesce("score", Value(-1)))
    page = keyset_page(
        qs, ordering=ordering, kinds=kinds, cursor=cursor, size=size or settings.CLIENTELA_PAGE_SIZE
    )
    return filterset, page


def lead_count(*, user: Any, params: Mapping[str, Any], limit: int = 10_000) -> tuple[int, bool]:
    """Matching leads up to ``limit`` (+1 to know there are more): never COUNT(*) over millions."""
    filterset = lead_filterset(user, params)
    if not filterset.is_valid():
        return 0, False
    n = filterset.qs.order_by().values_list("id", flat=True)[: limit + 1].count()
    return min(n, limit), n > limit


def lead_get(*, user: Any, pk: int, action: str = Action.VIEW) -> Lead:
    """The lead with what its page shows, if the user may ``action`` it; else 404."""
    lead = (
        lead_queryset(user, action)
        .select_related("owner", "team", "created_by", "converted_party", "converted_opportunity")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404
    return lead


def lead_history(*, lead: Lead, cursor: str | None = None, size: int = 20) -> Page:
    """The lead's change log (capture, edits, qualification, conversion), newest first."""
    qs = ObjectChange.objects.filter(
        aggregate_type=lead._meta.label_lower, aggregate_id=lead.pk
    ).select_related("actor_user", "object_type")
    return keyset_page(qs, ordering=("-time", "-id"), kinds=("datetime", "int"), cursor=cursor, size=size)
