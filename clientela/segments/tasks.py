"""Background evaluation of segments (django-tasks): after a definition change and periodically."""

from __future__ import annotations

import logging

from django_tasks import task

from clientela.segments.evaluation import segment_evaluate, segments_refresh
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
