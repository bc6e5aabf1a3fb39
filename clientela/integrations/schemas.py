"""API schemas of the integrations: ERP document batches, webhook subscriptions and deliveries."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, SkipValidation

from clientela.api.schemas.common import FieldError, InputSchema
from clientela.integrations.erp import MAX_DOCUMENTS, SOURCE_PATTERN
from clientela.integrations.models import DeliveryStatus


class ErpDocumentType(StrEnum):
    ORDERS = "orders"
    INVOICES = "invoices"
    PAYMENTS = "payments"
    RETURNS = "returns"
    CREDIT_NOTES = "credit-notes"


class ErpDocumentsIn(InputSchema):
    """A batch of documents of one type from one source system (1 to 1000; send one as a list of one)."""

    source: str = Field(
        max_length=64,
        pattern=SOURCE_PATTERN,
        description="Slug of the source system (registered on first use)",
    )
    # Each document is validated by the endpoint so its errors name it (documents.3.total) and, with
    # ?partial=true, one malformed document does not reject the others.
    documents: Annotated[list[SkipValidation[dict[str, Any]]], Field(min_length=1, max_length=MAX_DOCUMENTS)]


class ErpItemResult(Schema):
    """What happened to ``documents[index]``: the ledger entry's ``id`` (and ``order_id``) or its ``errors``."""

    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    id: int | None = None
    order_id: int | None = None
    errors: list[FieldError] | None = None


class ErpBatchOut(Schema):
    """One result per document, in order, and how many ended in each status."""

    document_type: str
    source: str
    partial: bool
    counts: dict[str, int]
    items: list[ErpItemResult]


class WebhookSubscriptionIn(InputSchema):
    """A new subscription; an empty ``event_types`` list means every event type."""

    name: str = Field(max_length=100)
    target_url: str = Field(
        max_length=500, description="https://...; http:// only to private hosts if allowed"
    )
    event_types: list[str] = Field(default_factory=list, max_length=200)
    is_active: bool = True


class WebhookSubscriptionPatch(InputSchema):
    """The fields to change; ``{"is_active": false}`` pauses the subscription."""

    name: str | None = Field(None, max_length=100)
    target_url: str | None = Field(None, max_length=500)
    event_types: list[str] | None = Field(None, max_length=200)
    is_active: bool | None = None


class WebhookSubscriptionOut(Schema):
    """A subscription (the secret itself is only in the answer that created it)."""

    id: int
    name: str
    target_url: str
    event_types: list[str]
    is_active: bool
    secret_hint: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    success_count: int
    failure_count: int
    consecutive_failures: int
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None


class WebhookSubscriptionCreated(WebhookSubscriptionOut):
    """The new subscription with its signing secret: store it now, it is not shown again by the API."""

    secret: str


class WebhookAttemptOut(Schema):
    number: int
    started_at: dt.datetime
    response_code: int | None
    response_body: str
    error: str
    duration_ms: int
    manual: bool


class WebhookDeliveryOut(Schema):
    """One event for one subscription and where it stands."""

    id: int
    subscription_id: int
    event_type: str
    event_id: uuid.UUID
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: dt.datetime | None
    last_response_code: int | None
    last_error: str
    duration_ms: int | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class WebhookDeliveryDetail(WebhookDeliveryOut):
    """A delivery with the body sent and every attempt."""

    payload: dict[str, Any]
    last_response_body: str
    attempts: list[WebhookAttemptOut]

    @staticmethod
    def resolve_attempts(obj: Any) -> list[Any]:
        return list(obj.attempts.all())


class DeliveryListQuery(Schema):
    """Filters of the delivery log."""

    status: DeliveryStatus | None = None
    event_type: str | None = Field(None, max_length=100)
    subscription: int | None = Field(None, ge=1, le=2**63 - 1)
