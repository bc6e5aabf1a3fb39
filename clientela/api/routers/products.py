"""``/v1/...`` operations of the products app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["products"])
