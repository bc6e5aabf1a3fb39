"""Typed, validated payloads per interaction kind (pydantic models, shared by services, API and forms).

Each kind has one model; unknown fields are rejected so typos never land silently. Amounts are Decimals
with an ISO 4217 currency.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clientela.interactions.choices import (
    CallOutcome,
    ComplaintStatus,
    InvoiceStatus,
    Kind,
    PaymentMethod,
    Severity,
)

Text = Annotated[str, Field(max_length=300)]
LongText = Annotated[str, Field(max_length=100_000)]
Money = Annotated[
    Decimal, Field(max_digits=16, decimal_places=2), AfterValidator(lambda v: v.quantize(Decimal("0.01")))
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=16, decimal_places=2),
    AfterValidator(lambda v: v.quantize(Decimal("0.01"))),
]


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    # XTS (for testing) and XXX (no currency) are ISO codes but never the currency of an amount
    return frozenset(list_currencies()) - {"XTS", "XXX"}


def check_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in _currencies():
        raise ValueError("unknown currency code; use ISO 4217 such as EUR, MXN or USD")
    return code


Currency = Annotated[str, AfterValidator(check_currency)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def summary(self) -> str:
        """The one-line text shown on the timeline and indexed for search."""
        return ""

    def money(self) -> tuple[Decimal | None, str]:
        """(amount, currency) this interaction adds to the customer's figures, if any."""
        return None, ""


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product: Text = ""
    description: Text = ""
    quantity: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)] = Decimal(1)
    unit_price: Money | None = None
    total: Money | None = None
    order_line_ref: Text = ""

    @model_validator(mode="after")
    def _named(self) -> Line:
        if not (self.product or self.description):
            raise ValueError("a line needs a product or a description")
        if self.unit_price is not None and self.unit_price < 0:
            raise ValueError("the unit price cannot be negative")
        return self


class EmailPayload(Payload):
    from_address: Text = ""
    to: list[Text] = Field(default_factory=list, max_length=200)
    cc: list[Text] = Field(default_factory=list, max_length=200)
    subject: Text
    body: LongText = ""
    message_id: Text = ""
    thread_id: Text = ""

    def summary(self) -> str:
        return self.subject


class CallPayload(Payload):
    phone_number: Text = ""
    duration_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0
    outcome: CallOutcome = CallOutcome.ANSWERED
    summary_text: LongText = Field(default="", alias="summary")

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    def summary(self) -> str:
        return self.summary_text.splitlines()[0][:300] if self.summary_text else ""


class MeetingPayload(Payload):
    location: Text = ""
    link: Text = ""
    ends_at: dt.datetime | None = None
    attendees_internal: list[Text] = Field(default_factory=list, max_length=100)
    attendees_external: list[Text] = Field(default_factory=list, max_length=100)
    objective: Annotated[str, Field(min_length=1, max_length=2000)]
    conclusion: Annotated[str, Field(max_length=5000)] = ""
    next_steps: Annotated[str, Field(max_length=5000)] = ""

    def summary(self) -> str:
        return self.objective.splitlines()[0][:300]


class NotePayload(Payload):
    text: Annotated[str, Field(min_length=1, max_length=100_000)]

    def summary(self) -> str:
        return self.text.splitlines()[0][:300]


class ComplaintPayload(Payload):
    subject: Annotated[str, Field(min_length=1, max_length=300)]
    description: LongText = ""
    severity: Severity = Severity.MEDIUM
    product: Text = ""
    order_reference: Text = ""
    status: ComplaintStatus = ComplaintStatus.OPEN

    def summary(self) -> str:
        return self.subject


class ReturnPayload(Payload):
    reference: Text = ""
    lines: list[Line] = Field(min_length=1, max_length=500)
    reason: Annotated[str, Field(max_length=2000)] = ""
    refund_amount: Money = Decimal(0)
    currency: Currency

    @field_validator("refund_amount")
    @classmethod
    def _non_negative(cls, v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError("the refund cannot be negative")
        return v

    def summary(self) -> str:
        return ", ".join(line.product or line.description for line in self.lines)[:300]

    def money(self) -> tuple[Decimal | None, str]:
        return self.refund_amount, self.currency


class SuggestionPayload(Payload):
    topic: Annotated[str, Field(min_length=1, max_length=300)]
    text: LongText = ""
    area: Text = ""

    def summary(self) -> str:
        return self.topic


class PurchasePayload(Payload):
    document_number: Text = ""
    lines: list[Line] = Field(default_factory=list, max_length=2000)
    total: Money
    currency: Currency

    def summary(self) -> str:
        return self.document_number

    def money(self) -> tuple[Decimal | None, str]:
        return self.total, self.currency


class InvoicePayload(Payload):
    document_number: Annotated[str, Field(min_length=1, max_length=300)]
    total: Money
    currency: Currency
    due_date: dt.date | None = None
    status: InvoiceStatus = InvoiceStatus.ISSUED
    order_reference: Text = ""

    def summary(self) -> str:
        return self.document_number

    def money(self) -> tuple[Decimal | None, str]:
        return self.total, self.currency


class PaymentPayload(Payload):
    amount: PositiveMoney
    currency: Currency
    method: PaymentMethod = PaymentMethod.TRANSFER
    invoice_reference: Text = ""

    def summary(self) -> str:
        return self.invoice_reference

    def money(self) -> tuple[Decimal | None, str]:
        return self.amount, self.currency


class CreditNotePayload(Payload):
    """A credit note: money the business owes back to the customer, which lowers the outstanding balance."""

    document_number: Annotated[str, Field(min_length=1, max_length=300)]
    total: PositiveMoney
    currency: Currency
    invoice_reference: Text = ""
    reason: Annotated[str, Field(max_length=2000)] = ""
    lines: list[Line] = Field(default_factory=list, max_length=2000)

    def summary(self) -> str:
        return self.document_number

    def money(self) -> tuple[Decimal | None, str]:
        return self.total, self.currency


class BalancePayload(Payload):
    amount: Money
    currency: Currency
    as_of: dt.date | None = None

    def money(self) -> tuple[Decimal | None, str]:
        return self.amount, self.currency


class SocialPayload(Payload):
    network: Annotated[str, Field(min_length=1, max_length=50)]
    handle: Text = ""
    text: LongText = ""
    link: Text = ""

    def summary(self) -> str:
        return (self.text.splitlines()[0] if self.text else self.handle)[:300]


class OtherPayload(Payload):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    text: LongText = ""

    def summary(self) -> str:
        return self.label


PAYLOADS: dict[str, type[Payload]] = {
    Kind.EMAIL: EmailPayload,
    Kind.CALL: CallPayload,
    Kind.MEETING: MeetingPayload,
    Kind.NOTE: NotePayload,
    Kind.COMPLAINT: ComplaintPayload,
    Kind.RETURN: ReturnPayload,
    Kind.SUGGESTION: SuggestionPayload,
    Kind.PURCHASE: PurchasePayload,
    Kind.INVOICE: InvoicePayload,
    Kind.PAYMENT: PaymentPayload,
    Kind.CREDIT_NOTE: CreditNotePayload,
    Kind.BALANCE: BalancePayload,
    Kind.SOCIAL: SocialPayload,
    Kind.OTHER: OtherPayload,
}


def parse_payload(kind: str, data: Any) -> tuple[Payload | None, dict[str, list[str]]]:
    """Validate ``data`` for ``kind``; returns (payload, errors by path "payload.lines.0.quantity")."""
    model = PAYLOADS.get(kind)
    if model is None:
        return None, {"kind": ["unknown kind"]}
    if not isinstance(data, dict):
        return None, {"payload": ["expected an object"]}
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            path = ".".join(["payload", *(str(p) for p in err["loc"])])
            message = err["msg"].removeprefix("Value error, ")
            errors.setdefault(path, []).append(message)
        return None, errors


def dump_payload(payload: Payload) -> dict[str, Any]:
    """JSON-safe dict (Decimals as strings so no precision is lost)."""
    return payload.model_dump(mode="json", by_alias=True, exclude_defaults=False)
