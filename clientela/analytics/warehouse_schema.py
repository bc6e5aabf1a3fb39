"""The tables of the warehouse export and their column types (``docs/analytics-export.md``).

Column names and types are a contract with the BI models built on the export: append columns at the end of
a table; never rename or retype one without raising ``SCHEMA_VERSION``. Money is an exact decimal with two
places (Parquet DECIMAL(18,2); plain ``1234.56`` in CSV), times are UTC with microseconds.
"""

from __future__ import annotations

from typing import Any

import polars as pl

SCHEMA_VERSION = 1
MONEY = pl.Decimal(18, 2)
UTC_TIME = pl.Datetime("us", "UTC")

# The tables and their columns, in file order. Append columns at the end; never rename or retype one
# without raising SCHEMA_VERSION (BI models are built on these names).
TABLES: dict[str, dict[str, Any]] = {
    "parties": {
        "party_id": pl.Int64,
        "kind": pl.String,
        "display_name": pl.String,
        "organisation_id": pl.Int64,
        "tax_id": pl.String,
        "city": pl.String,
        "region": pl.String,
        "postal_code": pl.String,
        "country": pl.String,
        "language": pl.String,
        "status": pl.String,
        "owner_id": pl.Int64,
        "owner_username": pl.String,
        "team_id": pl.Int64,
        "team_name": pl.String,
        "created_at": UTC_TIME,
        "updated_at": UTC_TIME,
        "merged_into_id": pl.Int64,
    },
    "interactions": {
        "interaction_id": pl.Int64,
        "party_id": pl.Int64,
        "organisation_id": pl.Int64,
        "kind": pl.String,
        "occurred_at": UTC_TIME,
        "channel": pl.String,
        "direction": pl.String,
        "source": pl.String,
        "external_id": pl.String,
        "amount": MONEY,
        "currency": pl.String,
        "status": pl.String,
        "summary": pl.String,
        "user_id": pl.Int64,
        "created_at": UTC_TIME,
    },
    "scores": {
        "party_id": pl.Int64,
        "currency": pl.String,
        "as_of": UTC_TIME,
        "first_purchase_at": UTC_TIME,
        "last_purchase_at": UTC_TIME,
        "purchases": pl.Int64,
        "frequency": pl.Int64,
        "recency_days": pl.Float64,
        "t_x_days": pl.Float64,
        "age_days": pl.Float64,
        "monetary": MONEY,
        "returns_total": MONEY,
        "average_order_value": MONEY,
        "r_score": pl.Int16,
        "f_score": pl.Int16,
        "m_score": pl.Int16,
        "rfm_segment": pl.String,
        "p_alive": pl.Float64,
        "expected_purchases": pl.Float64,
        "expected_order_value": MONEY,
        "clv": MONEY,
        "churn_risk": pl.String,
        "churn_reason": pl.String,
        "excluded_reason": pl.String,
        "fit_id": pl.Int64,
        "updated_at": UTC_TIME,
    },
    "model_fits": {
        "fit_id": pl.Int64,
        "currency": pl.String,
        "as_of": UTC_TIME,
        "fitted_at": UTC_TIME,
        "status": pl.String,
        "is_current": pl.Boolean,
        "customers": pl.Int64,
        "purchases": pl.Int64,
        "horizon_days": pl.Int64,
        "monthly_discount_rate": pl.Decimal(6, 4),
        "bgnbd_r": pl.Float64,
        "bgnbd_alpha": pl.Float64,
        "bgnbd_a": pl.Float64,
        "bgnbd_b": pl.Float64,
        "gamma_gamma_p": pl.Float64,
        "gamma_gamma_q": pl.Float64,
        "gamma_gamma_v": pl.Float64,
        "message": pl.String,
        "rfm_breakpoints_json": pl.String,
        "stats_json": pl.String,
    },
    "segments": {
        "segment_id": pl.Int64,
        "name": pl.String,
        "description": pl.String,
        "version": pl.Int64,
        "definition_text": pl.String,
        "definition_json": pl.String,
        "owner_id": pl.Int64,
        "team_id": pl.Int64,
        "member_count": pl.Int64,
        "is_active": pl.Boolean,
        "evaluated_at": UTC_TIME,
        "created_at": UTC_TIME,
        "updated_at": UTC_TIME,
    },
    "segment_memberships": {
        "segment_id": pl.Int64,
        "party_id": pl.Int64,
        "since": UTC_TIME,
        "version": pl.Int64,
    },
    "segment_changes": {
        "change_id": pl.Int64,
        "segment_id": pl.Int64,
        "party_id": pl.Int64,
        "change": pl.String,
        "at": UTC_TIME,
        "version": pl.Int64,
        "reason": pl.String,
    },
}


def type_name(dtype: Any) -> str:
    """The portable name of a column type in the manifest and the docs (``decimal(18,2)``, ``timestamp``...)."""
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "timestamp[us, UTC]"
    names = {pl.Int64: "int64", pl.Int16: "int16", pl.Float64: "float64", pl.String: "string"}
    return next((text for kind, text in names.items() if dtype == kind), "boolean")
