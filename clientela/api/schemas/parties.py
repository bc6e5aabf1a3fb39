"""Schemas of parties, contact points, relationships and their history.

Inputs only shape and type the request (wrong types, unknown fields, unknown choices); everything else
(lengths, formats, countries, primaries, scope) is validated by the services so the API, the UI and
imports give the same answers with the same field paths. ``maxLength`` is documented from the models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db import models
from ninja import Field, Schema

from clientela.api.schemas.common import MAX_ID, InputSchema, PartyRef, TeamRef, UserRef
from clientela.parties.choices import ContactKind, ContactLabel, LifecycleStatus, PartyKind, SocialNetwork
from clientela.parties.models import ContactPoint, Party, Relationship

# "-clv" and "-p_alive" list only the customers with value figures (clientela.analytics)
PartySort = Literal["name", "-name", "-updated", "-created", "-clv", "-p_alive"]


def _text(model: type[models.Model], name: str) -> Any:
    """An optional text field documenting the model's maximum length.

    Model validation enforces a CharField's length (the service reports it with the other errors); a
    TextField's ``max_length`` is not checked by Django models, so the schema enforces that one.
    """
    field: Any = model._meta.get_field(name)
    if isinstance(field, models.TextField) and field.max_length:
        return Field(None, max_length=field.max_length, description=str(field.verbose_name))
    extra = {"maxLength": field.max_length} if field.max_length else {}
    return Field(None, json_schema_extra=extra, description=str(field.verbose_name))


def _ref() -> Any:
    return Field(None, ge=1, le=MAX_ID)


# --- contact points ---------------------------------------------------------------------------------------


class ContactPointFields(InputSchema):
    """Fields of a contact point; only those sent are applied."""

    label: ContactLabel | None = None
    is_primary: bool | None = None
    value: str | None = _text(ContactPoint, "value")
    social_network: SocialNetwork | None = None
    street: str | None = _text(ContactPoint, "street")
    postal_code: str | None = _text(ContactPoint, "postal_code")
    city: str | None = _text(ContactPoint, "city")
    region: str | None = _text(ContactPoint, "region")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code, e.g. ES")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source: str | None = _text(ContactPoint, "source")


class ContactPointIn(ContactPointFields):
    """A new contact point: email, mobile, landline, fax, website, social or address."""

    kind: ContactKind


class ContactPointPatch(ContactPointFields):
    """A partial change of one contact point (its kind may change too)."""

    kind: ContactKind | None = None


class ContactPointChange(ContactPointFields):
    """A contact point item inside a party PATCH: with ``id`` it changes (or, with ``delete``, removes)
    that point; without ``id`` it is a new point."""

    id: int | None = Field(None, ge=1, le=MAX_ID)
    delete: bool | None = None
    kind: ContactKind | None = None


class ContactPointOut(Schema):
    """A contact point; ``normalized`` is the matching key (E.164 phone, folded email...)."""

    id: int
    party_id: int
    kind: str
    label: str
    is_primary: bool
    value: str
    normalized: str
    social_network: str
    street: str
    postal_code: str
    city: str
    region: str
    country: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# --- relationships ----------------------------------------------------------------------------------------


class RelationshipFields(InputSchema):
    """Changeable fields of a relationship."""

    role: str | None = _text(Relationship, "role")
    is_primary: bool | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class RelationshipIn(RelationshipFields):
    """A person's link to an organisation."""

    person: int = Field(..., ge=1, le=MAX_ID)
    organisation: int = Field(..., ge=1, le=MAX_ID)


class RelationshipPatch(RelationshipFields):
    """A partial change of a relationship (person and organisation cannot change)."""


class RelationshipOut(Schema):
    """A person-organisation relationship."""

    id: int
    person: PartyRef
    organisation: PartyRef
    role: str
    is_primary: bool
    start_date: dt.date | None
    end_date: dt.date | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# --- parties ----------------------------------------------------------------------------------------------


class PartyFields(InputSchema):
    """Fields of a party; only those sent are applied (null clears a text or date)."""

    status: LifecycleStatus | None = None
    given_names: str | None = _text(Party, "given_names")
    family_name_1: str | None = _text(Party, "family_name_1")
    family_name_2: str | None = _text(Party, "family_name_2")
    legal_name: str | None = _text(Party, "legal_name")
    trade_name: str | None = _text(Party, "trade_name")
    display_name: str | None = _text(Party, "display_name")
    tax_id: str | None = _text(Party, "tax_id")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code, e.g. ES")
    birth_date: dt.date | None = None
    language: str | None = _text(Party, "language")
    notes: str | None = _text(Party, "notes")
    owner: int | None = _ref()
    team: int | None = _ref()
    tags: list[str] | None = None


class PartyIn(PartyFields):
    """A new person or organisation, with its contact points."""

    kind: PartyKind
    contact_points: list[ContactPointIn] = Field(default_factory=list)


class PartyPatch(PartyFields):
    """A partial change; ``contact_points`` items with ``id`` change or delete, items without are new."""

    kind: PartyKind | None = None
    contact_points: list[ContactPointChange] | None = None


def _tag_names(obj: Party) -> list[str]:
    return [t.name for t in obj.tags.all()]


class PartySummary(Schema):
    """A party in a list, with its primary contact point of each kind."""

    id: int
    kind: str
    status: str
    display_name: str
    given_names: str
    family_name_1: str
    family_name_2: str
    legal_name: str
    trade_name: str
    tax_id: str
    country: str
    language: str
    owner: UserRef | None
    team: TeamRef | None
    tags: list[str]
    primary_contacts: list[ContactPointOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj: Party) -> list[str]:
        return _tag_names(obj)


class PartyOut(Schema):
    """A party with its live contact points and relationships."""

    id: int
    kind: str
    status: str
    display_name: str
    given_names: str
    family_name_1: str
    family_name_2: str
    legal_name: str
    trade_name: str
    tax_id: str
    country: str
    birth_date: dt.date | None
    language: str
    notes: str
    owner: UserRef | None
    team: TeamRef | None
    tags: list[str]
    contact_points: list[ContactPointOut]
    relationships: list[RelationshipOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj: Party) -> list[str]:
        return _tag_names(obj)

    @staticmethod
    def resolve_contact_points(obj: Any) -> list[ContactPoint]:
        return list(obj.live_contacts)

    @staticmethod
    def resolve_relationships(obj: Any) -> list[Relationship]:
        return [*obj.live_employments, *obj.live_members]


class PartyListQuery(Schema):
    """Filters of the party list (the same FilterSet as the web list)."""

    q: str | None = Field(None, description="Name, email, phone or tax id")
    kind: PartyKind | None = None
    status: list[LifecycleStatus] = Field(default_factory=list)
    owner: int | None = _ref()
    team: int | None = _ref()
    tag: str | None = None
    city: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None


class ChangeOut(Schema):
    """One change-log row: a create/delete/restore snapshot, or one field's old and new value."""

    id: int
    time: dt.datetime
    action: str
    object_type: str
    object_id: int
    object_repr: str
    field: str
    old_value: Any
    new_value: Any
    actor: UserRef | None
    actor_label: str
    source: str
    request_id: str

    @staticmethod
    def resolve_object_type(obj: Any) -> str:
        return f"{obj.object_type.app_label}.{obj.object_type.model}"

    @staticmethod
    def resolve_actor(obj: Any) -> Any:
        return obj.actor_user
