"""``/v1/segments`` (mounted at /api/v1): saved customer segments, their live preview, members and history.

Segments follow the role's "segment" scope (own = owner); members and history only ever show customers
inside the caller's own view of customers.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.segments import (
    ChangeOut,
    DefinitionIn,
    FieldOut,
    MemberOut,
    PreviewOut,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
    VersionOut,
)
from clientela.core.exceptions import NotPermitted
from clientela.core.pagination import keyset_page
from clientela.core.permissions import Action, Scope, user_scope
from clientela.segments import selectors, services
from clientela.segments.rules import FIELDS, OPERATORS, definition_clean

router = Router(tags=["segments"])


def _may(request: HttpRequest, action: str) -> None:
    if user_scope(request.user, "segment", action) == Scope.NONE:
        raise NotPermitted()


@router.get(
    "/segment-fields",
    response={200: list[FieldOut], **READ_ERRORS},
    operation_id="segment_fields",
    summary="Fields segment rules may test",
)
def segment_fields(request: HttpRequest) -> Any:
    """Every field with its operators, value type, extra keys and choices (in your language)."""
    _may(request, Action.VIEW)
    out = []
    for spec in FIELDS.values():
        kinds = spec.param_choices.get("kind")
        out.append(
            {
                "key": spec.key,
                "label": str(spec.label),
                "group": str(spec.group),
                "value_type": spec.value_type,
                "operators": [{"op": op, "label": str(OPERATORS[op])} for op in spec.ops],
                "params": list(spec.params),
                "choices": [
                    {"value": str(k), "label": str(v)} for k, v in (spec.choices() if spec.choices else ())
                ],
                "kinds": [{"value": str(k), "label": str(v)} for k, v in (kinds() if kinds else ())],
            }
        )
    return out


@router.get(
    "/segments",
    response={200: Paged[SegmentOut], **WRITE_ERRORS},
    operation_id="segments_list",
    summary="List segments",
)
def segments_list(
    request: HttpRequest, cursor: str | None = cursor_param(), limit: int = limit_param()
) -> Any:
    """Active segments you may see, newest first; keyset pages."""
    _may(request, Action.VIEW)
    page = keyset_page(
        selectors.segments_for_user(request.user),
        ordering=("-id",),
        kinds=("int",),
        cursor=cursor,
        size=limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/segments",
    response={201: SegmentOut, **WRITE_ERRORS},
    operation_id="segments_create",
    summary="Create a segment",
)
def segments_create(request: HttpRequest, response: HttpResponse, payload: SegmentIn) -> Any:
    """A new segment (version 1 of its rules); its members are computed in the background. A bad rule is a
    422 naming it (``definition.all.1.value``)."""
    _may(request, Action.ADD)
    data = payload.model_dump(exclude_unset=True)
    segment = services.segment_create(actor=request_actor(request), data=data)
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{segment.pk}")
    segment = selectors.segment_get(user=request.user, pk=segment.pk)
    with_etag(response, segment)
    return Status(201, segment)


@router.post(
    "/segments/preview",
    response={200: PreviewOut, **WRITE_ERRORS},
    operation_id="segments_preview",
    summary="Count and preview a definition",
)
def segments_preview(request: HttpRequest, payload: DefinitionIn) -> Any:
    """How many of your customers a rule tree matches and the first 20, without saving anything."""
    _may(request, Action.VIEW)
    tree = definition_clean(payload.definition)
    preview = selectors.definition_preview(user=request.user, tree=tree)
    return {
        "count": preview.count,
        "capped": preview.capped,
        "definition_text": preview.text,
        "items": preview.parties,
    }


@router.get(
    "/segments/{segment_id}",
    response={200: SegmentOut, **READ_ERRORS},
    operation_id="segments_get",
    summary="Get a segment",
)
def segments_get(request: HttpRequest, response: HttpResponse, segment_id: int = id_path()) -> Any:
    """One segment with its current rules (and their reading in your language) and its ETag."""
    segment = selectors.segment_get(user=request.user, pk=segment_id)
    with_etag(response, segment)
    return segment


@router.patch(
    "/segments/{segment_id}",
    response={200: SegmentOut, **VERSIONED_WRITE_ERRORS},
    operation_id="segments_update",
    summary="Change a segment",
)
def segments_update(
    request: HttpRequest, response: HttpResponse, payload: SegmentPatch, segment_id: int = id_path()
) -> Any:
    """Change the fields sent; different rules make a new version and a re-evaluation. With ``If-Match``,
    a stale version is a 412."""
    segment = selectors.segment_get(user=request.user, pk=segment_id, action=Action.CHANGE)
    services.segment_update(
        actor=request_actor(request),
        segment=segment,
        data=payload.model_dump(exclude_unset=True),
        expected_version=expected_version(request, segment),
    )
    segment = selectors.segment_get(user=request.user, pk=segment_id)
    with_etag(response, segment)
    return segment


@router.delete(
    "/segments/{segment_id}",
    response={204: None, **VERSIONED_WRITE_ERRORS},
    operation_id="segments_delete",
    summary="Delete (deactivate) a segment",
)
def segments_delete(request: HttpRequest, segment_id: int = id_path()) -> Any:
    """The segment leaves every list and filter; its versions and history stay in the change log."""
    segment = selectors.segment_get(user=request.user, pk=segment_id, action=Action.DELETE)
    services.segment_delete(
        actor=request_actor(request), segment=segment, expected_version=expected_version(request, segment)
    )
    return Status(204, None)


@router.get(
    "/segments/{segment_id}/members",
    response={200: Paged[MemberOut], **READ_ERRORS},
    operation_id="segments_members",
    summary="Members of a segment",
)
def segments_members(
    request: HttpRequest,
    segment_id: int = id_path(),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Current members among the customers you may see, newest entries first; keyset pages."""
    segment = selectors.segment_get(user=request.user, pk=segment_id)
    page = selectors.segment_members(user=request.user, segment=segment, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/segments/{segment_id}/history",
    response={200: Paged[ChangeOut], **READ_ERRORS},
    operation_id="segments_history",
    summary="Entries and exits of a segment, with reasons",
)
def segments_history(
    request: HttpRequest,
    segment_id: int = id_path(),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Who entered or left, when, under which version, and which rules changed outcome; newest first."""
    segment = selectors.segment_get(user=request.user, pk=segment_id)
    page = selectors.segment_history(user=request.user, segment=segment, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/segments/{segment_id}/versions",
    response={200: list[VersionOut], **READ_ERRORS},
    operation_id="segments_versions",
    summary="Versions of a segment's rules",
)
def segments_versions(request: HttpRequest, segment_id: int = id_path()) -> Any:
    """Every version, newest first, with what changed from the one before in words."""
    segment = selectors.segment_get(user=request.user, pk=segment_id)
    return selectors.segment_versions(segment)
