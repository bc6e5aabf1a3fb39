"""Party filters shared by the web list and the API (one FilterSet, two front ends)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Team, User
from clientela.core.text import fold
from clientela.parties.choices import ContactKind, LifecycleStatus, PartyKind
from clientela.parties.models import ContactPoint, Party, Tag


class PartyFilter(django_filters.FilterSet):
    """Filters: text (name, email, phone, tax id), kind, status, owner, team, tag, city, created/updated ranges."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartyKind.choices)
    status = django_filters.MultipleChoiceFilter(label=_("Lifecycle status"), choices=LifecycleStatus.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.filter(is_active=True))
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    tag = django_filters.CharFilter(label=_("Tag"), method="filter_tag")
    city = django_filters.CharFilter(label=_("City"), method="filter_city")
    created_after = django_filters.IsoDateTimeFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="gte"
    )
    created_before = django_filters.IsoDateTimeFilter(
        label=_("Created until"), field_name="created_at", lookup_expr="lt"
    )
    updated_after = django_filters.IsoDateTimeFilter(
        label=_("Updated from"), field_name="updated_at", lookup_expr="gte"
    )
    updated_before = django_filters.IsoDateTimeFilter(
        label=_("Updated until"), field_name="updated_at", lookup_expr="lt"
    )

    class Meta:
        model = Party
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        """Text search through the customer search index: name words (accent-insensitive, prefixes, typos),
        email or part of it, phone in any format, tax id. Capped at the best 1,000 matches."""
        from clientela.parties.search import PARTY_INDEX

        if not value.strip():
            return queryset
        hits = PARTY_INDEX.search(
            value, limit=1000, candidates=1000, region=settings.CLIENTELA_DEFAULT_REGION
        )
        return queryset.filter(pk__in=[h.id for h in hits])

    def filter_tag(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        key = fold(value)
        if not key:
            return queryset
        return queryset.filter(
            Exists(Tag.parties.through.objects.filter(party_id=OuterRef("pk"), tag__key=key))
        )

    def filter_city(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        if not value.strip():
            return queryset
        return queryset.filter(
            Exists(
                ContactPoint.objects.filter(
                    party=OuterRef("pk"),
                    kind=ContactKind.ADDRESS,
                    deleted_at__isnull=True,
                    city__iexact=value.strip(),
                )
            )
        )


# Filters that apps above parties add to the customer list (RFM segment, churn risk, saved segment...),
# registered from their AppConfig.ready() so parties never imports them. Same filter in the UI and the API.
_EXTRA_FILTERS: dict[str, Callable[[], django_filters.Filter]] = {}
# For filters whose values depend on the user (the segments they may see): (user) -> [(value, label)].
_EXTRA_CHOICES: dict[str, Callable[[Any], list[tuple[str, str]]]] = {}


def register_party_filter(
    name: str,
    factory: Callable[[], django_filters.Filter],
    *,
    choices: Callable[[Any], list[tuple[str, str]]] | None = None,
) -> None:
    """Add the filter ``factory()`` to the customer list under the query parameter ``name``; the web list
    draws it under "More filters" (as a list of ``choices(user)`` when given). Registering twice is a no-op."""
    if name in PartyFilter.base_filters:
        raise ValueError(f"the customer list already has a filter {name!r}")
    _EXTRA_FILTERS.setdefault(name, factory)
    if choices is not None:
        _EXTRA_CHOICES.setdefault(name, choices)
    party_filter_class.cache_clear()


def extra_filter_names() -> list[str]:
    """The query parameters other apps added, in registration order."""
    return list(_EXTRA_FILTERS)


def extra_filter_choices(name: str, user: Any) -> list[tuple[str, str]] | None:
    """The values a user may pick for filter ``name``, when its app gave them."""
    choices = _EXTRA_CHOICES.get(name)
    return None if choices is None else choices(user)


@cache
def party_filter_class() -> type[PartyFilter]:
    """``PartyFilter`` with the registered filters of other apps (built once)."""
    if not _EXTRA_FILTERS:
        return PartyFilter
    attrs = {name: factory() for name, factory in _EXTRA_FILTERS.items()}
    return type("ExtendedPartyFilter", (PartyFilter,), attrs)
