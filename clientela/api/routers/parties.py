"""``/v1/parties``: list (filters, cursor pages), create, read, change, delete, restore, history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.accounts.models import Team, User
from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.errors import DUPLICATE_TYPE, ProblemError, errors_from_mapping, invalid
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, id_path
from clientela.api.schemas.identity import DuplicateProblem, MatchesOut, PartyWithMatches
from clientela.api.schemas.parties import (
    ChangeOut,
    PartyIn,
    PartyListQuery,
    PartyOut,
    PartyPatch,
    PartySort,
    PartySummary,
)
from clientela.core.permissions import Action
from clientela.identity.check import LikelyMatch, likely_matches, matches_for_data
from clientela.identity.resolution import party_records
from clientela.parties import selectors, services
from clientela.parties.models import Party

router = Router(tags=["parties"])


def check_references(data: Mapping[str, Any]) -> None:
    """Owner and team ids must exist (the services trust them), else a 422 on that field."""
    errors = []
    owner = data.get("owner")
    if owner is not None and not User.objects.filter(pk=owner, is_active=True).exists():
        errors.append({"field": "owner", "message": _("Unknown user.")})
    team = data.get("team")
    if team is not None and not Team.objects.filter(pk=team).exists():
        errors.append({"field": "team", "message": _("Unknown team.")})
    if errors:
        raise invalid(errors)


def detail(request: HttpRequest, response: HttpResponse, pk: int) -> Party:
    """The full party as the user may see it, with its ETag on the response."""
    party = selectors.party_detail(user=request.user, pk=pk)
    with_etag(response, party)
    return party


@router.get("", response={200: Paged[PartySummary], **READ_ERRORS}, operation_id="parties_list")
def parties_list(
    request: HttpRequest,
    filters: Query[PartyListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
    sort: PartySort = "name",
) -> Any:
    """Parties the user may see, filtered like the web list, one keyset page at a time."""
    filterset, page = selectors.party_list(
        user=request.user, params=request.GET, cursor=cursor, size=limit, sort=sort
    )
    if not filterset.is_valid():
        raise invalid(errors_from_mapping(filterset.errors))
    return {"items": page.items, "next_cursor": page.next_cursor}


OnDuplicate = Literal["create", "reject"]


def _matches_json(found: list[LikelyMatch]) -> list[dict[str, Any]]:
    return [
        {
            "party_id": m.party_id,
            "display_name": m.display_name,
            "probability": m.probability,
            "explanation": m.explanation,
        }
        for m in found
    ]


@router.post(
    "",
    response={201: PartyWithMatches, 409: DuplicateProblem, **WRITE_ERRORS},
    operation_id="parties_create",
)
def parties_create(
    request: HttpRequest, response: HttpResponse, payload: PartyIn, on_duplicate: OnDuplicate = "create"
) -> Any:
    """Create a person or organisation with its contact points; 422 lists every invalid field.

    The record is first checked against existing customers (the real-time duplicate check). The response
    lists likely duplicates in ``matches``; with ``on_duplicate=reject`` any likely duplicate makes it a
    ``409`` that creates nothing and lists them, so the client can use the existing customer instead.
    """
    data = payload.model_dump(mode="json", exclude_unset=True)
    contact_points = data.pop("contact_points", [])
    check_references(data)
    found = matches_for_data(user=request.user, data=data, contacts=contact_points)
    if found and on_duplicate == "reject":
        raise ProblemError(
            409,
            _("This customer may already exist; nothing was created. See matches."),
            type_=DUPLICATE_TYPE,
            extra={"matches": _matches_json(found)},
        )
    party = services.party_create(actor=request_actor(request), data=data, contact_points=contact_points)
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{party.pk}")
    created = detail(request, response, party.pk)
    created.matches = _matches_json(found)  # type: ignore[attr-defined]
    return Status(201, created)


@router.post("/matches", response={200: MatchesOut, **WRITE_ERRORS}, operation_id="parties_matches")
def parties_matches(request: HttpRequest, payload: PartyIn) -> Any:
    """Likely existing duplicates of a customer, without saving anything (same body as create)."""
    data = payload.model_dump(mode="json", exclude_unset=True)
    contact_points = data.pop("contact_points", [])
    return {"matches": _matches_json(matches_for_data(user=request.user, data=data, contacts=contact_points))}


@router.get("/{party_id}", response={200: PartyOut, **READ_ERRORS}, operation_id="parties_get")
def parties_get(request: HttpRequest, response: HttpResponse, party_id: int = id_path()) -> Any:
    """One party with its contact points and relationships."""
    return detail(request, response, party_id)


@router.patch(
    "/{party_id}", response={200: PartyWithMatches, **VERSIONED_WRITE_ERRORS}, operation_id="parties_update"
)
def parties_update(
    request: HttpRequest, response: HttpResponse, payload: PartyPatch, party_id: int = id_path()
) -> Any:
    """Change the fields sent (and contact points); with ``If-Match``, a stale version is a 412.

    ``matches`` lists other customers the changed record is now likely to be (the duplicate check)."""
    party = selectors.party_get(user=request.user, pk=party_id)
    version = expected_version(request, party)
    data = payload.model_dump(mode="json", exclude_unset=True)
    contact_points = data.pop("contact_points", None)
    check_references(data)
    services.party_update(
        actor=request_actor(request),
        party=party,
        data=data,
        expected_version=version,
        contact_points=contact_points,
    )
    changed = detail(request, response, party.pk)
    record = next(iter(party_records([party.pk])))
    changed.matches = _matches_json(  # type: ignore[attr-defined]
        likely_matches(user=request.user, record=record, exclude=party.pk)
    )
    return changed


@router.delete("/{party_id}", response={204: None, **VERSIONED_WRITE_ERRORS}, operation_id="parties_delete")
def parties_delete(request: HttpRequest, party_id: int = id_path()) -> Any:
    """Move the party to the recycle bin (restorable); with ``If-Match``, a stale version is a 412."""
    party = selectors.party_get(user=request.user, pk=party_id)
    services.party_delete(
        actor=request_actor(request), party=party, expected_version=expected_version(request, party)
    )
    return Status(204, None)


@router.post("/{party_id}/restore", response={200: PartyOut, **WRITE_ERRORS}, operation_id="parties_restore")
def parties_restore(request: HttpRequest, response: HttpResponse, party_id: int = id_path()) -> Any:
    """Bring a party back from the recycle bin (needs the delete permission on it)."""
    party = selectors.party_get(user=request.user, pk=party_id, include_deleted=True)
    services.party_restore(actor=request_actor(request), party=party)
    return detail(request, response, party.pk)


@router.get(
    "/{party_id}/history", response={200: Paged[ChangeOut], **READ_ERRORS}, operation_id="parties_history"
)
def parties_history(
    request: HttpRequest,
    party_id: int = id_path(),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """The change log of the party and its contact points and relationships, newest first."""
    party = selectors.party_get(user=request.user, pk=party_id, action=Action.VIEW)
    page = selectors.party_history(party=party, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}
