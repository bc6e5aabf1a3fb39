"""Schemas of quotes and orders: lines in, documents with their lines and totals per tax rate out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from clientela.api.schemas.common import MAX_ID, InputSchema, PartyRef, UserRef
from clientela.orders.choices import OrderStatus, QuoteLanguage, QuoteStatus


class LineIn(InputSchema):
    """One line: a product (its price comes from the price list when ``unit_price`` is left out) or a
    free description with a price. Percentages are 0..100."""

    product: int | None = Field(None, ge=1, le=MAX_ID, description="Product id")
    product_code: str | None = Field(None, max_length=64, description="Product code, instead of the id")
    description: str = Field("", max_length=500, description="Default: the product's name")
    quantity: Decimal = Field(Decimal(1), description="Greater than zero")
    unit: str = Field("", max_length=16)
    unit_price: Decimal | None = Field(None, description="Default: the price list's price")
    discount_percent: Decimal = Field(Decimal(0))
    tax_rate: Decimal | None = Field(None, description="Default: the product's rate")


class QuoteIn(InputSchema):
    """A new draft quote. Lines are all validated first: any bad line is a 422 naming it
    (``lines.2.discount_percent``) and nothing is created."""

    party: int = Field(..., ge=1, le=MAX_ID)
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    opportunity: int | None = Field(None, ge=1, le=MAX_ID)
    currency: str = Field("EUR", max_length=3)
    price_list: int | None = Field(None, ge=1, le=MAX_ID)
    valid_until: dt.date | None = Field(None, description="Default: 30 days from today")
    language: QuoteLanguage = QuoteLanguage.SPANISH
    notes: str = Field("", max_length=5000)
    terms: str = Field("", max_length=10000)
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="Default: you")
    lines: list[LineIn] = Field(..., min_length=1, max_length=500)


class QuotePatch(InputSchema):
    """Fields to change; ``lines`` replace every line. A sent quote is not changed: its next version is
    created with these changes and returned (``supersedes`` names the sent one)."""

    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    opportunity: int | None = Field(None, ge=1, le=MAX_ID)
    currency: str | None = Field(None, max_length=3)
    price_list: int | None = Field(None, ge=1, le=MAX_ID)
    valid_until: dt.date | None = None
    language: QuoteLanguage | None = None
    notes: str | None = Field(None, max_length=5000)
    terms: str | None = Field(None, max_length=10000)
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=500)


class SendIn(InputSchema):
    to: list[str] = Field(
        default_factory=list, max_length=20, description="Default: the customer's main email"
    )
    message: str = Field("", max_length=10000)


class LineOut(Schema):
    position: int
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net: Decimal


class RateOut(Schema):
    rate: Decimal
    base: Decimal
    tax: Decimal


class QuoteSummary(Schema):
    id: int
    number: str
    revision: int
    status: QuoteStatus
    is_current: bool
    party: PartyRef
    currency: str
    valid_until: dt.date
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    owner: UserRef | None
    created_at: dt.datetime


class QuoteOut(QuoteSummary):
    organisation_id: int | None
    opportunity_id: int | None
    price_list_id: int | None
    supersedes_id: int | None
    language: str
    notes: str
    terms: str
    team_id: int | None
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    version: int
    lines: list[LineOut]
    taxes: list[RateOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_taxes(obj: Any) -> list[Any]:
        return list(obj.totals.by_rate)


class OrderCreateIn(InputSchema):
    quote: int = Field(..., ge=1, le=MAX_ID, description="An accepted quote")


class OrderStatusIn(InputSchema):
    status: OrderStatus


class OrderSummary(Schema):
    id: int
    number: str
    status: OrderStatus
    party: PartyRef
    quote_id: int | None
    source: str = Field(..., alias="source.slug")
    external_id: str
    ordered_at: dt.datetime
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


class OrderOut(OrderSummary):
    organisation_id: int | None
    opportunity_id: int | None
    owner_id: int | None
    team_id: int | None
    version: int
    lines: list[LineOut]
    taxes: list[RateOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_taxes(obj: Any) -> list[Any]:
        return list(obj.totals.by_rate)


class OpportunityProductIn(InputSchema):
    """One product line of an opportunity; ``unit_price`` left out is today's price-list price in the
    opportunity's currency. ``discount_percent`` is 0..100."""

    product: int = Field(..., ge=1, le=MAX_ID, description="Product id (an active product)")
    quantity: Decimal = Field(Decimal(1), description="Greater than zero")
    unit_price: Decimal | None = Field(None, description="Default: today's price list")
    discount_percent: Decimal = Field(Decimal(0))


class OpportunityProductsIn(InputSchema):
    """Every product line of the opportunity (an empty list removes them all). Any bad line is a 422
    naming it (``lines.1.quantity``) and nothing changes."""

    lines: list[OpportunityProductIn] = Field(..., max_length=200)
    update_amount: bool = Field(False, description="Set the opportunity's amount to the lines' net total")


class OpportunityProductOut(Schema):
    position: int
    product: int = Field(..., alias="product_id")
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net: Decimal


class OpportunityProductsOut(Schema):
    opportunity: int
    currency: str
    amount: Decimal = Field(..., description="The opportunity's amount")
    total: Decimal = Field(..., description="The lines' net total")
    lines: list[OpportunityProductOut]
