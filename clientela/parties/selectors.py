"""Reads of the parties app. Every read is restricted to what the user may see; query counts are pinned by tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from clientela.core.models import ObjectChange
from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action
from clientela.parties.filters import PartyFilter
from clientela.parties.models import ContactPoint, Party, Relationship

# Sort keys offered to users: (ordering, kinds of the cursor values). All ascending or all descending.
SORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name": (("name_folded", "id"), ("str", "int")),
    "-name": (("-name_folded", "-id"), ("str", "int")),
    "-updated": (("-updated_at", "-id"), ("datetime", "int")),
    "-created": (("-created_at", "-id"), ("datetime", "int")),
}


def party_queryset(user: Any, action: str = Action.VIEW) -> QuerySet[Party]:
    """Live parties the user may ``action``."""
    return Party.objects.restrict(user, action)


def party_filterset(user: Any, params: Mapping[str, Any]) -> PartyFilter:
    return PartyFilter(data=params, queryset=party_queryset(user))


def party_list(
    *,
    user: Any,
    params: Mapping[str, Any],
    cursor: str | None = None,
    size: int | None = None,
    sort: str = "name",
) -> tuple[PartyFilter, Page]:
    """One page of the party list: filtered, restricted, keyset-paginated, with owner, team, tags and
    primary contact points loaded in a fixed number of queries whatever the page size."""
    filterset = party_filterset(user, params)
    qs = filterset.qs if filterset.is_valid() else party_queryset(user).none()
    ordering, kinds = SORTS.get(sort, SORTS["name"])
    qs = qs.select_related("owner", "team").prefetch_related(
        "tags",
        Prefetch(
            "contact_points",
            queryset=ContactPoint.objects.filter(deleted_at__isnull=True, is_primary=True).order_by(
                "kind", "id"
            ),
            to_attr="primary_contacts",
        ),
    )
    page = keyset_page(
        qs, ordering=ordering, kinds=kinds, cursor=cursor, size=size or settings.CLIENTELA_PAGE_SIZE
    )
    return filterset, page


def party_count(*, user: Any, params: Mapping[str, Any], limit: int = 10_000) -> tuple[int, bool]:
    """Count matching parties up to ``limit`` (+1 to know there are more): never COUNT(*) over millions."""
    filterset = party_filterset(user, params)
    if not filterset.is_valid():
        return 0, False
    n = len(filterset.qs.order_by().values_list("id", flat=True)[: limit + 1])
    return min(n, limit), n > limit


def party_get(*, user: Any, pk: int, action: str = Action.VIEW, include_deleted: bool = False) -> Party:
    """The party if the user may ``action`` it, else 404 (never reveal that it exists)."""
    manager = Party.all_objects if include_deleted else Party.objects
    party = manager.restrict(user, action).select_related("owner", "team").filter(pk=pk).first()
    if party is None:
        raise Http404
    return party


def party_detail(*, user: Any, pk: int) -> Party:
    """The party with everything its page shows, in a fixed number of queries."""
    manager = Party.objects.restrict(user, Action.VIEW)
    party = (
        manager.select_related("owner", "team", "created_by")
        .prefetch_related(
            "tags",
            Prefetch(
                "contact_points",
                queryset=ContactPoint.objects.filter(deleted_at__isnull=True).order_by(
                    "kind", "-is_primary", "id"
                ),
                to_attr="live_contacts",
            ),
            Prefetch(
                "employments",
                queryset=Relationship.objects.filter(organisation__deleted_at__isnull=True).select_related(
                    "organisation"
                ),
                to_attr="live_employments",
            ),
            Prefetch(
                "members",
                queryset=Relationship.objects.filter(person__deleted_at__isnull=True).select_related(
                    "person"
                ),
                to_attr="live_members",
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if party is None:
        raise Http404
    return party


def party_history(*, party: Party, cursor: str | None = None, size: int = 50) -> Page:
    """Change log of a party and everything under it (contact points, relationships), newest first."""
    qs = ObjectChange.objects.filter(
        aggregate_type=party._meta.label_lower, aggregate_id=party.pk
    ).select_related("actor_user", "object_type")
    return keyset_page(qs, ordering=("-time", "-id"), kinds=("datetime", "int"), cursor=cursor, size=size)


def contact_point_get(*, user: Any, pk: int, action: str = Action.VIEW) -> ContactPoint:
    cp = ContactPoint.objects.alive().restrict(user, action).select_related("party").filter(pk=pk).first()
    if cp is None:
        raise Http404
    return cp


def relationship_get(*, user: Any, pk: int, action: str = Action.VIEW) -> Relationship:
    rel = (
        Relationship.objects.alive()
        .restrict(user, action)
        .select_related("person", "organisation")
        .filter(pk=pk)
        .first()
    )
    if rel is None:
        raise Http404
    return rel


def recycle_bin(*, user: Any, cursor: str | None = None, size: int = 50) -> Page:
    """Deleted parties the user could restore (delete scope), most recently deleted first."""
    qs = Party.all_objects.deleted().restrict(user, Action.DELETE).select_related("deleted_by")
    return keyset_page(
        qs, ordering=("-deleted_at", "-id"), kinds=("datetime", "int"), cursor=cursor, size=size
    )


def organisations_for_choice(*, user: Any, q: str = "", limit: int = 20) -> list[Party]:
    """Organisations the user can see, for the relationship picker."""
    from clientela.core.text import fold

    qs = Party.objects.restrict(user, Action.VIEW).filter(kind="organisation")
    if q:
        qs = qs.filter(Q(name_folded__contains=fold(q)))
    return list(qs.order_by("name_folded", "id")[:limit])
