"""Documents from an ERP: orders, invoices, payments, returns and credit notes, recorded on the ledger.

Each document type has a schema (pydantic, unknown fields rejected) and a mapping to the ledger kind's
payload. ``erp_documents_record`` resolves each document's customer through the source's references
(the import code's ``PartyResolver``: the source's customer id, then tax id, email, phone) and writes it
with ``interaction_log``, so a document posted again is "unchanged", a changed one a correction (a new
version, the old one kept) reported as "updated", and the customer's figures follow.

A document's ``external_id`` identifies it within its source for every type at once (as in imports):
an ERP whose ids overlap between tables sends them prefixed ("INV-12", "PAY-12").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.models import SourceKind, SourceSystem
from clientela.core.permissions import Action
from clientela.imports.interaction_bulk import PartyResolver
from clientela.integrations.services import may_manage
from clientela.interactions.choices import InvoiceStatus, Kind, PaymentMethod
from clientela.interactions.models import Interaction
from clientela.interactions.payloads import Currency, Line, Money, PositiveMoney, Text
from clientela.interactions.selectors import current_records
from clientela.interactions.services import interaction_log, may_log, source_get_or_create
from clientela.interactions.stats import party_stats_refresh
from clientela.orders.choices import OrderStatus
from clientela.orders.services import order_record_external
from clientela.parties.models import Party

MAX_DOCUMENTS = 1000
SOURCE_PATTERN = r"^[-a-zA-Z0-9_]+$"
PARTY_REFS = ("party_external_id", "party_tax_id", "party_email", "party_phone")


def _when(value: Any) -> Any:
    """ "2025-03-01" is a date (read in the source's time zone later); anything longer a date and time."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and (day := parse_date(text)) is not None:
            return day
        if (moment := parse_datetime(text)) is not None:
            if timezone.is_naive(moment):
                raise ValueError(_("Give the time zone (for example +01:00 or Z), or only the date."))
            return moment
        raise ValueError(_("Enter a date (2025-03-01) or a date and time (2025-03-01T10:30:00+01:00)."))
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        raise ValueError(_("Give the time zone (for example +01:00 or Z), or only the date."))
    return value


When = Annotated[dt.datetime | dt.date, BeforeValidator(_when)]


class Document(BaseModel):
    """What every document carries: its id in the source, whose it is, when, in which currency."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Annotated[str, Field(min_length=1, max_length=200)]
    party_external_id: Text = ""
    party_tax_id: Text = ""
    party_email: Text = ""
    party_phone: Text = ""
    date: When
    currency: Currency | None = None

    @model_validator(mode="after")
    def _whose(self) -> Document:
        if not any(getattr(self, name) for name in PARTY_REFS):
            raise ValueError(
                _("Name the customer: party_external_id, party_tax_id, party_email or party_phone.")
            )
        return self

    def payload(self, currency: str) -> dict[str, Any]:
        raise NotImplementedError


def _lines(lines: Sequence[Line]) -> list[dict[str, Any]]:
    return [line.model_dump(mode="json", exclude_defaults=True) for line in lines]


class OrderLineIn(BaseModel):
    """An order line as the orders app takes it (it checks product codes and computes the totals)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product_code: Annotated[str, Field(max_length=64)] = ""
    description: Annotated[str, Field(max_length=500)] = ""
    quantity: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)] = Decimal(1)
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)] | None = None
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] | None = None
    tax_rate: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] | None = None


class OrderDocument(Document):
    """An order: Clientela keeps it as an order (with its lines and totals) and a purchase on the timeline."""

    number: Annotated[str, Field(min_length=1, max_length=64)]
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    status: OrderStatus = OrderStatus.CONFIRMED

    def order_lines(self) -> list[dict[str, Any]]:
        return [line.model_dump(mode="json", exclude_defaults=True) | {"quantity": str(line.quantity)}
                for line in self.lines]  # fmt: skip

    def payload(self, currency: str) -> dict[str, Any]:
        raise NotImplementedError  # orders are recorded by the orders app, which writes the purchase


class InvoiceDocument(Document):
    """An invoice; ``reference`` is the order number it bills."""

    number: Annotated[str, Field(min_length=1, max_length=300)]
    total: Money
    due_date: dt.date | None = None
    status: InvoiceStatus = InvoiceStatus.ISSUED
    reference: Text = ""

    def payload(self, currency: str) -> dict[str, Any]:
        out = {"document_number": self.number, "total": str(self.total), "currency": currency,
               "status": str(self.status), "order_reference": self.reference}  # fmt: skip
        if self.due_date:
            out["due_date"] = self.due_date.isoformat()
        return out


class PaymentDocument(Document):
    """A payment received; ``reference`` is the invoice number it pays."""

    amount: PositiveMoney
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: Text = ""

    def payload(self, currency: str) -> dict[str, Any]:
        return {"amount": str(self.amount), "currency": currency, "method": str(self.method),
                "invoice_reference": self.reference}  # fmt: skip


class ReturnDocument(Document):
    """Goods sent back; ``reference`` is the order number, ``total`` the amount refunded (0 if none)."""

    reference: Text = ""
    lines: list[Line] = Field(min_length=1, max_length=500)
    total: Money = Decimal(0)
    reason: Annotated[str, Field(max_length=2000)] = ""

    @field_validator("total")
    @classmethod
    def _not_negative(cls, v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError(_("The refund cannot be negative."))
        return v

    def payload(self, currency: str) -> dict[str, Any]:
        return {"reference": self.reference, "lines": _lines(self.lines), "reason": self.reason,
                "refund_amount": str(self.total), "currency": currency}  # fmt: skip


class CreditNoteDocument(Document):
    """A credit note (lowers what the customer owes); ``reference`` is the invoice number it corrects."""

    number: Annotated[str, Field(min_length=1, max_length=300)]
    total: PositiveMoney
    reference: Text = ""
    reason: Annotated[str, Field(max_length=2000)] = ""
    lines: list[Line] = Field(default_factory=list, max_length=2000)

    def payload(self, currency: str) -> dict[str, Any]:
        return {"document_number": self.number, "total": str(self.total), "currency": currency,
                "invoice_reference": self.reference, "reason": self.reason, "lines": _lines(self.lines)}  # fmt: skip


@dataclass(frozen=True)
class DocumentType:
    schema: type[Document]
    kind: str
    # the ledger payload's field for each document field, to report the ledger's errors by document field
    fields: Mapping[str, str]


DOCUMENT_TYPES: dict[str, DocumentType] = {
    "orders": DocumentType(OrderDocument, Kind.PURCHASE, {"document_number": "number", "ordered_at": "date"}),
    "invoices": DocumentType(
        InvoiceDocument, Kind.INVOICE, {"document_number": "number", "order_reference": "reference"}
    ),
    "payments": DocumentType(PaymentDocument, Kind.PAYMENT, {"invoice_reference": "reference"}),
    "returns": DocumentType(ReturnDocument, Kind.RETURN, {"refund_amount": "total"}),
    "credit-notes": DocumentType(
        CreditNoteDocument, Kind.CREDIT_NOTE, {"document_number": "number", "invoice_reference": "reference"}
    ),
}


@dataclass
class ItemResult:
    """What happened to ``documents[index]``: created, updated, unchanged, or error (with ``errors``)."""

    index: int
    status: str
    id: int | None = None
    order_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def record_order(
    *, actor: Actor, source: SourceSystem, doc: OrderDocument, party: Party, currency: str
) -> int:
    """Record an order through the orders app (which also logs its purchase, idempotently, under the same
    source and external id); returns the order's id."""
    order, _created = order_record_external(
        actor=actor, source=source, external_id=doc.external_id, party=party, number=doc.number,
        ordered_at=_moment(doc.date, source), currency=currency, lines=doc.order_lines(), status=str(doc.status),
    )  # fmt: skip
    return int(order.pk)


def _moment(value: dt.datetime | dt.date, source: SourceSystem) -> dt.datetime:
    """A document's time; a date alone is the start of that day in the source's (else the server's) zone."""
    if isinstance(value, dt.datetime):
        return value
    zone = zoneinfo.ZoneInfo(source.timezone or settings.TIME_ZONE)
    return dt.datetime.combine(value, dt.time(0, 0), tzinfo=zone)


def _ledger_errors(exc: ValidationError, doc_type: DocumentType) -> dict[str, list[str]]:
    """The ledger's errors under the document's own field names ("payload.document_number" -> "number")."""
    out: dict[str, list[str]] = {}
    for path, messages in exc.message_dict.items():
        if path.startswith("payload."):
            head, _sep, rest = path.removeprefix("payload.").partition(".")
            path = ".".join(p for p in (doc_type.fields.get(head, head), rest) if p)
        elif path in ("occurred_at", "ordered_at"):
            path = "date"
        out.setdefault(path, []).extend(messages)
    return out


def _current(source: SourceSystem, ids: list[str]) -> dict[str, Interaction]:
    rows = current_records(source=source, external_ids=ids).only(
        "id", "kind", "external_id", "party_id", "organisation_id"
    )
    return {row.external_id: row for row in rows}


@transaction.atomic
def erp_documents_record(
    *,
    actor: Actor,
    document_type: str,
    source_slug: str,
    documents: Sequence[tuple[int, Document]],
    partial: bool = False,
) -> list[ItemResult]:
    """Record a batch of parsed documents of one type from ``source_slug`` (registered on first use).

    All or nothing unless ``partial``: any document that cannot be recorded raises one ValidationError
    naming each problem by path ("documents.3.party_external_id") and nothing is written. With
    ``partial`` the good documents are written and the bad ones come back as "error" results.
    """
    if actor.user is not None and not may_manage(actor.user, Action.ADD):
        raise NotPermitted()
    doc_type = DOCUMENT_TYPES[document_type]
    source = source_get_or_create(source_slug, kind=SourceKind.ERP)
    resolver = PartyResolver(
        [doc.model_dump(include=set(PARTY_REFS)) for _i, doc in documents],
        source.pk,
        source.default_country or settings.CLIENTELA_DEFAULT_REGION,
    )
    before = _current(source, [doc.external_id for _i, doc in documents])
    results: list[ItemResult] = []
    touched: set[int] = set()
    for index, doc in documents:
        result = ItemResult(index=index, status="error")
        results.append(result)
        party = resolver.find(doc.model_dump(include=set(PARTY_REFS)))
        if party is None or (actor.user is not None and not may_log(actor.user, party)):
            # a customer outside the caller's scope reads as unknown: its existence is not disclosed
            used = next(name for name in PARTY_REFS if getattr(doc, name))
            result.errors[used] = [_("No customer matches this reference.")]
            continue
        currency = doc.currency or source.default_currency
        if not currency:
            result.errors["currency"] = [_("Give the currency (ISO 4217, such as EUR).")]
            continue
        previous = before.get(doc.external_id)
        if previous is not None and previous.kind != doc_type.kind:
            result.errors["external_id"] = [
                _(
                    "This source already sent another kind of document with this id; ids must be unique per source."
                )
            ]
            continue
        try:
            with transaction.atomic():  # a failed document leaves no trace, the others stay
                if isinstance(doc, OrderDocument):
                    result.order_id = record_order(
                        actor=actor, source=source, doc=doc, party=party, currency=currency
                    )
                    # the orders app logged (or kept) the purchase under the same source and id
                    row = current_records(source=source, external_ids=[doc.external_id]).get()
                else:
                    row = interaction_log(
                        actor=actor, party=party, kind=doc_type.kind, occurred_at=_moment(doc.date, source),
                        payload=doc.payload(currency), source=source, external_id=doc.external_id,
                        refresh_stats=False,
                    ).interaction  # fmt: skip
        except ValidationError as exc:
            result.errors = _ledger_errors(exc, doc_type)
            continue
        except NotPermitted:
            result.errors["external_id"] = [_("You may not record documents for this customer.")]
            continue
        result.id = row.pk
        if previous is None:
            result.status = "created"
        elif previous.pk == row.pk:
            result.status = "unchanged"
        else:
            result.status = "updated"
            touched.update(p for p in (previous.party_id, previous.organisation_id) if p)
        if result.status != "unchanged":
            touched.update(p for p in (row.party_id, row.organisation_id) if p)
        before[doc.external_id] = row  # the same id twice in one batch: the second compares with the first
    errors = {
        f"documents.{r.index}.{path}" if path != "__all__" else f"documents.{r.index}": messages
        for r in results
        for path, messages in r.errors.items()
    }
    if errors and not partial:
        raise ValidationError(errors)
    if touched:
        party_stats_refresh(touched)
    return results
