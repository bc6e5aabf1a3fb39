"""Background work of imports: run a job in the task worker (django-tasks), enqueued after commit.

The task takes the job's id, so it is cheap to enqueue and safe to run twice: a job that is no longer
waiting (already claimed by another run, finished, failed or undone) is left alone.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from clientela.imports.jobs import ImportFailed
from clientela.imports.models import ImportJob, Status
from clientela.imports.pipeline import job_run

logger = logging.getLogger("clientela.imports")


@task()
def run_import(job_id: int) -> str:
    """Run one waiting import job; returns its final status. Never raises: a worker must survive any job."""
    # Claim the job: only one run moves it from "waiting" to "running" (a duplicate enqueue finds it taken).
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.PENDING).update(status=Status.RUNNING)
    job = ImportJob.objects.select_related("source", "created_by").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if not claimed:
        return str(job.status)
    try:
        job_run(job=job)
    except ImportFailed:
        pass  # job_run has marked the job failed, with the reason as its message
    except Exception:
        logger.exception("import job %s crashed", job_id)
        with translation.override(job.language or None):
            message = _(
                "The import stopped because of an unexpected error. Rows saved before it stay imported."
            )
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.FAILED, finished_at=timezone.now(), message=message
        )
        return str(Status.FAILED)
    return str(ImportJob.objects.values_list("status", flat=True).get(pk=job_id))


def enqueue_import(job: ImportJob) -> None:
    """Queue ``job`` to run in the background once the current transaction commits."""
    job_id = job.pk
    transaction.on_commit(lambda: run_import.enqueue(job_id))
