"""Schemas of pipelines and opportunities: inputs shape the request, the services validate the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from clientela.api.schemas.common import MAX_ID, InputSchema, PartyRef, TeamRef, UserRef
from clientela.sales.choices import ForecastCategory, OpportunityStatus


def _id(description: str) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


class StageOut(Schema):
    """A stage of a pipeline, in board order."""

    id: int
    name: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool
    is_active: bool


class PipelineOut(Schema):
    id: int
    name: str
    currency: str
    is_default: bool
    is_active: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        return sorted(obj.stages.all(), key=lambda s: (s.position, s.pk))


class OpportunityIn(InputSchema):
    """A new opportunity. ``pipeline`` defaults to the default pipeline, ``stage`` to its first open stage,
    ``probability`` to the stage's, ``owner`` to you and ``team`` to the owner's first team."""

    name: str = Field(..., max_length=200)
    party: int = Field(..., ge=1, le=MAX_ID, description="The customer")
    organisation: int | None = _id("The organisation the deal is with, when the customer is a person")
    pipeline: int | None = _id("Pipeline id")
    stage: int | None = _id("Stage id (of the pipeline)")
    amount: Decimal = Field(Decimal(0), max_digits=18, decimal_places=2)
    currency: str | None = Field(None, description="ISO 4217 code; default: the pipeline's currency")
    probability: int | None = Field(None, description="0-100; default: the stage's")
    forecast_category: ForecastCategory | None = None
    expected_close_date: dt.date | None = None
    next_step: str | None = Field(None, max_length=300)
    description: str | None = None
    lost_reason: int | None = _id("Lost reason id (needed for a lost stage)")
    lost_note: str | None = Field(None, max_length=500)
    owner: int | None = _id("User id")
    team: int | None = _id("Team id")


class OpportunityPatch(InputSchema):
    """The fields to change; a new ``stage`` is a move (recorded with its time). ``probability: null``
    makes the probability follow the stage again."""

    name: str | None = Field(None, max_length=200)
    party: int | None = _id("The customer")
    organisation: int | None = _id("Organisation id")
    pipeline: int | None = _id("Pipeline id (with a stage of it)")
    stage: int | None = _id("Stage id")
    amount: Decimal | None = Field(None, max_digits=18, decimal_places=2)
    currency: str | None = None
    probability: int | None = None
    forecast_category: ForecastCategory | None = None
    expected_close_date: dt.date | None = None
    next_step: str | None = Field(None, max_length=300)
    description: str | None = None
    lost_reason: int | None = _id("Lost reason id")
    lost_note: str | None = Field(None, max_length=500)
    owner: int | None = _id("User id")
    team: int | None = _id("Team id")


class MoveIn(InputSchema):
    """Move to another stage of the same pipeline; a lost stage needs ``lost_reason``."""

    stage: int = Field(..., ge=1, le=MAX_ID)
    lost_reason: int | None = _id("Lost reason id")
    lost_note: str = Field("", max_length=500)


class OpportunityOut(Schema):
    id: int
    name: str
    party: PartyRef
    organisation: PartyRef | None
    pipeline_id: int
    stage: StageOut
    status: OpportunityStatus
    amount: Decimal
    currency: str
    probability: int
    probability_overridden: bool
    weighted_amount: Decimal
    forecast_category: ForecastCategory
    expected_close_date: dt.date | None
    next_step: str
    description: str
    lost_reason: str | None
    lost_note: str
    owner: UserRef | None
    team: TeamRef | None
    stage_entered_at: dt.datetime
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_lost_reason(obj: Any) -> str | None:
        return obj.lost_reason.name if obj.lost_reason_id else None


class StageChangeOut(Schema):
    """The opportunity entered ``to_stage`` at ``changed_at`` after ``seconds_in_from_stage`` in the last one."""

    changed_at: dt.datetime
    from_stage_id: int | None
    to_stage_id: int
    status: OpportunityStatus
    seconds_in_from_stage: int | None
    amount: Decimal
    currency: str
    probability: int
    changed_by: UserRef | None


class MoneyOut(Schema):
    currency: str
    count: int
    amount: Decimal
    weighted: Decimal


class CardOut(Schema):
    id: int
    name: str
    party_id: int
    party_name: str
    amount: Decimal
    currency: str
    probability: int
    expected_close_date: dt.date | None
    stage_entered_at: dt.datetime
    owner_id: int | None
    version: int


class ColumnOut(Schema):
    stage: StageOut
    count: int
    totals: list[MoneyOut]
    cards: list[CardOut]
    next_cursor: str | None


class BoardOut(Schema):
    pipeline: PipelineOut
    columns: list[ColumnOut]
