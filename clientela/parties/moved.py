"""Where a customer that is gone from its own id now lives (merged into another), for redirects.

Apps above parties know why a customer moved (identity's merges); they register a finder in their
``ready()`` so that old links and bookmarks to the customer's page keep working without this app
importing them.
"""

from __future__ import annotations

from collections.abc import Callable

_FINDERS: list[Callable[[int], int | None]] = []


def register_finder(finder: Callable[[int], int | None]) -> None:
    """Add ``finder(party id) -> id of the customer it lives on now, or None``."""
    if finder not in _FINDERS:
        _FINDERS.append(finder)


def moved_to(party_id: int) -> int | None:
    """The customer ``party_id`` lives on now, if an app knows it moved."""
    for finder in _FINDERS:
        target = finder(party_id)
        if target is not None and target != party_id:
            return target
    return None
