"""Schemas of the interaction ledger: one entry in, batches in, entries and per-item results out.

Inputs only shape the request; the kind's ``payload`` and the rules of the ledger (time zone, future dates,
channels, organisations) are validated by ``interaction_log`` so the API, the UI and imports agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import SkipValidation

from clientela.api.schemas.common import MAX_ID, FieldError, InputSchema, PartyRef
from clientela.interactions.choices import Channel, Direction, Kind
from clientela.interactions.models import Interaction

MAX_BATCH = 1000
MAX_RELATED = 100

Outcome = Literal["created", "unchanged", "corrected"]
ItemStatus = Literal["created", "unchanged", "corrected", "error"]


def _id(description: str) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


class InteractionIn(InputSchema):
    """One ledger entry. ``(source, external_id)`` identifies a source system's record: posting it again
    changes nothing (outcome "unchanged") or, when its content differs, records a correction ("corrected")."""

    kind: Kind
    occurred_at: dt.datetime = Field(
        ..., description="ISO 8601 with a time zone (2025-03-01T10:30:00+01:00); only meetings may be future"
    )
    party: int = Field(..., ge=1, le=MAX_ID, description="The customer (person or organisation)")
    organisation: int | None = _id("The organisation the customer acted for")
    user: int | None = _id("The user who handled it (default: you, except for money records)")
    channel: Channel | None = Field(None, description="Default depends on the kind")
    direction: Direction | None = Field(None, description="Default depends on the kind")
    source: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="Slug of the source system (registered on first use); default: Clientela itself",
    )
    external_id: str = Field(
        "", max_length=200, description="The record's id in the source system (idempotency key)"
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="The kind's fields, e.g. a meeting's objective, an invoice's total"
    )
    related: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=MAX_RELATED, description="Ids of related interactions"
    )


class InteractionBatchIn(InputSchema):
    """Up to 1000 entries. By default all or nothing; with ``partial`` the valid ones are written."""

    # Items are validated one by one by the endpoint so each error can name its item (items.3.kind)
    # and, with ``partial``, one malformed item does not reject the others.
    items: Annotated[list[SkipValidation[InteractionIn]], Field(min_length=1, max_length=MAX_BATCH)]
    partial: bool = False


class InteractionOut(Schema):
    """A ledger entry; ``amount`` is a decimal string ("120.50") in ``currency``."""

    id: int
    kind: str
    kind_label: str
    occurred_at: dt.datetime
    channel: str
    direction: str
    party: PartyRef
    organisation: int | None
    user: int | None
    source: str
    external_id: str
    summary: str
    amount: str | None
    currency: str
    status: str
    payload: dict[str, Any]
    related: list[int]
    supersedes: int | None = Field(None, description="The version this one corrected")
    is_current: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Interaction) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_organisation(obj: Interaction) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_user(obj: Interaction) -> int | None:
        return obj.user_id

    @staticmethod
    def resolve_source(obj: Interaction) -> str:
        return obj.source.slug

    @staticmethod
    def resolve_amount(obj: Interaction) -> str | None:
        return None if obj.amount is None else str(obj.amount)

    @staticmethod
    def resolve_related(obj: Interaction) -> list[int]:
        return sorted(r.pk for r in obj.related.all())

    @staticmethod
    def resolve_supersedes(obj: Interaction) -> int | None:
        return obj.supersedes_id


class InteractionDetail(InteractionOut):
    """A ledger entry with the version that replaced it, if it was corrected."""

    superseded_by: int | None = Field(None, description="The version that corrected this one")

    @staticmethod
    def resolve_superseded_by(obj: Interaction) -> int | None:
        newer = getattr(obj, "superseded_by", None)
        return newer.pk if newer is not None else None


class InteractionLogged(InteractionDetail):
    """The entry as stored, and what the request did: ``created`` (201), or for a source record already in
    the ledger ``unchanged`` or ``corrected`` (a new version superseding the old one) (200)."""

    outcome: Outcome


class BatchItemResult(Schema):
    """What happened to ``items[index]``: its ``id`` when written, its ``errors`` when not."""

    index: int
    status: ItemStatus
    id: int | None = None
    errors: list[FieldError] | None = None


class BatchOut(Schema):
    """One result per item, in order, and the count of each status."""

    partial: bool
    counts: dict[str, int]
    items: list[BatchItemResult]


class InteractionListQuery(Schema):
    """Filters of the interaction list."""

    party: int | None = _id(
        "Only this customer's timeline (for an organisation: also its people's and those filed under it)"
    )
    kind: list[str] = Field(
        default_factory=list,
        description="Repeat or separate with commas: kind=call&kind=email or kind=call,email",
        json_schema_extra={"items": {"type": "string", "enum": list(Kind.values)}},
    )
    occurred_after: dt.datetime | None = Field(
        None, description="From this date or date-time (inclusive); a date means its midnight"
    )
    occurred_before: dt.datetime | None = Field(
        None, description="Before this date or date-time (exclusive); a date means its midnight"
    )
    source: str | None = Field(None, max_length=64, description="Source system slug")
    user: int | None = _id("Handled by this user")
