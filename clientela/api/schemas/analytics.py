"""Schemas of the value models and customer scores (``/api/v1/analytics/...``, ``/parties/{id}/score``).

Money as decimal strings in the score's currency, probabilities and expected counts as numbers; a figure
the models could not give is null (never NaN), with the reason in ``notes``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from clientela.api.schemas.common import InputSchema


class FitsQuery(Schema):
    currency: str | None = Field(None, min_length=3, max_length=3, description="ISO 4217 code.")
    current: bool | None = Field(None, description="Only the current fit of each currency (true).")


class FitOut(Schema):
    """One fit of the value models for one currency."""

    id: int
    currency: str
    status: str = Field(description="ok, not_converged, too_few or failed.")
    message: str
    is_current: bool
    as_of: dt.datetime = Field(description="The ledger was read up to this moment.")
    fitted_at: dt.datetime | None
    customers: int
    purchases: int
    horizon_days: int
    discount_rate: float = Field(description="Monthly discount rate of the lifetime value.")
    rfm: dict[str, Any] = Field(
        description="Quintile breakpoints of recency (days), purchases and net value."
    )
    bgnbd: dict[str, Any] = Field(description="r, alpha (days), a, b.")
    gamma_gamma: dict[str, Any] = Field(description="p, q, v.")
    stats: dict[str, Any] = Field(description="Log-likelihoods, iterations, exclusions, timings.")


class RefitIn(InputSchema):
    as_of: dt.datetime | None = Field(None, description="Use the ledger up to this moment (default: now).")
    currency: str | None = Field(None, min_length=3, max_length=3, description="Refit only this currency.")


class RefitOut(Schema):
    status: str = Field(description="queued")
    task_id: str | None


class ScoreOut(Schema):
    """A customer's value figures in its main currency, or ``scored: false`` before it has any."""

    party_id: int
    scored: bool
    currency: str | None = None
    as_of: dt.datetime | None = None
    first_purchase_at: dt.datetime | None = None
    last_purchase_at: dt.datetime | None = None
    purchases: int | None = None
    repeat_purchases: int | None = None
    recency_days: float | None = None
    net_value: str | None = None
    returns: str | None = None
    average_order_value: str | None = None
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    rfm_segment: str | None = None
    rfm_segment_label: str | None = None
    p_alive: float | None = None
    expected_purchases: float | None = None
    horizon_days: int | None = None
    expected_order_value: str | None = None
    clv: str | None = None
    churn_risk: str | None = None
    churn_reason: str | None = None
    churn_reason_text: str | None = None
    notes: list[str] = Field(default_factory=list, description="Why figures are missing, purchases left out.")
    fit_id: int | None = None
