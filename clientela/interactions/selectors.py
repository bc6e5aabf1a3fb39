"""Reads of the ledger: the customer timeline (keyset pages) and the 360 header figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action
from clientela.interactions.choices import Kind
from clientela.interactions.models import Interaction, PartyStats
from clientela.parties.choices import PartyKind
from clientela.parties.models import Party

TIMELINE_ORDER = ("-occurred_at", "-id")
TIMELINE_KINDS = ("datetime", "int")


@dataclass(frozen=True)
class TimelineFilter:
    """Server-side timeline filters (kinds, date range, source); empty means no filter."""

    kinds: Sequence[str] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    source: str = ""
    user_id: int | None = None


def _scope(party: Party) -> Q:
    """Rows on ``party``'s timeline: a person's own; for an organisation, every row filed under it (its own
    and its people's, see ``services.filed_under``), read through one index range."""
    if party.kind != PartyKind.ORGANISATION:
        return Q(party_id=party.pk)
    return Q(organisation_id=party.pk)


def timeline_queryset(party: Party, filters: TimelineFilter | None = None) -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(_scope(party), is_current=True)
    f = filters or TimelineFilter()
    if f.kinds:
        qs = qs.filter(kind__in=[k for k in f.kinds if k in Kind.values])
    if f.since:
        qs = qs.filter(occurred_at__gte=f.since)
    if f.until:
        qs = qs.filter(occurred_at__lt=f.until)
    if f.source:
        qs = qs.filter(source__slug=f.source)
    if f.user_id:
        qs = qs.filter(user_id=f.user_id)
    return qs.select_related("user", "source", "party", "organisation")


def _for_page(party: Party, qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    """Only the relations an entry shows: who handled it, its source, and (on an organisation's page) the
    person it was with; fewer joined rows to build on the page's hottest query."""
    related = ("user", "source", "party") if party.kind == PartyKind.ORGANISATION else ("user", "source")
    return qs.select_related(None).select_related(*related)


def customer_timeline(
    *, party: Party, filters: TimelineFilter | None = None, cursor: str | None = None, size: int = 50
) -> Page:
    """One page of the unified timeline, newest first (the caller has already checked the party is visible)."""
    past = _for_page(party, timeline_queryset(party, filters)).filter(occurred_at__lte=timezone.now())
    return keyset_page(past, ordering=TIMELINE_ORDER, kinds=TIMELINE_KINDS, cursor=cursor, size=size)


def customer_upcoming(*, party: Party, limit: int = 10) -> list[Interaction]:
    """Scheduled interactions (future meetings), soonest first."""
    return list(
        _for_page(party, timeline_queryset(party))
        .filter(occurred_at__gt=timezone.now())
        .order_by("occurred_at", "id")[:limit]
    )


def customer_figures(*, party: Party) -> PartyStats:
    """The 360 header's key figures (kept current by the services; an empty row for a new customer).

    The customer page joins them into its party query; other callers pay one query here.
    """
    try:
        return party.stats  # type: ignore[no-any-return]
    except PartyStats.DoesNotExist:
        return PartyStats(party_id=party.pk)


def interactions_for_user(user: Any) -> QuerySet[Interaction]:
    """Every current ledger row the user may see (through the customer's visibility)."""
    return Interaction.objects.restrict(user, Action.VIEW).filter(
        is_current=True, party__deleted_at__isnull=True
    )
