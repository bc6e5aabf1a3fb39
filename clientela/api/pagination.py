"""Cursor (keyset) pages in the API: ``{"items": [...], "next_cursor": "..." | null}``."""

from __future__ import annotations

from typing import Generic, TypeVar

from django.conf import settings
from ninja import Query, Schema

T = TypeVar("T")

MAX_LIMIT = 200
DEFAULT_LIMIT = max(1, min(settings.CLIENTELA_PAGE_SIZE, MAX_LIMIT))


class Paged(Schema, Generic[T]):
    """One page; pass ``next_cursor`` back as ``cursor`` for the next one (null: this was the last)."""

    items: list[T]
    next_cursor: str | None


def cursor_param() -> str | None:
    """The ``cursor`` query parameter (opaque; from a previous page's ``next_cursor``)."""
    return Query(None, description="Opaque cursor from the previous page's next_cursor.", max_length=1000)  # type: ignore[no-any-return]


def limit_param() -> int:
    """The ``limit`` query parameter: page size, 1..200."""
    return Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size (1-200).")  # type: ignore[no-any-return]
