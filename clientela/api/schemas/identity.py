"""Likely duplicates in API responses: the existing customers a new or changed record may be."""

from __future__ import annotations

from ninja import Schema

from clientela.api.schemas.common import Problem
from clientela.api.schemas.parties import PartyOut


class MatchFactor(Schema):
    """One term of the match score: a field's agreement level and its weight in bits (log2 of the
    Bayes factor; negative when the field disagrees). ``prior`` and ``total`` entries frame the sum."""

    field: str
    level: str
    weight: float


class PartyMatch(Schema):
    """An existing customer the record is likely to be, with the probability and its explanation."""

    party_id: int
    display_name: str
    probability: float
    explanation: list[MatchFactor]


class MatchesOut(Schema):
    """Likely existing matches, best first (empty when none reaches the review threshold)."""

    matches: list[PartyMatch]


class PartyWithMatches(PartyOut):
    """A party as created or changed, with the existing customers it may be a duplicate of."""

    matches: list[PartyMatch]


class DuplicateProblem(Problem):
    """409 of ``on_duplicate=reject``: nothing was saved; ``matches`` lists the likely duplicates."""

    matches: list[PartyMatch]
