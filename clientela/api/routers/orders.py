"""``/v1/...`` operations of the orders app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["orders"])
