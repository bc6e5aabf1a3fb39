"""Schemas of ``/v1/segments``: a segment is a name and a rule tree (see docs: ``{"all": [...]}`` /
``{"any": [...]}`` groups of ``{"field", "op", "value"}`` conditions; ``GET /v1/segment-fields`` lists
the fields, their operators and values)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from clientela.api.schemas.common import InputSchema, PartyRef, UserRef
from clientela.segments.rules import definition_text


class SegmentIn(InputSchema):
    """A new segment: its name and rules; owner (user id) and team (team id) default to you and your team."""

    name: str = Field(..., max_length=200)
    description: str = ""
    definition: dict[str, Any] = Field(
        ...,
        description='Rule tree, e.g. {"all": [{"field": "city", "op": "eq", "value": "Madrid"}, '
        '{"field": "interactions", "kind": "purchase", "days": 365, "op": "gte", "value": 3}]}',
    )
    owner: int | None = None
    team: int | None = None


class SegmentPatch(InputSchema):
    """Fields to change; new rules make a new version (a rename does not)."""

    name: str | None = Field(None, max_length=200)
    description: str | None = None
    definition: dict[str, Any] | None = None
    owner: int | None = None
    team: int | None = None


class DefinitionIn(InputSchema):
    """A rule tree to count and preview without saving it."""

    definition: dict[str, Any]


class SegmentOut(Schema):
    """A segment with its current rules, their reading in your language, and its member count."""

    id: int
    name: str
    description: str
    version: int = Field(..., description="Version of the record (ETag / If-Match).")
    rules_version: int | None = Field(None, description="Number of the current version of the rules.")
    definition: dict[str, Any] | None
    definition_text: str
    member_count: int
    evaluated_at: dt.datetime | None
    owner: UserRef | None
    team_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_rules_version(obj: Any) -> int | None:
        return obj.current_version.number if obj.current_version else None

    @staticmethod
    def resolve_definition(obj: Any) -> dict[str, Any] | None:
        return obj.current_version.definition if obj.current_version else None

    @staticmethod
    def resolve_definition_text(obj: Any) -> str:
        return definition_text(obj.current_version.definition) if obj.current_version else ""


class PreviewOut(Schema):
    """How many of the customers you may see match (exact up to 10,000; ``capped`` beyond) and the first 20."""

    count: int
    capped: bool
    definition_text: str
    items: list[PartyRef]


class MemberOut(Schema):
    """A current member: the customer, since when, and the version that let it in."""

    party: PartyRef
    since: dt.datetime
    version: int | None

    @staticmethod
    def resolve_version(obj: Any) -> int | None:
        return obj.version.number if obj.version else None


class ChangeOut(Schema):
    """A customer entered or left: when, under which version, and why (``details.changed`` lists the paths
    of the conditions whose outcome changed; ``details.outcomes`` every condition's outcome then)."""

    id: int
    party: PartyRef
    change: str
    at: dt.datetime
    version: int | None
    reason: str
    details: dict[str, Any]

    @staticmethod
    def resolve_version(obj: Any) -> int | None:
        return obj.version.number if obj.version else None

    @staticmethod
    def resolve_reason(obj: Any) -> str:
        return str(getattr(obj, "reason_text", obj.reason))


class VersionOut(Schema):
    """One version of the rules, read in your language, with the conditions added and removed."""

    number: int
    definition: dict[str, Any]
    text: str
    added: list[str]
    removed: list[str]
    match_changed: str
    created_at: dt.datetime
    created_by: UserRef | None

    @staticmethod
    def resolve_number(obj: Any) -> int:
        return int(obj.version.number)

    @staticmethod
    def resolve_definition(obj: Any) -> dict[str, Any]:
        return dict(obj.version.definition)

    @staticmethod
    def resolve_created_at(obj: Any) -> dt.datetime:
        return obj.version.created_at  # type: ignore[no-any-return]

    @staticmethod
    def resolve_created_by(obj: Any) -> Any:
        return obj.version.created_by


class OperatorOut(Schema):
    op: str
    label: str


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    """A field conditions may test: its operators, value type, extra keys ("kind", "days") and choices."""

    key: str
    label: str
    group: str
    value_type: str
    operators: list[OperatorOut]
    params: list[str]
    choices: list[ChoiceOut]
    kinds: list[ChoiceOut]
