"""Reads of the ledger: the customer timeline (keyset pages) and the 360 header figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from clientela.core.pagination import Page, decode_cursor, keyset_after, page_of
from clientela.core.permissions import Action
from clientela.core.prepared import prepared_rows
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
    return _scope_of(party.kind == PartyKind.ORGANISATION, party.pk)


def _scope_of(organisation: bool, pk: int) -> Q:
    return Q(organisation_id=pk) if organisation else Q(party_id=pk)


def timeline_queryset(party: Party, filters: TimelineFilter | None = None) -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(_scope(party), is_current=True)
    return _filtered(qs, filters or TimelineFilter()).select_related(
        "user", "source", "party", "organisation"
    )


def _filtered(qs: QuerySet[Interaction], f: TimelineFilter) -> QuerySet[Interaction]:
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
    return qs


@dataclass(frozen=True, slots=True)
class Entry:
    """What a timeline entry shows, read as plain values (no model instances on the hottest path)."""

    id: int
    kind: str
    occurred_at: dt.datetime
    channel: str
    direction: str
    summary: str
    payload: Any
    amount: Any
    currency: str
    status: str
    party_id: int
    user_id: int | None
    user_name: str
    source_name: str
    party_name: str

    @classmethod
    def of(cls, row: Interaction) -> Entry:
        """The entry of a loaded interaction (for short lists read as models)."""
        return cls(
            id=row.pk,
            kind=row.kind,
            occurred_at=row.occurred_at,
            channel=row.channel,
            direction=row.direction,
            summary=row.summary,
            payload=row.payload,
            amount=row.amount,
            currency=row.currency,
            status=row.status,
            party_id=row.party_id,
            user_id=row.user_id,
            user_name=str(row.user) if row.user_id else "",
            source_name=row.source.name,
            party_name=row.party.display_name if Interaction.party.is_cached(row) else "",
        )


ENTRY_FIELDS = (
    "id",
    "kind",
    "occurred_at",
    "channel",
    "direction",
    "summary",
    "payload",
    "amount",
    "currency",
    "status",
    "party_id",
    "user_id",
    "user__username",
    "source__name",
)


# Timeline filters whose values go into the query as parameters (their presence shapes the SQL).
_FILTER_VALUES = ("since", "until", "source", "user_id")


def _entries(
    party: Party, filters: TimelineFilter, *, upcoming: bool, after: Sequence[Any], limit: int
) -> list[Entry]:
    """Timeline rows as ``Entry`` values: past rows newest first (after the keyset ``after``), or
    scheduled rows soonest first. The SQL is compiled once per shape (``clientela.core.prepared``): on
    the customer page compiling these reads cost more than running them."""
    organisation = party.kind == PartyKind.ORGANISATION
    names = ("party__display_name",) if organisation else ()
    present = tuple(name for name in _FILTER_VALUES if getattr(filters, name))
    kinds = tuple(k for k in filters.kinds if k in Kind.values)

    def build(pk: int, now: dt.datetime, *rest: Any) -> QuerySet[Any]:
        shaped = TimelineFilter(kinds=kinds, **dict(zip(present, rest, strict=False)))
        qs = _filtered(Interaction.objects.filter(_scope_of(organisation, pk), is_current=True), shaped)
        if upcoming:
            qs = qs.filter(occurred_at__gt=now).order_by("occurred_at", "id")
        else:
            qs = keyset_after(
                qs.filter(occurred_at__lte=now), ordering=TIMELINE_ORDER, values=rest[len(present) :]
            )
        return qs.values_list(*ENTRY_FIELDS, *names)[:limit]

    values = [party.pk, timezone.now(), *(getattr(filters, name) for name in present), *after]
    key = ("timeline", organisation, upcoming, kinds, present, len(after), limit)
    # a date or source filter's selectivity depends on its values: planned on each execution. (Pages
    # past the first are prepared: PostgreSQL's generic plan of the keyset page reads the timeline
    # index from the cursor, now that no plain index on the customer competes with it.)
    rows = prepared_rows(key, build, values, server_prepare=not present)
    own_name = party.display_name
    return [
        Entry(*row[:12], row[12] or "", row[13], row[14] if names else own_name)  # type: ignore[misc,call-arg]
        for row in rows
    ]


def customer_timeline(
    *, party: Party, filters: TimelineFilter | None = None, cursor: str | None = None, size: int = 50
) -> Page:
    """One page of the unified timeline as ``Entry`` values, newest first (the caller has already checked
    the party is visible). On an organisation's page the people's names come along."""
    after = decode_cursor(cursor, TIMELINE_KINDS) if cursor else []
    rows = _entries(party, filters or TimelineFilter(), upcoming=False, after=after, limit=size + 1)
    return page_of(rows, size=size, cursor_values=lambda entry: (entry.occurred_at, entry.id))


def customer_upcoming(*, party: Party, limit: int = 10) -> list[Entry]:
    """Scheduled interactions (future meetings), soonest first, as ``Entry`` values like the timeline."""
    return _entries(party, TimelineFilter(), upcoming=True, after=(), limit=limit)


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


def current_records(*, source: Any, external_ids: Sequence[str]) -> QuerySet[Interaction]:
    """The current ledger rows a source posted under these ids.

    The lookup goes through the unique (source, external id) index, which only holds current rows with
    an id: its condition is spelled out here because the databases use a partial index only when the
    query implies it, and without it they read every row of the source (a 5M-row import slowed down as
    the ledger grew)."""
    return Interaction.objects.filter(source=source, external_id__in=external_ids, is_current=True).exclude(
        external_id=""
    )
