"""Who wants to know that customers changed: apps above parties keep their own derived data in step.

The party services (and bulk writers such as imports) already refresh the search index whenever a
customer's name, identifiers or contact points change; ``parties.search`` forwards the same ids here.
Identity resolution registers a listener in its ``ready()`` to keep its blocking keys current, without
this app importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# listener(ids): these parties were created, changed or deleted; ids=None: any of them may have
Listener = Callable[[Sequence[int] | None], None]
_LISTENERS: list[Listener] = []


def register_listener(listener: Listener) -> None:
    """Add a listener, called inside the caller's transaction (defer heavy work to ``on_commit``)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def parties_changed(ids: Sequence[int] | None) -> None:
    """Tell every listener; ``None`` after a bulk rebuild means "recompute everything"."""
    if ids is not None and not ids:
        return
    for listener in _LISTENERS:
        listener(ids)
