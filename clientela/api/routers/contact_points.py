"""Contact points: ``/v1/parties/{id}/contact-points`` (list, add) and ``/v1/contact-points/{id}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.schemas.common import READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.parties import ContactPointIn, ContactPointOut, ContactPointPatch
from clientela.core.permissions import Action
from clientela.parties import selectors, services
from clientela.parties.models import ContactPoint

TAGS = ["contact points"]
party_contacts_router = Router(tags=TAGS)
router = Router(tags=TAGS)


@party_contacts_router.get(
    "/{party_id}/contact-points",
    response={200: list[ContactPointOut], **READ_ERRORS},
    operation_id="contact_points_list",
)
def contact_points_list(request: HttpRequest, party_id: int = id_path()) -> Any:
    """The party's live contact points, by kind, primary first."""
    party = selectors.party_get(user=request.user, pk=party_id)
    return list(
        ContactPoint.objects.alive()
        .restrict(request.user, Action.VIEW)
        .filter(party=party)
        .order_by("kind", "-is_primary", "id")
    )


@party_contacts_router.post(
    "/{party_id}/contact-points",
    response={201: ContactPointOut, **WRITE_ERRORS},
    operation_id="contact_points_create",
)
def contact_points_create(
    request: HttpRequest, response: HttpResponse, payload: ContactPointIn, party_id: int = id_path()
) -> Any:
    """Add a contact point to the party; 422 errors name the point's own fields ("value")."""
    party = selectors.party_get(user=request.user, pk=party_id)
    data = payload.model_dump(mode="json", exclude_unset=True)
    cp = services.contact_point_add(actor=request_actor(request), party=party, data=data)
    with_etag(response, cp)
    return Status(201, cp)


@router.get(
    "/{contact_point_id}", response={200: ContactPointOut, **READ_ERRORS}, operation_id="contact_points_get"
)
def contact_points_get(
    request: HttpRequest, response: HttpResponse, contact_point_id: int = id_path()
) -> Any:
    """One contact point."""
    cp = selectors.contact_point_get(user=request.user, pk=contact_point_id)
    with_etag(response, cp)
    return cp


@router.patch(
    "/{contact_point_id}",
    response={200: ContactPointOut, **VERSIONED_WRITE_ERRORS},
    operation_id="contact_points_update",
)
def contact_points_update(
    request: HttpRequest,
    response: HttpResponse,
    payload: ContactPointPatch,
    contact_point_id: int = id_path(),
) -> Any:
    """Change the fields sent; with ``If-Match``, a stale version is a 412."""
    cp = selectors.contact_point_get(user=request.user, pk=contact_point_id)
    cp = services.contact_point_update(
        actor=request_actor(request),
        contact_point=cp,
        data=payload.model_dump(mode="json", exclude_unset=True),
        expected_version=expected_version(request, cp),
    )
    with_etag(response, cp)
    return cp


@router.delete(
    "/{contact_point_id}",
    response={204: None, **VERSIONED_WRITE_ERRORS},
    operation_id="contact_points_delete",
)
def contact_points_delete(request: HttpRequest, contact_point_id: int = id_path()) -> Any:
    """Remove the contact point (the history keeps it); with ``If-Match``, a stale version is a 412."""
    cp = selectors.contact_point_get(user=request.user, pk=contact_point_id)
    services.contact_point_remove(
        actor=request_actor(request), contact_point=cp, expected_version=expected_version(request, cp)
    )
    return Status(204, None)
