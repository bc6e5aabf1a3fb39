"""Identity resolution: a pure (ORM-free) probabilistic matching engine for party records.

Fellegi-Sunter scoring with m/u estimated by EM without labels, term-frequency adjusted weights,
multi-rule blocking, explainable scores, clustering that does not chain weak links, and an in-memory
index for real-time duplicate checks.
"""

from .blocking import DEFAULT_RULES, BlockingStats
from .cluster import cluster_pairs
from .comparisons import Comparison, Level
from .index import Match, MatchIndex
from .matcher import Matcher, ReviewPair, default_comparisons
from .model import FieldParams, FitResult, Scores, TFTable
from .normalize import NormalizedParty, normalize_record
from .records import PartyRecord

__all__ = [
    "DEFAULT_RULES",
    "BlockingStats",
    "Comparison",
    "FieldParams",
    "FitResult",
    "Level",
    "Match",
    "MatchIndex",
    "Matcher",
    "NormalizedParty",
    "PartyRecord",
    "ReviewPair",
    "Scores",
    "TFTable",
    "cluster_pairs",
    "default_comparisons",
    "normalize_record",
]
