"""Schemas of leads: capture, change and qualify, list filters, and conversion into a customer and an
opportunity.

Inputs only shape and type the request; lengths, email, phone, score range, the disqualification reason
and scope are validated by the lead services, so the API and the pages answer alike with the same paths.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from clientela.api.schemas.common import MAX_ID, InputSchema, PartyRef, Problem, TeamRef, UserRef
from clientela.sales.choices import ForecastCategory, LeadOrigin, LeadStatus
from clientela.sales.models import Lead

LeadSort = Literal["-created", "created", "-updated", "name", "company", "-score"]


def _text(name: str) -> Any:
    field: Any = Lead._meta.get_field(name)
    extra = {"maxLength": field.max_length} if field.max_length else {}
    return Field(None, json_schema_extra=extra, description=str(field.verbose_name))


def _ref() -> Any:
    return Field(None, ge=1, le=MAX_ID)


class LeadFields(InputSchema):
    """A lead's details; only the fields sent are applied (null clears a text)."""

    given_names: str | None = _text("given_names")
    family_names: str | None = _text("family_names")
    email: str | None = _text("email")
    phone: str | None = Field(None, description="Any format; stored in E.164")
    company: str | None = _text("company")
    job_title: str | None = _text("job_title")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code, e.g. ES")
    interest: str | None = _text("interest")
    notes: str | None = Field(None, max_length=10_000, description="notes")
    utm_source: str | None = _text("utm_source")
    utm_medium: str | None = _text("utm_medium")
    utm_campaign: str | None = _text("utm_campaign")
    utm_term: str | None = _text("utm_term")
    utm_content: str | None = _text("utm_content")
    referrer: str | None = _text("referrer")
    owner: int | None = _ref()
    team: int | None = _ref()


class LeadIn(LeadFields):
    """A new lead (captured through the API); at least a name, a company, an email or a phone."""


class LeadPatch(LeadFields):
    """A partial change: details, or qualification (status, score 0-100, reason; disqualifying needs a
    reason). Converting goes through ``POST /leads/{id}/convert``."""

    status: LeadStatus | None = None
    score: int | None = Field(None, description="0-100; null clears it")
    qualification_reason: str | None = _text("qualification_reason")


class LeadOut(Schema):
    """A lead with its campaign values, the submission as received (``raw``) and, once converted, the
    customer and opportunity it became."""

    id: int
    status: str
    origin: str
    given_names: str
    family_names: str
    email: str
    phone: str
    company: str
    job_title: str
    country: str
    interest: str
    notes: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    referrer: str
    score: int | None
    qualification_reason: str
    owner: UserRef | None
    team: TeamRef | None
    converted_party: PartyRef | None
    converted_opportunity_id: int | None
    converted_at: dt.datetime | None
    raw: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class LeadListQuery(Schema):
    """Filters of the lead list (the same FilterSet as the web list)."""

    q: str | None = Field(None, description="Words found in the names, email or company")
    status: list[LeadStatus] = Field(default_factory=list)
    origin: LeadOrigin | None = None
    owner: int | None = _ref()
    team: int | None = _ref()
    unassigned: bool | None = Field(None, description="true: only leads without an owner")
    campaign: str | None = Field(None, description="utm_campaign, case-insensitive")
    source: str | None = Field(None, description="utm_source, case-insensitive")
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None


class OpportunityDraft(InputSchema):
    """The opportunity to open when converting; the name defaults to the lead's interest, the pipeline to
    the default one, the stage to its first, the currency to the pipeline's, the owner to you."""

    name: str | None = Field(None, json_schema_extra={"maxLength": 200})
    amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(None, description="ISO 4217 code, e.g. EUR")
    probability: int | None = Field(None, description="0-100; defaults to the stage's")
    forecast_category: ForecastCategory | None = None
    expected_close_date: dt.date | None = None
    next_step: str | None = Field(None, json_schema_extra={"maxLength": 300})
    description: str | None = None
    pipeline: int | None = _ref()
    stage: int | None = _ref()
    organisation: int | None = _ref()
    owner: int | None = _ref()
    team: int | None = _ref()


class LeadConvertIn(InputSchema):
    """Attach the lead to an existing customer (``party_id``) or create one (``create_party``); without
    either, likely existing customers make it a 409 listing them. ``opportunity`` (optional) opens one."""

    party_id: int | None = Field(None, ge=1, le=MAX_ID)
    create_party: bool = False
    opportunity: OpportunityDraft | None = None


class OpportunityRef(Schema):
    """The opportunity a conversion opened."""

    id: int
    name: str
    amount: Decimal
    currency: str
    pipeline_id: int
    stage_id: int


class LeadConverted(Schema):
    """The converted lead, the customer it became or joined, and the opportunity if one was opened."""

    lead: LeadOut
    party: PartyRef
    opportunity: OpportunityRef | None


class LeadMatch(Schema):
    """An existing customer the lead probably is."""

    party_id: int
    display_name: str
    probability: float


class LeadDuplicateProblem(Problem):
    """409 of a conversion without ``party_id`` or ``create_party`` when the lead probably is an existing
    customer: nothing was changed; choose one of ``matches`` or ask for a new customer."""

    matches: list[LeadMatch]
