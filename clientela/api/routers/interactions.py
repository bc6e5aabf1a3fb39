"""``/v1/interactions``: the ledger over the API: log one entry or a batch, list (filters, cursor pages), read.

Writes go through ``interaction_log`` (idempotent by source and external id); the answers of ``POST`` requests
with an ``Idempotency-Key`` header are stored and replayed (``clientela.api.idempotency``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import NinjaJSONEncoder

from clientela.accounts.models import User
from clientela.api.auth import request_actor
from clientela.api.errors import ProblemError, errors_from_mapping, errors_from_pydantic, invalid
from clientela.api.idempotency import idempotency_key_header, idempotent
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.schemas.common import READ_ERRORS, WRITE_ERRORS, Problem, ValidationProblem, id_path
from clientela.api.schemas.interactions import (
    BatchItemResult,
    BatchOut,
    InteractionBatchIn,
    InteractionDetail,
    InteractionIn,
    InteractionListQuery,
    InteractionLogged,
    InteractionOut,
)
from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.models import SourceSystem
from clientela.core.pagination import keyset_page
from clientela.core.permissions import Action
from clientela.interactions.choices import Kind
from clientela.interactions.models import Interaction
from clientela.interactions.payloads import PAYLOADS
from clientela.interactions.selectors import (
    TIMELINE_KINDS,
    TIMELINE_ORDER,
    interactions_for_user,
    timeline_queryset,
)
from clientela.interactions.services import (
    Logged,
    interaction_log,
    manual_source,
    may_log,
    source_get_or_create,
)
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.models import Party

router = Router(tags=["interactions"])


# --- reading ----------------------------------------------------------------------------------------------


def _with_related(qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return qs.prefetch_related(Prefetch("related", queryset=Interaction.objects.only("id")))


def _detail(user: Any, pk: int) -> Interaction:
    """One entry (any version) the user may see, with everything ``InteractionDetail`` shows."""
    obj = (
        _with_related(
            Interaction.objects.restrict(user, Action.VIEW).filter(pk=pk, party__deleted_at__isnull=True)
        )
        .select_related("party", "source", "superseded_by")
        .first()
    )
    if obj is None:
        raise Http404
    return obj


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A filter bound; dates and naive date-times are read in the server's time zone."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def _kinds(values: Iterable[str]) -> list[str]:
    kinds = [k.strip() for value in values for k in value.split(",") if k.strip()]
    if any(k not in Kind.values for k in kinds):
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(Kind.values)}
        raise invalid([{"field": "kind", "message": message}])
    return kinds


def _filtered(qs: QuerySet[Interaction], filters: InteractionListQuery) -> QuerySet[Interaction]:
    kinds = _kinds(filters.kind)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if (after := _aware(filters.occurred_after)) is not None:
        qs = qs.filter(occurred_at__gte=after)
    if (before := _aware(filters.occurred_before)) is not None:
        qs = qs.filter(occurred_at__lt=before)
    if filters.source:
        qs = qs.filter(source__slug=filters.source)
    if filters.user is not None:
        qs = qs.filter(user_id=filters.user)
    return qs


@router.get("", response={200: Paged[InteractionOut], **READ_ERRORS}, operation_id="interactions_list")
def interactions_list(
    request: HttpRequest,
    filters: Query[InteractionListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """Current ledger entries the user may see, newest first, one keyset page at a time."""
    user = request.user
    if filters.party is not None:
        party = Party.objects.restrict(user, Action.VIEW).filter(pk=filters.party).first()
        if party is None:
            raise invalid([{"field": "party", "message": _("Unknown customer.")}])
        # The customer page's timeline (an organisation's includes its people's), limited to what the
        # user may see record by record.
        timeline: Any = timeline_queryset(party)  # a RestrictedQuerySet (Interaction.objects)
        qs = timeline.restrict(user, Action.VIEW).filter(party__deleted_at__isnull=True)
    else:
        qs = interactions_for_user(user)
    qs = _with_related(_filtered(qs, filters).select_related("party", "source"))
    page = keyset_page(qs, ordering=TIMELINE_ORDER, kinds=TIMELINE_KINDS, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


# --- writing ----------------------------------------------------------------------------------------------


class ItemError(Exception):
    """Why one entry was not written: 404 (customer not visible), 403 (may not log) or 422 (invalid)."""

    def __init__(self, status: int, errors: Mapping[str, Sequence[Any]]) -> None:
        super().__init__(status)
        self.status = status
        self.errors = dict(errors)

    def field_errors(self, prefix: str = "") -> list[dict[str, Any]]:
        out = errors_from_mapping(self.errors)
        if prefix:
            for error in out:
                error["field"] = f"{prefix}.{error['field']}" if error["field"] else prefix
        return out

    def problem(self) -> Exception:
        if self.status == 404:
            return Http404()
        if self.status == 403:
            return ProblemError(403, str(next(iter(self.errors.values()))[0]))
        return invalid(self.field_errors())


_NUMBER = ("decimal_parsing", "decimal_type", "float_parsing", "float_type")


def _payload_message(error: Mapping[str, Any]) -> str:
    """A translated message for a payload error (the types ``errors.py`` does not cover first)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in _NUMBER:
        return _("Enter a number.")
    if kind == "decimal_max_places":
        return _("Enter at most %(limit)s decimal places.") % {"limit": ctx.get("decimal_places")}
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("Enter a smaller number.")
    if kind == "too_short":
        return _("Enter at least %(limit)s items.") % {"limit": ctx.get("min_length")}
    if kind == "too_long":
        return _("Enter at most %(limit)s items.") % {"limit": ctx.get("max_length")}
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(errors_from_pydantic([{**error, "loc": ()}])[0]["message"])


def _payload_errors(kind: str, payload: Any) -> dict[str, list[str]]:
    """The payload's errors by path ("payload.lines.0.quantity"), with translated messages."""
    model = PAYLOADS.get(kind)
    if model is None:
        return {}
    try:
        model.model_validate(payload)
    except pydantic.ValidationError as exc:
        out: dict[str, list[str]] = {}
        for error in exc.errors():
            path = ".".join(["payload", *(str(p) for p in error["loc"])])
            out.setdefault(path, []).append(_payload_message(error))
        return out
    return {}


def _service_errors(exc: ValidationError, item: InteractionIn) -> dict[str, list[str]]:
    """The service's field errors; those of the payload in the request's language."""
    errors = {k: list(v) for k, v in exc.message_dict.items()}
    payload_keys = [k for k in errors if k == "payload" or k.startswith("payload.")]
    if payload_keys:
        translated = _payload_errors(item.kind.value, item.payload)
        if translated:
            for key in payload_keys:
                del errors[key]
            errors.update(translated)
    return errors


class Refs:
    """The records a set of entries refers to, loaded once (a batch of 1000 does not read them 1000 times)."""

    def __init__(self, user: Any, items: Sequence[InteractionIn]) -> None:
        self.user = user
        party_ids = {i.party for i in items} | {i.organisation for i in items if i.organisation}
        self.parties = {p.pk: p for p in Party.objects.restrict(user, Action.VIEW).filter(pk__in=party_ids)}
        user_ids = {i.user for i in items if i.user}
        self.users = (
            {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)} if user_ids else {}
        )
        related_ids = {pk for i in items for pk in i.related}
        self.related = (
            {r.pk: r for r in interactions_for_user(user).filter(pk__in=related_ids)} if related_ids else {}
        )
        slugs = {i.source for i in items if i.source}
        self.sources = {s.slug: s for s in SourceSystem.objects.filter(slug__in=slugs)} if slugs else {}
        self._may_log: dict[int, bool] = {}

    def may_log(self, party: Party) -> bool:
        if party.pk not in self._may_log:
            self._may_log[party.pk] = may_log(self.user, party)
        return self._may_log[party.pk]

    def source(self, slug: str | None) -> SourceSystem:
        if not slug:
            return manual_source()
        # A source registered by this request is not cached: a failed entry's savepoint may undo it.
        return self.sources.get(slug) or source_get_or_create(slug)


def log_item(actor: Actor, item: InteractionIn, refs: Refs, *, refresh_stats: bool = True) -> Logged:
    """Check the references of one entry and log it; raises ``ItemError`` when it is not written."""
    party = refs.parties.get(item.party)
    if party is None:
        raise ItemError(404, {"party": [_("Unknown customer.")]})
    if not refs.may_log(party):
        raise ItemError(403, {"party": [_("You may not log interactions for this customer.")]})
    errors: dict[str, list[str]] = {}
    organisation = None
    if item.organisation is not None:
        organisation = refs.parties.get(item.organisation)
        if organisation is None:
            errors["organisation"] = [_("Unknown organisation.")]
    handler = None
    if item.user is not None:
        handler = refs.users.get(item.user)
        if handler is None:
            errors["user"] = [_("Unknown user.")]
    related = []
    for n, pk in enumerate(item.related):
        if pk in refs.related:
            related.append(refs.related[pk])
        else:
            errors[f"related.{n}"] = [_("Unknown interaction.")]
    if errors:
        raise ItemError(422, errors)
    source = refs.source(item.source)
    external_id = item.external_id.strip()
    try:
        return interaction_log(
            actor=actor,
            party=party,
            kind=item.kind.value,
            occurred_at=item.occurred_at,
            payload=item.payload,
            channel=item.channel.value if item.channel else None,
            direction=item.direction.value if item.direction else None,
            user=handler,
            organisation=organisation,
            source=source,
            external_id=external_id,
            related=related,
            refresh_stats=refresh_stats,
        )
    except ValidationError as exc:
        raise ItemError(422, _service_errors(exc, item)) from exc
    except NotPermitted as exc:
        raise ItemError(403, {"party": [str(exc)]}) from exc


def json_response(status: int, data: Any) -> HttpResponse:
    """A JSON answer rendered as Ninja renders one (so a stored answer replays byte for byte)."""
    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder),
        status=status,
        content_type="application/json; charset=utf-8",
    )


@router.post(
    "",
    response={201: InteractionLogged, 200: InteractionLogged, **WRITE_ERRORS},
    operation_id="interactions_create",
)
def interactions_create(
    request: HttpRequest, payload: InteractionIn, idempotency_key: str | None = idempotency_key_header()
) -> Any:
    """Log one interaction: 201 when created; 200 when its source record was already in the ledger
    (``outcome`` "unchanged", or "corrected" when it came back changed). Not your customer: 404; may not
    log for it: 403; invalid fields (payload included, e.g. ``payload.objective``): 422."""

    def run() -> HttpResponse:
        with transaction.atomic():
            try:
                logged = log_item(request_actor(request), payload, Refs(request.user, [payload]))
            except ItemError as exc:
                raise exc.problem() from exc
            row = _detail(request.user, logged.interaction.pk)
            data = {**InteractionDetail.from_orm(row).model_dump(), "outcome": logged.outcome}
        response = json_response(201 if logged.created else 200, data)
        if logged.created:
            response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{row.pk}")
        return response

    return idempotent(request, idempotency_key, run)


@router.post(
    "/batch",
    response={200: BatchOut, 207: BatchOut, 401: Problem, 403: Problem, 422: ValidationProblem},
    operation_id="interactions_batch",
)
def interactions_batch(
    request: HttpRequest, payload: InteractionBatchIn, idempotency_key: str | None = idempotency_key_header()
) -> Any:
    """Log up to 1000 interactions in one transaction. All or nothing by default: any bad item is a 422
    naming each error by item (``items.3.payload.objective``) and nothing is written. With ``"partial":
    true`` the good items are written and the answer is 207 when some failed; ``items`` holds one result
    per item in order."""
    actor = request_actor(request)

    def run() -> HttpResponse:
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        touched: set[int] = set()
        with transaction.atomic():
            parsed: list[InteractionIn | None] = []
            for index, raw in enumerate(payload.items):
                try:
                    parsed.append(InteractionIn.model_validate(raw))
                except pydantic.ValidationError as exc:
                    parsed.append(None)
                    item_errors = errors_from_pydantic(
                        [{**e, "loc": ("items", index, *e["loc"])} for e in exc.errors()]
                    )
                    results.append({"index": index, "status": "error", "errors": item_errors})
                    errors.extend(item_errors)
            refs = Refs(request.user, [item for item in parsed if item is not None])
            for index, item in enumerate(parsed):
                if item is None:
                    continue
                try:
                    with transaction.atomic():  # a failed item leaves no trace, the others stay
                        logged = log_item(actor, item, refs, refresh_stats=False)
                except ItemError as exc:
                    item_errors = exc.field_errors(f"items.{index}")
                    results.append({"index": index, "status": "error", "errors": item_errors})
                    errors.extend(item_errors)
                    continue
                row = logged.interaction
                results.append({"index": index, "status": logged.outcome, "id": row.pk})
                if logged.outcome != "unchanged":
                    for version in (row, row.supersedes):
                        if version is not None:
                            touched.update(p for p in (version.party_id, version.organisation_id) if p)
            if errors and not payload.partial:
                raise invalid(errors)  # rolls back every item
            if touched:
                party_stats_refresh(touched)
        results.sort(key=lambda r: r["index"])
        counts = dict.fromkeys(("created", "unchanged", "corrected", "error"), 0)
        for result in results:
            counts[result["status"]] += 1
        items = [BatchItemResult(**result) for result in results]
        body = BatchOut(partial=payload.partial, counts=counts, items=items).model_dump()
        return json_response(207 if errors else 200, body)

    return idempotent(request, idempotency_key, run)


@router.get(
    "/{interaction_id}", response={200: InteractionDetail, **READ_ERRORS}, operation_id="interactions_get"
)
def interactions_get(request: HttpRequest, interaction_id: int = id_path()) -> Any:
    """One ledger entry, current or not; ``supersedes``/``superseded_by`` link its versions."""
    return _detail(request.user, interaction_id)
