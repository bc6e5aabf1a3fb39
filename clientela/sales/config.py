"""Services configuring the sales process: pipelines with ordered stages, and the list of lost reasons.

Managers configure them (the role's "catalog" scope: change). A stage in use is never deleted, only
deactivated, so the stage history and the forecast keep their meaning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.exceptions import NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, Scope, user_scope
from clientela.parties.validation import Errors, unknown_fields
from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage, StageChange
from clientela.sales.validation import clean_currency, coerce, model_checks

PIPELINE_FIELDS = ("name", "currency", "is_default", "is_active", "position")
STAGE_FIELDS = ("id", "name", "probability", "is_won", "is_lost", "is_active")


def may_configure(user: Any) -> bool:
    return user is None or user_scope(user, "catalog", Action.CHANGE) != Scope.NONE


def _require(actor: Actor) -> None:
    if not may_configure(actor.user):
        raise NotPermitted()


def _clean_stages(pipeline: Pipeline, stages: Sequence[Mapping[str, Any]], errors: Errors) -> list[Stage]:
    existing = {s.pk: s for s in Stage.objects.filter(pipeline=pipeline)} if pipeline.pk else {}
    out: list[Stage] = []
    names: set[str] = set()
    for i, item in enumerate(stages):
        prefix = f"stages.{i}."
        sub = Errors()
        unknown_fields(item, STAGE_FIELDS, sub)
        pk = item.get("id")
        if pk is not None and pk not in existing:
            sub.add("id", _("This stage is not part of the pipeline."))
        stage = existing.get(pk) if pk is not None else None
        stage = stage or Stage(pipeline=pipeline)
        coerce(stage, item, STAGE_FIELDS[1:], sub)
        stage.position = i
        if not (stage.name or "").strip():
            sub.add("name", _("Give the stage a name."))
        elif stage.name.casefold() in names:
            sub.add("name", _("Two stages cannot have the same name."))
        names.add((stage.name or "").casefold())
        if stage.is_won and stage.is_lost:
            sub.add("is_lost", _("A stage cannot be both won and lost."))
        model_checks(stage, sub, exclude=("pipeline",))
        for path, messages in sub.by_path.items():
            for message in messages:
                errors.add(f"{prefix}{path}", message)
        out.append(stage)
    if not any(s.is_won for s in out):
        errors.add("stages", _("A pipeline needs a won stage."))
    if not any(s.is_lost for s in out):
        errors.add("stages", _("A pipeline needs a lost stage."))
    if not any(not s.is_won and not s.is_lost for s in out):
        errors.add("stages", _("A pipeline needs at least one open stage."))
    kept = {s.pk for s in out if s.pk}
    for pk, stage in existing.items():
        if pk not in kept and (
            Opportunity.objects.filter(stage=stage).exists()
            or StageChange.objects.filter(to_stage=stage).exists()
        ):
            errors.add(
                "stages",
                _("The stage “%(name)s” has opportunities; deactivate it instead of removing it.")
                % {"name": stage.name},
            )
    return out


def _save_stages(pipeline: Pipeline, stages: list[Stage]) -> None:
    kept = {s.pk for s in stages if s.pk}
    Stage.objects.filter(pipeline=pipeline).exclude(pk__in=kept).delete()
    # positions and names are unique per pipeline: park them out of the way before rewriting
    for stage in stages:
        if stage.pk:
            Stage.objects.filter(pk=stage.pk).update(name=f"\x00{stage.pk}")
    for stage in stages:
        stage.pipeline = pipeline
        stage.save()


def _default_only(pipeline: Pipeline) -> None:
    if pipeline.is_default:
        Pipeline.objects.filter(~Q(pk=pipeline.pk), is_default=True).update(is_default=False)


@transaction.atomic
def pipeline_create(
    *, actor: Actor, data: Mapping[str, Any], stages: Sequence[Mapping[str, Any]]
) -> Pipeline:
    """Create a pipeline with its stages in order (at least one open, one won and one lost stage)."""
    _require(actor)
    errors = Errors()
    unknown_fields(data, PIPELINE_FIELDS, errors)
    pipeline = Pipeline()
    coerce(pipeline, data, PIPELINE_FIELDS, errors)
    pipeline.currency = clean_currency(data.get("currency", "EUR"), errors)
    if not (pipeline.name or "").strip():
        errors.add("name", _("Give the pipeline a name."))
    elif Pipeline.objects.filter(name__iexact=pipeline.name).exists():
        errors.add("name", _("There is already a pipeline with this name."))
    model_checks(pipeline, errors, exclude=("name",))
    cleaned = _clean_stages(pipeline, stages, errors)
    errors.raise_if_any()
    _default_only(pipeline)
    pipeline.save()
    _save_stages(pipeline, cleaned)
    record_snapshot(
        actor=actor,
        obj=pipeline,
        aggregate=pipeline,
        action=ChangeAction.CREATE,
        snapshot={**field_values(pipeline, PIPELINE_FIELDS), "stages": [s.name for s in cleaned]},
    )
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    actor: Actor,
    pipeline: Pipeline,
    data: Mapping[str, Any],
    stages: Sequence[Mapping[str, Any]] | None = None,
) -> Pipeline:
    """Rename, reorder, add or deactivate stages; existing stages are named by id. Probabilities changed
    here apply to opportunities that enter the stage from now on."""
    _require(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    errors = Errors()
    unknown_fields(data, PIPELINE_FIELDS, errors)
    before = {
        **field_values(pipeline, PIPELINE_FIELDS),
        "stages": list(pipeline.stages.values_list("name", flat=True)),
    }
    coerce(pipeline, data, PIPELINE_FIELDS, errors)
    if "currency" in data:
        pipeline.currency = clean_currency(data["currency"], errors)
    if "name" in data and Pipeline.objects.filter(~Q(pk=pipeline.pk), name__iexact=pipeline.name).exists():
        errors.add("name", _("There is already a pipeline with this name."))
    model_checks(pipeline, errors, exclude=("name",))
    cleaned = _clean_stages(pipeline, stages, errors) if stages is not None else None
    errors.raise_if_any()
    _default_only(pipeline)
    pipeline.save()
    if cleaned is not None:
        _save_stages(pipeline, cleaned)
    after = {
        **field_values(pipeline, PIPELINE_FIELDS),
        "stages": list(pipeline.stages.values_list("name", flat=True)),
    }
    record_update(actor=actor, obj=pipeline, aggregate=pipeline, before=before, after=after)
    return pipeline


@transaction.atomic
def lost_reason_save(
    *, actor: Actor, data: Mapping[str, Any], reason: LostReason | None = None
) -> LostReason:
    """Add a lost reason or rename / deactivate one (reasons in use are never deleted)."""
    _require(actor)
    errors = Errors()
    unknown_fields(data, ("name", "is_active", "position"), errors)
    obj = reason or LostReason()
    before = field_values(obj, ("name", "is_active", "position")) if reason else None
    coerce(obj, data, ("name", "is_active", "position"), errors)
    if not (obj.name or "").strip():
        errors.add("name", _("Give the reason a name."))
    elif LostReason.objects.filter(~Q(pk=obj.pk or 0), name__iexact=obj.name).exists():
        errors.add("name", _("This reason is already on the list."))
    errors.raise_if_any()
    obj.save()
    after = field_values(obj, ("name", "is_active", "position"))
    if before is None:
        record_snapshot(actor=actor, obj=obj, aggregate=obj, action=ChangeAction.CREATE, snapshot=after)
    else:
        record_update(actor=actor, obj=obj, aggregate=obj, before=before, after=after)
    return obj
