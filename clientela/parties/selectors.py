"""Reads of the parties app. Every read is restricted to what the user may see; query counts are pinned by tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, DateField, DateTimeField, JSONField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy

from clientela.core.bulk import new_instance
from clientela.core.models import ObjectChange, SourceSystem
from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action, restrict_key
from clientela.core.prepared import prepared_rows
from clientela.parties.filters import PartyFilter, party_filter_class
from clientela.parties.models import ContactPoint, Party, Relationship, SourceLink, Tag

# Sort keys offered to users: (ordering, kinds of the cursor values). All ascending or all descending.
SORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name": (("name_folded", "id"), ("str", "int")),
    "-name": (("-name_folded", "-id"), ("str", "int")),
    "-updated": (("-updated_at", "-id"), ("datetime", "int")),
    "-created": (("-created_at", "-id"), ("datetime", "int")),
}
# Sorts over another app's figures keep only the parties that have the figure (a keyset needs a value),
# and join the row that holds it.
SORT_REQUIRES: dict[str, Q] = {}
SORT_RELATED: dict[str, tuple[str, ...]] = {}


# The labels of the sorts the customer list offers (the web list's menu).
SORT_LABELS: dict[str, Any] = {
    "name": gettext_lazy("Name (A–Z)"),
    "-name": gettext_lazy("Name (Z–A)"),
    "-updated": gettext_lazy("Recently updated"),
    "-created": gettext_lazy("Newest"),
}


def register_party_sort(
    key: str,
    ordering: tuple[str, ...],
    kinds: tuple[str, ...],
    *,
    label: Any,
    requires: Q | None = None,
    select_related: tuple[str, ...] = (),
) -> None:
    """Offer sort ``key`` on the customer list (``ordering`` ends with the id, as the keyset needs);
    ``requires`` keeps only the parties that have the sorted figure."""
    SORTS[key] = (ordering, kinds)
    SORT_LABELS[key] = label
    if requires is not None:
        SORT_REQUIRES[key] = requires
    if select_related:
        SORT_RELATED[key] = select_related


def party_queryset(user: Any, action: str = Action.VIEW) -> QuerySet[Party]:
    """Live parties the user may ``action``."""
    return Party.objects.restrict(user, action)


def party_filterset(user: Any, params: Mapping[str, Any]) -> PartyFilter:
    return party_filter_class()(data=params, queryset=party_queryset(user))


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
    if sort in SORT_REQUIRES:
        qs = qs.filter(SORT_REQUIRES[sort])
    qs = qs.select_related("owner", "team", *SORT_RELATED.get(sort, ())).prefetch_related(
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
    # COUNT over a LIMIT subquery: the database stops at limit + 1 rows and sends one number back
    n = filterset.qs.order_by().values_list("id", flat=True)[: limit + 1].count()
    return min(n, limit), n > limit


def _id_or_404(pk: Any) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404 from None


def party_get(*, user: Any, pk: int, action: str = Action.VIEW, include_deleted: bool = False) -> Party:
    """The party if the user may ``action`` it, else 404 (never reveal that it exists)."""
    pk = _id_or_404(pk)
    manager = Party.all_objects if include_deleted else Party.objects

    def build(pk: int) -> QuerySet[Party]:
        return manager.restrict(user, action).select_related("owner", "team").filter(pk=pk)[:1]

    # every customer sub-page (timeline pages, quick-log forms) starts here: compiled once per scope
    found = prepared_rows(("party_get", restrict_key(user, "party", action), include_deleted), build, [pk])
    if not found:
        raise Http404
    return found[0]  # type: ignore[no-any-return]


def _json_list(element: dict[str, str], source: str) -> RawSQL:
    """A correlated subquery returning a JSON array of ``element`` (per vendor) over ``source`` rows."""
    # Built only from table names and fixed expressions of this module: no user input reaches it.
    if connection.vendor == "postgresql":
        sql = f"(SELECT coalesce(jsonb_agg({element['postgresql']}), '[]'::jsonb) FROM {source})"  # noqa: S608
    else:
        sql = f"(SELECT json_group_array({element['sqlite']}) FROM {source})"  # noqa: S608
    return RawSQL(sql, [], output_field=JSONField())  # noqa: S611


def _party_lists() -> dict[str, RawSQL]:
    """Tag names and ids in other systems as JSON arrays inside the party query (no extra queries)."""
    party = Party._meta.db_table
    through = Party.tags.through._meta.db_table
    tag = Tag._meta.db_table
    link = SourceLink._meta.db_table
    source = SourceSystem._meta.db_table
    return {
        "tag_list": _json_list(
            {"postgresql": "t.name", "sqlite": "t.name"},
            f"{tag} t JOIN {through} pt ON pt.tag_id = t.id WHERE pt.party_id = {party}.id",
        ),
        "link_list": _json_list(
            {
                "postgresql": "jsonb_build_array(s.name, l.external_id)",
                "sqlite": "json_array(s.name, l.external_id)",
            },
            f"{link} l JOIN {source} s ON s.id = l.source_id WHERE l.party_id = {party}.id",
        ),
    }


_CONTACT_COLUMNS = ("id", "kind", "label", "is_primary", "value", "normalized", "social_network", "source",
                    "street", "postal_code", "city", "region", "country", "valid_from", "valid_to", "version",
                    "created_at", "updated_at")  # fmt: skip
_RELATION_COLUMNS = ("id", "person_id", "organisation_id", "role", "is_primary", "start_date", "end_date", "version",
                     "created_at", "updated_at")  # fmt: skip


def _page_lists() -> dict[str, RawSQL]:
    """The customer page's contact points and relationships (both directions) as JSON arrays too."""
    party = Party._meta.db_table
    cp = ContactPoint._meta.db_table
    rel = Relationship._meta.db_table
    contact = ", ".join(f"c.{c}" for c in _CONTACT_COLUMNS)
    relation = ", ".join(f"r.{c}" for c in _RELATION_COLUMNS) + ", o.kind, o.display_name"
    other = f"CASE WHEN r.person_id = {party}.id THEN r.organisation_id ELSE r.person_id END"
    return {
        **_party_lists(),
        "contact_list": _json_list(
            {"postgresql": f"jsonb_build_array({contact})", "sqlite": f"json_array({contact})"},
            f"{cp} c WHERE c.party_id = {party}.id AND c.deleted_at IS NULL",
        ),
        "relation_list": _json_list(
            {"postgresql": f"jsonb_build_array({relation})", "sqlite": f"json_array({relation})"},
            f"{rel} r JOIN {party} o ON o.id = {other} "
            f"WHERE (r.person_id = {party}.id OR r.organisation_id = {party}.id) AND o.deleted_at IS NULL",
        ),
    }


@lru_cache(maxsize=16)
def _column_types(model: type[Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for name in columns:
        field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        out.append(
            "datetime"
            if isinstance(field, DateTimeField)
            else "date"
            if isinstance(field, DateField)
            else "bool"
            if isinstance(field, BooleanField)
            else ""
        )
    return tuple(out)


def _typed(model: Any, columns: tuple[str, ...], row: Sequence[Any]) -> dict[str, Any]:
    """Column values read from JSON, typed as the ORM would give them (JSON has no dates or booleans)."""
    out: dict[str, Any] = {}
    for name, kind, value in zip(columns, _column_types(model, columns), row, strict=False):
        if value is not None and kind:
            if kind == "datetime":
                value = parse_datetime(value) if isinstance(value, str) else value
                if value is not None and timezone.is_naive(value):
                    value = value.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without an offset
            elif kind == "date":
                value = parse_date(value) if isinstance(value, str) else value
            else:
                value = bool(value)
        out[name] = value
    return out


def _loaded(model: type[Any], db: str | None, **values: Any) -> Any:
    """An instance as if read from database ``db`` (``Model.__init__`` cost more than the query here)."""
    obj = new_instance(model, **values)
    obj._state.adding = False
    obj._state.db = db
    return obj


def _contacts(rows: list[list[Any]], party: Party) -> list[ContactPoint]:
    points = [
        _loaded(
            ContactPoint, party._state.db, **_typed(ContactPoint, _CONTACT_COLUMNS, row), party_id=party.pk
        )
        for row in rows
    ]
    points.sort(key=lambda c: (c.kind, not c.is_primary, c.pk))
    return points


def _relationships(rows: list[list[Any]], party: Party) -> list[Relationship]:
    out = []
    width = len(_RELATION_COLUMNS)
    for row in rows:
        rel = _loaded(Relationship, party._state.db, **_typed(Relationship, _RELATION_COLUMNS, row[:width]))
        other_kind, other_name = row[width], row[width + 1]
        mine = rel.person_id == party.pk
        other = _loaded(
            Party,
            party._state.db,
            id=rel.organisation_id if mine else rel.person_id,
            kind=other_kind,
            display_name=other_name,
        )
        # the page shows the other side's name; this side is the party already loaded
        rel.person, rel.organisation = (party, other) if mine else (other, party)
        out.append(rel)
    out.sort(key=lambda r: (not r.is_primary, r.pk))
    return out


def party_detail(*, user: Any, pk: int) -> Party:
    """The party with everything its page shows, in one query.

    Tags, ids in other systems, contact points and relationships come as JSON arrays of the same row
    (building three more querysets cost more than reading them). Panels of the apps built on parties
    may name one-to-one relations to join into the party query (``customer_panels.select_related``), so
    their figures cost no extra query either.
    """
    from clientela.parties.panels import customer_panels

    pk = _id_or_404(pk)
    related = ("owner", "team", "created_by", *customer_panels.select_related)

    def build(pk: int) -> QuerySet[Party]:
        # a primary-key lookup needs no ORDER BY; .first() would add one
        manager = Party.objects.restrict(user, Action.VIEW)
        return manager.select_related(*related).annotate(**_page_lists()).filter(pk=pk)[:1]

    # compiled once per permission scope: building this query's SQL cost several times running it
    key = ("party_detail", restrict_key(user, "party", Action.VIEW), related)
    found = prepared_rows(key, build, [pk])
    party = found[0] if found else None
    if party is None:
        raise Http404
    party.tag_names = sorted(party.tag_list, key=str.casefold)  # type: ignore[attr-defined]
    party.external_ids = sorted(tuple(x) for x in party.link_list)  # type: ignore[attr-defined]
    party.live_contacts = _contacts(party.contact_list, party)  # type: ignore[attr-defined]
    relationships = _relationships(party.relation_list, party)  # type: ignore[attr-defined]
    party.live_employments = [r for r in relationships if r.person_id == pk]  # type: ignore[attr-defined]
    party.live_members = [r for r in relationships if r.organisation_id == pk]  # type: ignore[attr-defined]
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
