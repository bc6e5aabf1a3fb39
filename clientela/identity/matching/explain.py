"""Plain-data explanation of a scored pair, for the UI and for audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .comparisons import Comparison
from .model import FitResult, Scores


def explain_row(
    fit: FitResult, comparisons: Sequence[Comparison], scores: Scores, row: int
) -> list[dict[str, Any]]:
    """One dict per contribution to the total match weight of pair `row`.

    The first entry is the prior ("prior"), then one entry per field with its agreement level code,
    the level's base weight log2(m/u) after caps, the term-frequency adjustment and their sum
    ("weight"), all in bits. Then "address_dependence": the (non-positive) correction that stops surname,
    street, postal code, city and a landline from adding up as if independent. The last entry ("total") carries the total weight (the sum of all the
    previous "weight" values) and the match probability.
    """
    entries: list[dict[str, Any]] = [
        {"field": "prior", "level": "prior", "weight": scores.prior_weight, "base_weight": scores.prior_weight,
         "tf_adjustment": 0.0, "m": None, "u": None}
    ]  # fmt: skip
    for f, comparison in enumerate(comparisons):
        level = int(scores.levels[row, f])
        params = fit.params(comparison.name)
        weight = float(scores.weights[row, f])
        tf = float(scores.tf_adjustments[row, f])
        entries.append(
            {
                "field": comparison.name,
                "level": comparison.levels[level].code,
                "weight": weight,
                "base_weight": weight - tf,
                "tf_adjustment": tf,
                "m": None if level == 0 else float(params.m[level]),
                "u": None if level == 0 else float(params.u[level]),
            }
        )
    entries.append(
        {
            "field": "address_dependence",
            "level": "capped" if scores.dependence[row] < 0 else "none",
            "weight": float(scores.dependence[row]),
            "base_weight": float(scores.dependence[row]),
            "tf_adjustment": 0.0,
            "m": None,
            "u": None,
        }
    )
    entries.append(
        {
            "field": "total",
            "level": "total",
            "weight": float(scores.total[row]),
            "match_probability": float(scores.probability[row]),
        }
    )
    return entries
