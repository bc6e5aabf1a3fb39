"""Background evaluation of segments (django-tasks): after a definition change and periodically."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
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


class _Pending(threading.local):
    ids: set[int]

    def __init__(self) -> None:
        self.ids = set()


_pending = _Pending()


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


def _flush() -> None:
    ids, _pending.ids = _pending.ids, set()
    _refresh(ids)


def memberships_listener(party_ids: Iterable[int]) -> None:
    """Ledger listener (``interactions.stats.register_stats_listener``): collect the touched customers
    and re-evaluate their segments when the transaction commits (after their scores: the analytics app's
    listener is registered first, so its commit callback runs first)."""
    if not connection.in_atomic_block:
        _refresh(party_ids)
        return
    _pending.ids.update(int(p) for p in party_ids)
    transaction.on_commit(_flush)


def party_changed_listener(event_type: str, payload: Mapping[str, Any]) -> None:
    """Domain-event listener: a customer created or edited (address, tags, owner...) is re-evaluated."""
    if event_type not in ("party.created", "party.updated"):
        return
    party = payload.get("party") if isinstance(payload.get("party"), Mapping) else payload
    pk = party.get("id") if isinstance(party, Mapping) else None
    if isinstance(pk, int):
        _refresh([pk])
