"""``/v1/...`` operations of the sales app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["sales"])
