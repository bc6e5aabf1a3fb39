"""``/v1/leads`` operations (mounted at /api/v1): list (filters, cursor pages), capture, read, change or
qualify (``If-Match``), and convert into a customer and an opportunity."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import check_version, expected_version
from clientela.api.errors import DUPLICATE_TYPE, ProblemError, errors_from_mapping, invalid
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.routers.parties import check_references
from clientela.api.schemas.common import READ_ERRORS, VERSIONED_WRITE_ERRORS, WRITE_ERRORS, Problem, id_path
from clientela.api.schemas.leads import (
    LeadConverted,
    LeadConvertIn,
    LeadDuplicateProblem,
    LeadIn,
    LeadListQuery,
    LeadOut,
    LeadPatch,
    LeadSort,
)
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, can_loaded
from clientela.parties.models import Party
from clientela.sales import leads as services
from clientela.sales import selectors_leads as selectors
from clientela.sales.choices import LeadOrigin
from clientela.sales.models import Lead

router = Router(tags=["leads"])


def _tagged(lead: Lead) -> Any:
    """The lead as ``clientela.api.concurrency`` expects a versioned record (an ``etag`` and a
    ``version``): ``W/"lead12-3"``, distinct from a party's tag with the same id."""
    return SimpleNamespace(etag=f'W/"lead{lead.pk}-{lead.version}"', version=lead.version)


def _detail(request: HttpRequest, response: HttpResponse, pk: int) -> Lead:
    lead = selectors.lead_get(user=request.user, pk=pk)
    response["ETag"] = _tagged(lead).etag
    return lead


@router.get("/leads", response={200: Paged[LeadOut], **READ_ERRORS}, operation_id="leads_list")
def leads_list(
    request: HttpRequest,
    filters: Query[LeadListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
    sort: LeadSort = "-created",
) -> Any:
    """Leads the user may see, filtered like the web list (status may repeat), newest first by default,
    one keyset page at a time."""
    filterset, page = selectors.lead_list(
        user=request.user, params=request.GET, cursor=cursor, size=limit, sort=sort
    )
    if not filterset.is_valid():
        raise invalid(errors_from_mapping(filterset.errors))
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/leads", response={201: LeadOut, **WRITE_ERRORS}, operation_id="leads_create")
def leads_create(request: HttpRequest, response: HttpResponse, payload: LeadIn) -> Any:
    """Capture a lead (origin ``api``); the body is kept as received in ``raw``. The owner defaults to
    you and the team to your first team. 422 lists every invalid field."""
    data = payload.model_dump(mode="json", exclude_unset=True)
    check_references(data)
    lead = services.lead_create(actor=request_actor(request), data=data, origin=LeadOrigin.API, raw=data)
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{lead.pk}")
    return Status(201, _detail(request, response, lead.pk))


@router.get("/leads/{lead_id}", response={200: LeadOut, **READ_ERRORS}, operation_id="leads_get")
def leads_get(request: HttpRequest, response: HttpResponse, lead_id: int = id_path()) -> Any:
    """One lead, with its ETag."""
    return _detail(request, response, lead_id)


@router.patch(
    "/leads/{lead_id}", response={200: LeadOut, **VERSIONED_WRITE_ERRORS}, operation_id="leads_update"
)
def leads_update(
    request: HttpRequest, response: HttpResponse, payload: LeadPatch, lead_id: int = id_path()
) -> Any:
    """Change the fields sent, or qualify the lead (status ``working``/``qualified``/``disqualified``,
    ``score`` 0-100, ``qualification_reason``, required to disqualify). With ``If-Match`` (the ETag or
    the version), a stale version is a 412. A converted lead cannot change (403)."""
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    if not can_loaded(request.user, Action.CHANGE, lead):
        raise NotPermitted()
    version = expected_version(request, _tagged(lead))
    data = payload.model_dump(mode="json", exclude_unset=True)
    check_references(data)
    services.lead_update(actor=request_actor(request), lead=lead, data=data, expected_version=version)
    return _detail(request, response, lead.pk)


@router.post(
    "/leads/{lead_id}/convert",
    response={200: LeadConverted, 409: LeadDuplicateProblem, 412: Problem, **WRITE_ERRORS},
    operation_id="leads_convert",
)
def leads_convert(
    request: HttpRequest, response: HttpResponse, payload: LeadConvertIn, lead_id: int = id_path()
) -> Any:
    """Convert the lead in one step: attach it to ``party_id`` or create a customer from it
    (``create_party``), and open ``opportunity`` if given. Without either, when the lead probably is an
    existing customer, the answer is a 409 ``urn:clientela:problem:possible-duplicate`` listing
    ``matches`` and nothing changes. Opportunity field errors are named ``opportunity.<field>``; errors
    of the new customer ``customer.<field>``."""
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    if not can_loaded(request.user, Action.CHANGE, lead):
        raise NotPermitted()
    check_version(request, _tagged(lead))
    if payload.party_id is not None and payload.create_party:
        message = _("Give either a customer or create_party, not both.")
        raise invalid([{"field": "create_party", "message": message}])
    party = None
    if payload.party_id is not None:
        party = Party.objects.restrict(request.user, Action.VIEW).filter(pk=payload.party_id).first()
        if party is None:
            raise invalid([{"field": "party_id", "message": _("No customer with this id that you can see.")}])
    opportunity = None
    if payload.opportunity is not None:
        opportunity = payload.opportunity.model_dump(exclude_unset=True)
    try:
        party, opp = services.lead_convert(
            actor=request_actor(request),
            lead=lead,
            party=party,
            create_party=payload.create_party,
            opportunity=opportunity,
        )
    except services.LeadMatchesFound as exc:
        raise ProblemError(
            409,
            _(
                "This lead may already be a customer; nothing was changed. Choose one of the matches or create_party."
            ),
            type_=DUPLICATE_TYPE,
            extra={"matches": exc.matches},
        ) from exc
    return {"lead": _detail(request, response, lead.pk), "party": party, "opportunity": opp}
