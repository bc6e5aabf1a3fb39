"""Starting duplicate detection from the review page, and its progress while the worker runs it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.identity.labels import STAGES
from clientela.identity.models import ResolutionRun, RunStatus
from clientela.identity.resolution import auto_merge_default, resolution_thresholds
from clientela.identity.tasks import resolution_start
from clientela.identity.views import merge_required


class RunForm(forms.Form):
    """Options of a run, thresholds as percentages (what people read on the queue), 0 to 100."""

    auto_merge = forms.BooleanField(label=gettext_lazy("Merge sure duplicates automatically"), required=False)
    merge_threshold = forms.FloatField(
        label=gettext_lazy("Sure from (%)"), min_value=0, max_value=100, required=True
    )
    review_threshold = forms.FloatField(
        label=gettext_lazy("Queue for review from (%)"), min_value=0, max_value=100, required=True
    )

    @classmethod
    def with_defaults(cls) -> RunForm:
        merge, review = resolution_thresholds()
        return cls(
            initial={
                "auto_merge": auto_merge_default(),
                "merge_threshold": round(merge * 100, 2),
                "review_threshold": round(review * 100, 2),
            }
        )


def run_context(run: ResolutionRun | None) -> dict[str, Any]:
    """What the status fragment shows of a run (the latest one on the queue page)."""
    if run is None:
        return {"run": None}
    finished = run.status in (RunStatus.DONE, RunStatus.FAILED)
    percent = None
    if run.progress_total:
        percent = min(100, round(100 * run.progress_done / run.progress_total))
    return {
        "run": run,
        "finished": finished,
        "stage_label": STAGES.get(run.stage, run.stage),
        "percent": percent,
    }


@merge_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """Queue a run for the background worker; errors (bad thresholds, a run already going) as messages."""
    form = RunForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("identity:queue")
    data = form.cleaned_data
    try:
        run = resolution_start(
            actor=Actor.from_request(request),
            auto_merge=data["auto_merge"],
            merge_threshold=data["merge_threshold"] / 100,
            review_threshold=data["review_threshold"] / 100,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except NotPermitted as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Run %(id)s is looking for duplicates in the background; new pairs appear here as it finishes.")
            % {"id": run.pk},
        )
    return redirect("identity:queue")


@merge_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status fragment of one run, polled by the queue page until the run finishes."""
    run = get_object_or_404(ResolutionRun, pk=pk)
    return render(request, "identity/_run_status.html", run_context(run))
