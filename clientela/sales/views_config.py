"""Sales settings pages for managers: pipelines with their stages, and the list of lost reasons."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, Scope, user_scope
from clientela.sales.config import lost_reason_save, may_configure, pipeline_create, pipeline_update
from clientela.sales.forms import PipelineForm, StageFormSet, attach
from clientela.sales.models import LostReason, Pipeline


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request, "web/403.html", {"message": _("Only managers can change the sales settings.")}, status=403
    )


@login_required
@require_GET
def pipelines(request: HttpRequest) -> HttpResponse:
    """Pipelines with their stages, and lost reasons (read by everyone who sees opportunities)."""
    if user_scope(request.user, "catalog", Action.VIEW) == Scope.NONE:
        return _forbidden(request)
    context = {
        "nav": "sales_settings",
        "pipelines": list(Pipeline.objects.prefetch_related("stages").order_by("position", "pk")),
        "lost_reasons": list(LostReason.objects.all()),
        "can_configure": may_configure(request.user),
    }
    return render(request, "sales/pipelines.html", context)


def _stage_initial(pipeline: Pipeline | None) -> list[dict[str, Any]]:
    if pipeline is None:
        return [
            {"name": _("Qualification"), "probability": 10, "outcome": "open", "is_active": True},
            {"name": _("Proposal"), "probability": 50, "outcome": "open", "is_active": True},
            {"name": _("Won"), "probability": 100, "outcome": "won", "is_active": True},
            {"name": _("Lost"), "probability": 0, "outcome": "lost", "is_active": True},
        ]
    return [
        {
            "id": s.pk,
            "name": s.name,
            "probability": s.probability,
            "outcome": "won" if s.is_won else "lost" if s.is_lost else "open",
            "is_active": s.is_active,
        }
        for s in pipeline.stages.order_by("position", "pk")
    ]


@login_required
def pipeline_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a pipeline or edit one: name, currency, and its stages in order (rows; delete to remove)."""
    if not may_configure(request.user):
        return _forbidden(request)
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk else None
    if request.method == "POST":
        form = PipelineForm(request.POST)
        formset = StageFormSet(request.POST, prefix="stages")
        if form.is_valid() and formset.is_valid():
            stages = [
                f.stage_data()
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("name")
            ]
            try:
                if pipeline is None:
                    pipeline = pipeline_create(
                        actor=Actor.from_request(request), data=form.cleaned_data, stages=stages
                    )
                else:
                    pipeline_update(
                        actor=Actor.from_request(request),
                        pipeline=pipeline,
                        data=form.cleaned_data,
                        stages=stages,
                    )
            except NotPermitted:
                return _forbidden(request)
            except ValidationError as exc:
                attach(form, exc)
            else:
                messages.success(request, _("Pipeline “%(name)s” saved.") % {"name": pipeline.name})
                return redirect("sales:pipelines")
        status = 422
    else:
        initial = (
            {
                "name": pipeline.name,
                "currency": pipeline.currency,
                "is_default": pipeline.is_default,
                "is_active": pipeline.is_active,
            }
            if pipeline
            else {"currency": "EUR", "is_active": True}
        )
        form = PipelineForm(initial=initial)
        formset = StageFormSet(initial=_stage_initial(pipeline), prefix="stages")
        status = 200
    context = {"nav": "sales_settings", "form": form, "formset": formset, "pipeline": pipeline}
    return render(request, "sales/pipeline_form.html", context, status=status)


@login_required
@require_POST
def lost_reason_add(request: HttpRequest) -> HttpResponse:
    if not may_configure(request.user):
        return _forbidden(request)
    try:
        lost_reason_save(actor=Actor.from_request(request), data={"name": request.POST.get("name", "")})
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("Lost reason added."))
    return redirect("sales:pipelines")


@login_required
@require_POST
def lost_reason_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_configure(request.user):
        return _forbidden(request)
    reason = get_object_or_404(LostReason, pk=pk)
    lost_reason_save(
        actor=Actor.from_request(request), reason=reason, data={"is_active": not reason.is_active}
    )
    return redirect("sales:pipelines")
