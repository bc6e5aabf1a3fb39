"""Reads of the identity app: the review queue of possible duplicates, and the merges that can be undone."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from clientela.core.permissions import Action
from clientela.identity.models import CandidateStatus, MatchCandidate, Merge, ResolutionRun
from clientela.parties.models import Party


def _cursor_q(cursor: tuple[float, int] | None) -> Q:
    if cursor is None:
        return Q()
    score, pk = cursor
    return Q(score__lt=score) | Q(score=score, pk__gt=pk)


def review_queue(
    *, user: Any, limit: int = 50, cursor: tuple[float, int] | None = None
) -> list[MatchCandidate]:
    """Open possible duplicates, most probable first, both parties loaded, for ``user`` to decide.

    Only pairs where the user may view both customers and both are still live are listed. Keyset
    pagination: pass ``(score, id)`` of the last candidate of a page as ``cursor`` to get the next one
    (offsets would slow down, and shift as people decide pairs).
    """
    visible = Party.objects.restrict(user, Action.VIEW)
    qs: QuerySet[MatchCandidate] = (
        MatchCandidate.objects.filter(status=CandidateStatus.OPEN)
        .filter(_cursor_q(cursor))
        .filter(
            Exists(visible.filter(pk=OuterRef("party_a_id"))),
            Exists(visible.filter(pk=OuterRef("party_b_id"))),
        )
        .select_related("party_a", "party_b")
        .order_by("-score", "pk")
    )
    return list(qs[:limit])


def next_cursor(page: list[MatchCandidate]) -> tuple[float, int] | None:
    """The cursor of the page after ``page`` (None for an empty page)."""
    return (page[-1].score, page[-1].pk) if page else None


def recent_merges(*, user: Any, limit: int = 10) -> list[Merge]:
    """Merges still standing, newest first, whose surviving customer ``user`` may view (to undo them)."""
    visible = Party.objects.restrict(user, Action.VIEW)
    qs: QuerySet[Merge] = (
        Merge.objects.filter(undone_at=None)
        .filter(Exists(visible.filter(pk=OuterRef("survivor_id"))))
        .select_related("survivor", "merged")
        .order_by("-merged_at", "-pk")
    )
    return list(qs[:limit])


def merge_get(*, user: Any, pk: int) -> Merge:
    """One merge whose surviving customer ``user`` may view; Merge.DoesNotExist otherwise."""
    visible = Party.objects.restrict(user, Action.VIEW)
    return Merge.objects.filter(Exists(visible.filter(pk=OuterRef("survivor_id")))).get(pk=pk)


def latest_run() -> ResolutionRun | None:
    """The most recent duplicate detection run (for its status on the review page)."""
    return ResolutionRun.objects.order_by("-created_at", "-id").first()
