"""``/v1/pipelines`` and ``/v1/opportunities``: pipelines with their stages and board, opportunities (list
with the board's filters, create, read, change, move, delete) and their stage history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.errors import ProblemError
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.sales import (
    BoardOut,
    MoveIn,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    PipelineOut,
    StageChangeOut,
)
from clientela.core.permissions import Action, Scope, user_scope
from clientela.sales import selectors, services
from clientela.sales.choices import OpportunityStatus
from clientela.sales.models import Opportunity, Pipeline

router = Router(tags=["sales"])


class OpportunityListQuery(Schema):
    """Filters shared with the board and the web list."""

    pipeline: int | None = None
    stage: int | None = None
    status: OpportunityStatus | None = None
    party: int | None = None
    owner: int | None = None
    team: int | None = None
    close_from: str | None = None
    close_to: str | None = None
    period: str | None = None
    q: str | None = None


def _require_view(request: HttpRequest) -> None:
    if user_scope(request.user, "opportunity", Action.VIEW) == Scope.NONE:
        raise ProblemError(403, "You do not have permission to see opportunities.")


def _filters(params: dict[str, Any]) -> selectors.BoardFilters:
    filters = selectors.BoardFilters.from_params({k: "" if v is None else str(v) for k, v in params.items()})
    if filters.errors:
        from clientela.api.errors import invalid

        raise invalid([{"field": name, "message": "Not a valid value."} for name in filters.errors])
    return filters


def _get(request: HttpRequest, pk: int) -> Opportunity:
    opp = selectors.opportunity_detail(user=request.user, pk=pk)
    if opp is None:
        raise ProblemError(404, "No opportunity with this id that you can see.")
    return opp


@router.get("/pipelines", response={200: list[PipelineOut], **READ_ERRORS}, operation_id="pipelines_list")
def pipelines_list(request: HttpRequest) -> Any:
    """Active pipelines with their stages in order."""
    return list(Pipeline.objects.filter(is_active=True).prefetch_related("stages").order_by("position", "pk"))


@router.get(
    "/pipelines/{pipeline_id}/board", response={200: BoardOut, **READ_ERRORS}, operation_id="pipelines_board"
)
def pipelines_board(
    request: HttpRequest,
    filters: Query[OpportunityListQuery],
    pipeline_id: int = id_path(),
    per_column: int = Query(20, ge=1, le=100),
) -> Any:
    """The board: each active stage with its count and totals per currency (weighted by probability) and
    its first cards (most recently moved first); continue a column with ``/opportunities?stage=``."""
    _require_view(request)
    pipeline = get_object_or_404(Pipeline.objects.prefetch_related("stages"), pk=pipeline_id, is_active=True)
    board_filters = _filters(filters.dict(exclude={"pipeline", "stage", "status", "party"}))
    columns = selectors.pipeline_board(
        user=request.user, pipeline=pipeline, filters=board_filters, per_column=per_column
    )
    return {
        "pipeline": pipeline,
        "columns": [
            {
                "stage": c.stage,
                "count": c.count,
                "totals": [
                    {"currency": cur, "count": m.count, "amount": m.amount, "weighted": m.weighted}
                    for cur, m in sorted(c.totals.items())
                ],
                "cards": [{**card, "party_name": card["party__display_name"]} for card in c.cards],
                "next_cursor": c.next_cursor,
            }
            for c in columns
        ],
    }


@router.get(
    "/opportunities", response={200: Paged[OpportunityOut], **READ_ERRORS}, operation_id="opportunities_list"
)
def opportunities_list(
    request: HttpRequest,
    filters: Query[OpportunityListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Opportunities you may see, newest first, one keyset page at a time."""
    _require_view(request)
    raw = filters.dict()
    board_filters = _filters({k: raw[k] for k in ("owner", "team", "close_from", "close_to", "period", "q")})
    page = selectors.opportunity_list(
        user=request.user,
        filters=board_filters,
        pipeline=raw["pipeline"],
        stage=raw["stage"],
        status=raw["status"],
        party=raw["party"],
        cursor=cursor,
        size=limit,
    )
    ids = [o.pk for o in page.items]
    full = {
        o.pk: o
        for o in Opportunity.objects.filter(pk__in=ids).select_related(
            "party", "organisation", "stage", "owner", "team", "lost_reason"
        )
    }
    return {"items": [full[pk] for pk in ids], "next_cursor": page.next_cursor}


@router.post(
    "/opportunities", response={201: OpportunityOut, **WRITE_ERRORS}, operation_id="opportunities_create"
)
def opportunities_create(request: HttpRequest, response: HttpResponse, payload: OpportunityIn) -> Any:
    """Open an opportunity (validated like the web form; every problem listed by field)."""
    data = payload.model_dump(mode="python", exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None}
    opp = services.opportunity_create(actor=request_actor(request), data=data)
    opp = _get(request, opp.pk)
    with_etag(response, opp)
    return Status(201, opp)


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **READ_ERRORS},
    operation_id="opportunities_get",
)
def opportunities_get(request: HttpRequest, response: HttpResponse, opportunity_id: int = id_path()) -> Any:
    """One opportunity (ETag: its version)."""
    opp = _get(request, opportunity_id)
    with_etag(response, opp)
    return opp


@router.patch(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **VERSIONED_WRITE_ERRORS},
    operation_id="opportunities_update",
)
def opportunities_update(
    request: HttpRequest, response: HttpResponse, payload: OpportunityPatch, opportunity_id: int = id_path()
) -> Any:
    """Change the fields sent; with ``If-Match``, a stale version is a 412."""
    opp = _get(request, opportunity_id)
    version = expected_version(request, opp)
    data = payload.model_dump(mode="python", exclude_unset=True)
    services.opportunity_update(
        actor=request_actor(request), opportunity=opp, data=data, expected_version=version
    )
    opp = _get(request, opportunity_id)
    with_etag(response, opp)
    return opp


@router.post(
    "/opportunities/{opportunity_id}/move",
    response={200: OpportunityOut, **VERSIONED_WRITE_ERRORS},
    operation_id="opportunities_move",
)
def opportunities_move(
    request: HttpRequest, response: HttpResponse, payload: MoveIn, opportunity_id: int = id_path()
) -> Any:
    """Move to another stage (the board's drag and drop); with ``If-Match``, a stale version is a 412."""
    opp = _get(request, opportunity_id)
    version = expected_version(request, opp)
    services.opportunity_move(
        actor=request_actor(request),
        opportunity=opp,
        stage=payload.stage,
        expected_version=version,
        lost_reason=payload.lost_reason,
        lost_note=payload.lost_note,
    )
    opp = _get(request, opportunity_id)
    with_etag(response, opp)
    return opp


@router.delete(
    "/opportunities/{opportunity_id}",
    response={204: None, **VERSIONED_WRITE_ERRORS},
    operation_id="opportunities_delete",
)
def opportunities_delete(request: HttpRequest, opportunity_id: int = id_path()) -> Any:
    """Delete an opportunity created by mistake (the change log keeps it); If-Match as for PATCH."""
    opp = _get(request, opportunity_id)
    services.opportunity_delete(
        actor=request_actor(request), opportunity=opp, expected_version=expected_version(request, opp)
    )
    return Status(204, None)


@router.get(
    "/opportunities/{opportunity_id}/stage-changes",
    response={200: list[StageChangeOut], **READ_ERRORS},
    operation_id="opportunities_stage_changes",
)
def opportunities_stage_changes(request: HttpRequest, opportunity_id: int = id_path()) -> Any:
    """Every stage the opportunity entered, oldest first, with the time spent in the previous one."""
    return selectors.stage_history(opportunity=_get(request, opportunity_id))
