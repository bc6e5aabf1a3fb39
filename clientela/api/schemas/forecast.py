"""Schemas of the sales forecast (``GET /api/v1/forecast``): money as decimal strings, never floats."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from clientela.api.schemas.common import MAX_ID


class ForecastQuery(Schema):
    """Which forecast: one pipeline (the default one if omitted), in one currency (the pipeline's)."""

    pipeline: int | None = Field(
        None, ge=1, le=MAX_ID, description="Pipeline id (default: the default pipeline)."
    )
    period: Literal["month", "quarter"] = Field(
        "month", description="Group by month or quarter of expected close."
    )
    owner: int | None = Field(
        None, ge=0, le=MAX_ID, description="Only opportunities of this owner (0: no owner)."
    )
    team: int | None = Field(None, ge=0, le=MAX_ID, description="Only opportunities of this team.")
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="ISO 4217 code (default: the pipeline's currency)."
    )
    horizon: int | None = Field(None, ge=1, le=24, description="Periods ahead, the current one included.")


class PipelineRef(Schema):
    id: int
    name: str


class ForecastTotals(Schema):
    """Open pipeline of a group: count, amount, weighted amount (amount x probability), commit (amount in
    "commit") and best case (amount in "commit" or "best case")."""

    key: str
    label: str
    count: int
    amount: str
    weighted: str
    commit: str
    best_case: str


class ForecastOwner(ForecastTotals):
    owner_id: int | None


class ForecastPeriod(Schema):
    """A period (``kind`` "period" or "past") or a bucket: "overdue", "later", "undated"."""

    kind: Literal["past", "period", "overdue", "later", "undated"]
    start: dt.date | None
    label: str
    count: int
    amount: str
    weighted: str
    commit: str
    best_case: str
    weighted_by_category: dict[str, str]
    historical: str
    won: str | None = Field(description="Won in the period (past and current periods only).")
    won_count: int
    forecast_on: dt.date | None = Field(
        None,
        description="Past periods: day of the latest forecast snapshot taken on or before the period's start.",
    )
    forecast_weighted: str | None = Field(
        None,
        description="Past periods: weighted pipeline that snapshot forecast for the period (null: no snapshot).",
    )
    forecast_historical: str | None = Field(
        None,
        description="Past periods: historical forecast that snapshot gave for the period (null: no snapshot).",
    )


class ForecastStage(Schema):
    """Open pipeline in one stage and the rate the historical forecast applies to it."""

    stage_id: int
    name: str
    probability: int
    count: int
    amount: str
    weighted: str
    historical: str
    uses_history: bool = Field(description="False: too little history, the stage probability is used.")
    win_rate: float | None
    won: int
    closed: int
    median_days_to_close: float | None


class ForecastOut(Schema):
    """The forecast, restricted to the opportunities you may see; other currencies are listed apart."""

    pipeline: PipelineRef
    period: str
    currency: str
    today: dt.date
    total: ForecastTotals
    historical_total: str
    periods: list[ForecastPeriod]
    past: list[ForecastPeriod]
    stages: list[ForecastStage]
    categories: list[ForecastTotals]
    owners: list[ForecastOwner]
    other_currencies: list[ForecastTotals]
    rates_computed_at: dt.datetime | None
    min_history: int
