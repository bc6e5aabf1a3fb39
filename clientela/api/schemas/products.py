"""Schemas of the catalogue: products in and out, price lists with their prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from clientela.api.schemas.common import InputSchema
from clientela.products.choices import ProductKind, Unit


class ProductIn(InputSchema):
    """A new product or service; ``tax_rate`` is a percent (Spanish IVA: 21, 10, 4 or 0)."""

    code: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    unit: Unit = Unit.UNIT
    kind: ProductKind = ProductKind.PRODUCT
    tax_rate: Decimal = Field(Decimal("21"), ge=0, le=100, decimal_places=2)
    is_active: bool = True


class ProductPatch(InputSchema):
    """The fields to change (others stay)."""

    code: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    unit: Unit | None = None
    kind: ProductKind | None = None
    tax_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    is_active: bool | None = None


class ProductOut(Schema):
    id: int
    code: str
    name: str
    description: str
    unit: str
    kind: str
    tax_rate: Decimal
    is_active: bool
    version: int
    updated_at: dt.datetime


class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    valid_from: dt.date
    valid_until: dt.date | None
    is_active: bool
    item_count: int = 0


class PriceItemOut(Schema):
    product_id: int
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    unit_price: Decimal


class PriceListDetail(PriceListOut):
    items: list[PriceItemOut] = Field(..., alias="loaded_items")
