"""``/v1/...`` operations of the integrations app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["integrations"])
