"""``/v1/segments`` (mounted at /api/v1)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["segments"])
