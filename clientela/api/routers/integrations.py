"""``/v1/erp/...`` and ``/v1/webhooks...``: ERP documents in, webhook subscriptions and deliveries out.

Every operation needs the role's "integration" grant (administrators by default); the ERP documents also
need each customer to be within the caller's scope (one outside it is an unknown customer).
"""

from __future__ import annotations

from typing import Any

import pydantic
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.api.auth import request_actor
from clientela.api.concurrency import expected_version, with_etag
from clientela.api.errors import ProblemError, errors_from_mapping, errors_from_pydantic, invalid
from clientela.api.pagination import Paged, cursor_param, limit_param
from clientela.api.routers.interactions import json_response
from clientela.api.schemas.common import (
    READ_ERRORS,
    VERSIONED_WRITE_ERRORS,
    WRITE_ERRORS,
    Problem,
    ValidationProblem,
    id_path,
)
from clientela.core.permissions import Action
from clientela.integrations import selectors, services
from clientela.integrations.erp import DOCUMENT_TYPES, erp_documents_record
from clientela.integrations.models import WebhookDelivery, WebhookSubscription
from clientela.integrations.schemas import (
    DeliveryListQuery,
    ErpBatchOut,
    ErpDocumentsIn,
    ErpDocumentType,
    ErpItemResult,
    WebhookDeliveryDetail,
    WebhookDeliveryOut,
    WebhookSubscriptionCreated,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
    WebhookSubscriptionPatch,
)

router = Router(tags=["integrations"])


def _require(request: HttpRequest, action: str = Action.VIEW) -> None:
    if not services.may_manage(request.user, action):
        raise ProblemError(403, _("Only administrators manage integrations."))


# --- ERP documents ----------------------------------------------------------------------------------------


def _located(error: Any, index: int) -> dict[str, Any]:
    """A document's error under ``documents.<index>``; our validators' messages without pydantic's prefix."""
    out = {**error, "loc": ("documents", index, *error["loc"])}
    if error.get("type") == "value_error":
        out["msg"] = str(error.get("msg", "")).removeprefix("Value error, ")
    return out


@router.put(
    "/erp/{documents}",
    response={200: ErpBatchOut, 207: ErpBatchOut, 401: Problem, 403: Problem, 422: ValidationProblem},
    operation_id="erp_documents_put",
    summary="Record ERP documents (orders, invoices, payments, returns, credit notes)",
)
def erp_documents_put(
    request: HttpRequest,
    payload: ErpDocumentsIn,
    documents: ErpDocumentType,
    partial: bool = Query(False, description="Write the good documents and report the bad ones"),
) -> Any:
    """Upsert up to 1000 documents by (source, external_id): each result says "created", "unchanged" (sent
    before, same content), "updated" (changed: recorded as a correction, the old version kept) or "error".
    All or nothing by default: any bad document is a 422 naming each error by document
    (``documents.3.party_external_id``) and nothing is written. With ``?partial=true`` the good documents
    are written and the answer is 207 when some failed. See docs/integrations.md."""
    _require(request, Action.ADD)
    doc_type = DOCUMENT_TYPES[documents.value]
    parsed: list[tuple[int, Any]] = []
    failed: dict[int, list[dict[str, Any]]] = {}
    for index, raw in enumerate(payload.documents):
        try:
            parsed.append((index, doc_type.schema.model_validate(raw)))
        except pydantic.ValidationError as exc:
            failed[index] = errors_from_pydantic([_located(e, index) for e in exc.errors()])
    if failed and not partial:
        raise invalid([error for errors in failed.values() for error in errors])
    with transaction.atomic():
        results = erp_documents_record(
            actor=request_actor(request),
            document_type=documents.value,
            source_slug=payload.source,
            documents=parsed,
            partial=partial,
        )
    items: list[dict[str, Any]] = [{"index": i, "status": "error", "errors": e} for i, e in failed.items()]
    for result in results:
        item: dict[str, Any] = {"index": result.index, "status": result.status, "id": result.id}
        if result.order_id is not None:
            item["order_id"] = result.order_id
        if result.errors:
            item["errors"] = errors_from_mapping(
                {f"documents.{result.index}.{path}": messages for path, messages in result.errors.items()}
            )
        items.append(item)
    items.sort(key=lambda r: r["index"])
    counts = dict.fromkeys(("created", "updated", "unchanged", "error"), 0)
    for item in items:
        counts[item["status"]] += 1
    body = ErpBatchOut(
        document_type=documents.value,
        source=payload.source,
        partial=partial,
        counts=counts,
        items=[ErpItemResult(**item) for item in items],
    )
    return json_response(207 if counts["error"] else 200, body.model_dump(exclude_none=True))


# --- webhook subscriptions --------------------------------------------------------------------------------


def _subscription(pk: int) -> WebhookSubscription:
    sub = WebhookSubscription.objects.filter(pk=pk).first()
    if sub is None:
        raise Http404
    return sub


@router.get("/webhooks", response={200: list[WebhookSubscriptionOut], **READ_ERRORS, 403: Problem},
            operation_id="webhooks_list", summary="List webhook subscriptions")  # fmt: skip
def webhooks_list(request: HttpRequest) -> Any:
    """Every webhook subscription, by name, with its delivery counters."""
    _require(request)
    return list(selectors.subscriptions())


@router.post("/webhooks", response={201: WebhookSubscriptionCreated, **WRITE_ERRORS},
             operation_id="webhooks_create", summary="Create a webhook subscription")  # fmt: skip
def webhooks_create(request: HttpRequest, payload: WebhookSubscriptionIn) -> Any:
    """Subscribe a URL to event types (none listed: all). The answer holds the signing ``secret``, shown
    only this once by the API (administrators also see it on the subscription's page)."""
    _require(request, Action.ADD)
    sub = services.webhook_subscription_create(actor=request_actor(request), data=payload.model_dump())
    return Status(201, sub)


@router.get("/webhooks/deliveries", response={200: Paged[WebhookDeliveryOut], **READ_ERRORS, 403: Problem},
            operation_id="webhook_deliveries_list", summary="List webhook deliveries")  # fmt: skip
def webhook_deliveries_list(
    request: HttpRequest,
    filters: Query[DeliveryListQuery],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    """The delivery log, newest first, filtered by status, event type or subscription; keyset pages."""
    _require(request)
    wanted = {
        key: value
        for key, value in (
            ("status", filters.status.value if filters.status else None),
            ("event_type", filters.event_type),
            ("subscription_id", filters.subscription),
        )
        if value is not None
    }
    page = selectors.deliveries_page(filters=wanted, cursor=cursor, size=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


def _delivery(pk: int) -> WebhookDelivery:
    row = selectors.delivery_detail(pk)
    if row is None:
        raise Http404
    return row


@router.get("/webhooks/deliveries/{delivery_id}",
            response={200: WebhookDeliveryDetail, **READ_ERRORS, 403: Problem},
            operation_id="webhook_deliveries_get", summary="Read a webhook delivery")  # fmt: skip
def webhook_deliveries_get(request: HttpRequest, delivery_id: int = id_path()) -> Any:
    """One delivery with the body sent and each attempt (response code, first KB of the answer, error)."""
    _require(request)
    return _delivery(delivery_id)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", response={202: WebhookDeliveryOut, **WRITE_ERRORS},
             operation_id="webhook_deliveries_redeliver", summary="Send a webhook delivery again")  # fmt: skip
def webhook_deliveries_redeliver(request: HttpRequest, delivery_id: int = id_path()) -> Any:
    """Queue the delivery to be sent again now (same body, event id and delivery id), whatever its status."""
    _require(request, Action.CHANGE)
    row = services.webhook_delivery_resend(actor=request_actor(request), delivery=_delivery(delivery_id))
    return Status(202, row)


@router.get("/webhooks/{subscription_id}", response={200: WebhookSubscriptionOut, **READ_ERRORS, 403: Problem},
            operation_id="webhooks_get", summary="Read a webhook subscription")  # fmt: skip
def webhooks_get(request: HttpRequest, response: HttpResponse, subscription_id: int = id_path()) -> Any:
    """One subscription (with an ETag for If-Match)."""
    _require(request)
    sub = _subscription(subscription_id)
    with_etag(response, sub)
    return sub


@router.patch("/webhooks/{subscription_id}", response={200: WebhookSubscriptionOut, **VERSIONED_WRITE_ERRORS},
              operation_id="webhooks_update", summary="Change a webhook subscription")  # fmt: skip
def webhooks_update(
    request: HttpRequest,
    response: HttpResponse,
    payload: WebhookSubscriptionPatch,
    subscription_id: int = id_path(),
) -> Any:
    """Change the fields sent (``{"is_active": false}`` pauses it); with ``If-Match``, a stale version is a 412."""
    _require(request, Action.CHANGE)
    sub = _subscription(subscription_id)
    sub = services.webhook_subscription_update(
        actor=request_actor(request),
        subscription=sub,
        data=payload.model_dump(exclude_unset=True),
        expected_version=expected_version(request, sub),
    )
    with_etag(response, sub)
    return sub


@router.delete("/webhooks/{subscription_id}", response={204: None, **VERSIONED_WRITE_ERRORS},
               operation_id="webhooks_delete", summary="Delete a webhook subscription")  # fmt: skip
def webhooks_delete(request: HttpRequest, subscription_id: int = id_path()) -> Any:
    """Delete the subscription and its delivery log (PATCH ``is_active`` false keeps the log)."""
    _require(request, Action.DELETE)
    sub = _subscription(subscription_id)
    services.webhook_subscription_delete(
        actor=request_actor(request), subscription=sub, expected_version=expected_version(request, sub)
    )
    return Status(204, None)


@router.post("/webhooks/{subscription_id}/test", response={202: WebhookDeliveryOut, **WRITE_ERRORS},
             operation_id="webhooks_test", summary="Send a test event")  # fmt: skip
def webhooks_test(request: HttpRequest, subscription_id: int = id_path()) -> Any:
    """Queue a ``webhook.test`` event to this subscription only (even when paused)."""
    _require(request, Action.CHANGE)
    row = services.webhook_test_send(
        actor=request_actor(request), subscription=_subscription(subscription_id)
    )
    return Status(202, row)
