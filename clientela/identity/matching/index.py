"""Real-time check: likely duplicates of one new record against an in-memory index, without re-fitting.

The index maps every blocking key to the records holding it; a query looks up the keys of the new
record only, so its cost grows with the candidates found, not with the number of indexed records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .columns import Columns
from .explain import explain_row
from .normalize import NormalizedParty, normalize_record
from .records import PartyRecord

if TYPE_CHECKING:
    from .matcher import Matcher


@dataclass(frozen=True, slots=True)
class Match:
    """A likely duplicate: the indexed record's id, its score and the explanation."""

    record_id: str
    probability: float
    weight: float
    explanation: list[dict[str, Any]]


class MatchIndex:
    """Blocking keys -> record positions over existing records, scored with a fitted matcher."""

    def __init__(self, matcher: Matcher, records: Iterable[PartyRecord] = ()) -> None:
        self.matcher = matcher
        self.ids: list[str] = []
        self.parties: list[NormalizedParty] = []
        self.keys: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name in matcher.rules}
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, record: PartyRecord) -> None:
        """Index one more record (e.g. after it was saved)."""
        position = len(self.ids)
        party = normalize_record(record)
        self.ids.append(record.id)
        self.parties.append(party)
        for name, rule in self.matcher.rules.items():
            for key in set(rule(party)):
                self.keys[name][key].append(position)

    def candidates(self, party: NormalizedParty) -> list[int]:
        """Indexed positions sharing a (not too common) blocking key with `party`, same kind only."""
        found: set[int] = set()
        limit = self.matcher.max_block_size
        for name, rule in self.matcher.rules.items():
            bucket = self.keys[name]
            for key in set(rule(party)):
                positions = bucket.get(key)
                if not positions:
                    continue
                # The new record would make the block one larger: same cap as batch blocking.
                if len(positions) < limit:
                    found.update(positions)
                else:
                    found.update(self._near_in_block(party, positions))
        return sorted(p for p in found if self.parties[p].kind == party.kind)

    def _near_in_block(self, party: NormalizedParty, positions: list[int]) -> list[int]:
        """Members of an oversize block the new record is close to in batch sub-blocking's secondary
        orders: the same birth date, or the same postal code and street."""
        out = []
        for p in positions:
            other = self.parties[p]
            if (party.birth_date and other.birth_date == party.birth_date) or (
                party.street and other.street == party.street and other.postal_code == party.postal_code
            ):
                out.append(p)
        return out

    def matches(self, record: PartyRecord, limit: int = 10, threshold: float = 0.5) -> list[Match]:
        """Indexed records likely to be the same party as `record`, best first, with explanations."""
        party = normalize_record(record)
        positions = [p for p in self.candidates(party) if self.ids[p] != record.id]
        if not positions:
            return []
        cols = Columns([party, *(self.parties[p] for p in positions)])
        left = np.zeros(len(positions), dtype=np.int64)
        right = np.arange(1, len(positions) + 1, dtype=np.int64)
        scores = self.matcher.score_columns(cols, left, right)
        order = np.argsort(-scores.total, kind="stable")
        out: list[Match] = []
        for row in order.tolist():
            if scores.probability[row] < threshold or len(out) >= limit:
                break
            out.append(
                Match(
                    record_id=self.ids[positions[row]],
                    probability=float(scores.probability[row]),
                    weight=float(scores.total[row]),
                    explanation=explain_row(self.matcher.fitted, self.matcher.comparisons, scores, row),
                )
            )
        return out
