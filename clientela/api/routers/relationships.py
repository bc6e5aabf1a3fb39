"""``/v1/relationships``: a person's links to organisations (visibility follows the person)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.errors import invalid
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import MAX_ID, READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.parties import RelationshipIn, RelationshipOut, RelationshipPatch
from clientela.core.pagination import keyset_page
from clientela.core.permissions import Action
from clientela.parties import selectors, services
from clientela.parties.models import Party, Relationship

router = Router(tags=["relationships"])


def _visible_party(user: Any, pk: int, field: str) -> Party:
    party = Party.objects.restrict(user, Action.VIEW).filter(pk=pk).first()
    if party is None:
        raise invalid([{"field": field, "message": _("Unknown customer.")}])
    return party


@router.get("", response={200: Paged[RelationshipOut], **READ_ERRORS}, operation_id="relationships_list")
def relationships_list(
    request: HttpRequest,
    person: int | None = Query(None, le=MAX_ID, description="Only this person's relationships"),
    organisation: int | None = Query(None, le=MAX_ID, description="Only this organisation's members"),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Relationships the user may see (those of people they may see), oldest first."""
    qs = (
        Relationship.objects.alive()
        .restrict(request.user, Action.VIEW)
        .select_related("person", "organisation")
    )
    if person is not None:
        qs = qs.filter(person_id=person)
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    page = keyset_page(qs, ordering=("id",), kinds=("int",), cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("", response={201: RelationshipOut, **WRITE_ERRORS}, operation_id="relationships_create")
def relationships_create(request: HttpRequest, response: HttpResponse, payload: RelationshipIn) -> Any:
    """Link a person to an organisation (needs the change permission on the person)."""
    data = payload.model_dump(mode="json", exclude_unset=True)
    person = _visible_party(request.user, data.pop("person"), "person")
    organisation = _visible_party(request.user, data.pop("organisation"), "organisation")
    rel = services.relationship_add(
        actor=request_actor(request), person=person, organisation=organisation, data=data
    )
    with_etag(response, rel)
    return Status(201, rel)


@router.get(
    "/{relationship_id}", response={200: RelationshipOut, **READ_ERRORS}, operation_id="relationships_get"
)
def relationships_get(request: HttpRequest, response: HttpResponse, relationship_id: int = id_path()) -> Any:
    """One relationship."""
    rel = selectors.relationship_get(user=request.user, pk=relationship_id)
    with_etag(response, rel)
    return rel


@router.patch(
    "/{relationship_id}",
    response={200: RelationshipOut, **VERSIONED_WRITE_ERRORS},
    operation_id="relationships_update",
)
def relationships_update(
    request: HttpRequest,
    response: HttpResponse,
    payload: RelationshipPatch,
    relationship_id: int = id_path(),
) -> Any:
    """Change role, dates or the main flag; with ``If-Match``, a stale version is a 412."""
    rel = selectors.relationship_get(user=request.user, pk=relationship_id)
    rel = services.relationship_update(
        actor=request_actor(request),
        relationship=rel,
        data=payload.model_dump(mode="json", exclude_unset=True),
        expected_version=expected_version(request, rel),
    )
    with_etag(response, rel)
    return rel


@router.delete(
    "/{relationship_id}",
    response={204: None, **VERSIONED_WRITE_ERRORS},
    operation_id="relationships_delete",
)
def relationships_delete(request: HttpRequest, relationship_id: int = id_path()) -> Any:
    """Remove the relationship (the history keeps it); with ``If-Match``, a stale version is a 412."""
    rel = selectors.relationship_get(user=request.user, pk=relationship_id)
    services.relationship_remove(
        actor=request_actor(request), relationship=rel, expected_version=expected_version(request, rel)
    )
    return Status(204, None)
