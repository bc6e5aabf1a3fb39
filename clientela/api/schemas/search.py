"""Schemas of the global search."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

SearchMatch = Literal["name", "email", "phone", "tax_id", "external_id"]
SearchTier = Literal["exact", "prefix", "substring", "fuzzy"]


class SearchHit(Schema):
    """A customer found by the search: what matched, how well, and a line to tell namesakes apart."""

    id: int
    kind: str
    display_name: str
    match: SearchMatch = Field(..., description="What matched: a name, an email, a phone or an identifier")
    tier: SearchTier = Field(..., description="exact word > word start > part of a word > typo-corrected")
    score: float = Field(..., description="Higher is better; ranks the items")
    subtitle: str = Field(..., description="Primary email, phone and city")


class SearchOut(Schema):
    """The best matches the user may see, best first."""

    items: list[SearchHit]
