"""Duplicate detection in the background (django-tasks): a run row is created now, the work runs later.

The task takes the run's id, so it is cheap to enqueue and safe to run twice: a run that is no longer
waiting (claimed by another worker, finished or failed) is left alone.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from clientela.core.actor import Actor, Source
from clientela.core.exceptions import NotPermitted
from clientela.identity.models import ResolutionRun, RunStatus
from clientela.identity.permissions import MERGE_REFUSED, may_merge
from clientela.identity.resolution import (
    auto_merge_default,
    refuse_if_running,
    resolution_thresholds,
    resolve_run,
)

logger = logging.getLogger("clientela.identity")


@task()
def resolve_task(run_id: int) -> str:
    """Run one waiting resolution run; returns its final status. Never raises: a worker must survive it."""
    # Claim the run: only one worker moves it from "waiting" to "running".
    claimed = ResolutionRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING
    )
    run = ResolutionRun.objects.select_related("created_by").filter(pk=run_id).first()
    if run is None:
        return "missing"
    if not claimed:
        return str(run.status)
    # The person who asked for the run acts: automatic merges stay within what they may merge.
    actor = (
        Actor(user=run.created_by, source=Source.JOB)
        if run.created_by is not None
        else Actor.system("clientela resolve", source=Source.JOB)
    )
    try:
        resolve_run(
            actor=actor,
            auto_merge=run.auto_merge,
            merge_threshold=run.merge_threshold,
            review_threshold=run.review_threshold,
            run=run,
        )
    except Exception:
        logger.exception("resolution run %s crashed", run_id)  # resolve_run has marked it failed
    return str(ResolutionRun.objects.values_list("status", flat=True).get(pk=run_id))


def resolution_start(
    *,
    actor: Actor,
    auto_merge: bool | None = None,
    merge_threshold: float | None = None,
    review_threshold: float | None = None,
) -> ResolutionRun:
    """Create a waiting run and queue it for the background worker once the transaction commits.

    Unset options come from the settings. Raises NotPermitted when the actor may not merge customers (a
    run can merge, and its queue is where merges are decided) and ValidationError for bad thresholds or
    while another run is waiting or running.
    """
    if actor.user is not None and not may_merge(actor.user):
        raise NotPermitted(str(MERGE_REFUSED))
    merge, review = resolution_thresholds(merge_threshold, review_threshold)
    refuse_if_running()
    run = ResolutionRun.objects.create(
        status=RunStatus.PENDING,
        created_by=actor.user,
        actor_label=actor.display[:150],
        auto_merge=auto_merge_default() if auto_merge is None else auto_merge,
        merge_threshold=merge,
        review_threshold=review,
    )
    run_id = run.pk
    transaction.on_commit(lambda: resolve_task.enqueue(run_id))
    return run


@task()
def match_keys_task(ids: list[int] | None) -> int:
    """Refresh the blocking keys of these parties (all of them when None); returns how many were given."""
    from clientela.identity.keys import match_keys_rebuild, match_keys_refresh

    if ids is None:
        return match_keys_rebuild()
    match_keys_refresh(ids)
    return len(ids)
