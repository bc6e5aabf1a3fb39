"""Segment rules: the field registry, the rule tree (validation, SQL, words)."""

# isort: off
from clientela.segments.rules import fields_party  # noqa: F401  (registers the fields, in this order)
from clientela.segments.rules import fields_activity  # noqa: F401

# isort: on
from clientela.segments.rules.fields_party import names_preloaded
from clientela.segments.rules.registry import FIELDS, OPERATORS, Field, register_field
from clientela.segments.rules.tree import (
    condition_q,
    condition_text,
    definition_clean,
    definition_q,
    definition_text,
    forced_true,
    leaves,
)

__all__ = [
    "FIELDS",
    "OPERATORS",
    "Field",
    "condition_q",
    "condition_text",
    "definition_clean",
    "definition_q",
    "definition_text",
    "forced_true",
    "leaves",
    "names_preloaded",
    "register_field",
]
