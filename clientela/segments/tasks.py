"""Background evaluation of segments (django-tasks): after a definition change and periodically."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django_tasks import task

from clientela.segments.evaluation import party_memberships_refresh, segment_evaluate, segments_refresh
from clientela.segments.models import Segment

logger = logging.getLogger("clientela.segments")


@task()
def segment_evaluate_task(segment_id: int) -> str:
    """Evaluate one segment; returns "entered/left" counts. Safe to run twice (the second finds no change)."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        return "missing"
    result = segment_evaluate(segment=segment)
    return f"+{result.entered} -{result.left}"


@task()
def segments_refresh_task() -> int:
    """Evaluate every active segment (enqueue after an analytics refit, or from a scheduler)."""
    results = segments_refresh()
    return sum(r.entered + r.left for r in results)


# Customers whose data changed are re-evaluated against every active segment once their transaction
# commits: inline for a handful (a logged complaint, an edited address), in one task for bulk loads.
INLINE_MAX = 200


@task()
def memberships_refresh_task(party_ids: list[int]) -> int:
    """Re-evaluate every active segment for ``party_ids`` (a bulk load's touched customers)."""
    party_memberships_refresh(party_ids)
    return len(party_ids)


def _refresh(party_ids: Iterable[int]) -> None:
    ids = sorted({int(p) for p in party_ids})
    if not ids or not Segment.objects.filter(is_active=True, current_version__isnull=False).exists():
        return
    if len(ids) <= INLINE_MAX:
        try:
            party_memberships_refresh(ids)
        except Exception:
            # the write that triggered it is committed; the periodic refresh will catch up
            logger.exception("segment refresh of %d customers failed", len(ids))
    else:
        memberships_refresh_task.enqueue(ids)


def memberships_listener(party_ids: list[int]) -> None:
    """Ledger listener (``register_stats_listener``, called once per committed transaction): re-evaluate
    the touched customers' segments, after their scores (the analytics listener is registered first)."""
    _refresh(party_ids)


def party_changed_listener(event_type: str, payload: Mapping[str, Any]) -> None:
    """Domain-event listener: a customer created or edited (address, tags, owner...) is re-evaluated."""
    if event_type not in ("party.created", "party.updated"):
        return
    party = payload.get("party") if isinstance(payload.get("party"), Mapping) else payload
    pk = party.get("id") if isinstance(party, Mapping) else None
    if isinstance(pk, int):
        _refresh([pk])
